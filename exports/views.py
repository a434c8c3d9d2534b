"""The exports of the staff dossier list on the staff site (`workflows.frontend.site`, /region/exports/,
URL names `exports:…`): the list's rows with its filters as CSV or XLSX, downloaded at once when small,
written in the background otherwise; "My exports" with each job's progress and its file.

Whoever sees the staff dossier list exports exactly the rows it shows them (same selector, same
filters); anyone else gets a 404, and a job's file is downloaded by its owner only."""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from dossiers.http import error_text
from exports.dossiers import CONTENT_TYPES, csv_chunks, export_rows, xlsx_write
from exports.enums import ExportFormat, ExportStatus
from exports.selectors import DossierListFilters, export_job_list_for_user, staff_dossier_list
from exports.services import export_job_start
from workflows.enums import DossierState


def can_export_dossiers(user) -> bool:
    """The users who see the staff dossier list."""
    from workflows.flows import DossierFlow

    return DossierFlow.instance.has_view_permission(user)


class ExportAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_export_dossiers(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DossierExportView(ExportAccessMixin, generic.View):
    """The list's rows with the filters posted (the list's own), in `export_format`: at once up to
    EXPORTS_SYNC_MAX_ROWS rows, else as a background export followed on "My exports"."""

    export_format = ExportFormat.CSV

    def post(self, request):
        filters = DossierListFilters.from_params(request.POST)
        dossiers = staff_dossier_list(request.user, filters)
        if dossiers.count() > settings.EXPORTS_SYNC_MAX_ROWS:
            try:
                export_job_start(actor=request.user, export_format=self.export_format, filters=filters)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(request, _("The export is being written: it will be ready to download here."))
            return redirect("exports:index")
        filename = f"dossiers-{timezone.localtime():%Y-%m-%d-%H%M}.{self.export_format}"
        rows = export_rows(dossiers)
        if self.export_format == ExportFormat.CSV:
            response = StreamingHttpResponse(csv_chunks(rows), content_type=CONTENT_TYPES["csv"])
            return _attachment(response, filename)
        # The workbook goes to a temporary file (deleted when closed): never held whole in memory.
        target = tempfile.TemporaryFile()  # noqa: SIM115  (FileResponse closes it once sent)
        try:
            xlsx_write(rows, target)
        except BaseException:
            target.close()
            raise
        target.seek(0)
        return _attachment(FileResponse(target, content_type=CONTENT_TYPES["xlsx"]), filename)


class DossierXlsxExportView(DossierExportView):
    export_format = ExportFormat.XLSX


class ExportJobListView(ExportAccessMixin, generic.ListView):
    """The user's exports with their progress; refreshes itself while one is waiting or running."""

    template_name = "exports/job_list.html"
    paginate_by = 50

    def get_queryset(self):
        return export_job_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        states = dict(DossierState.choices)
        for job in context["object_list"]:
            job.state_label = states.get(job.filters.get("state"), "")
        context["running"] = any(job.is_running for job in context["object_list"])
        return context


class ExportJobDownloadView(ExportAccessMixin, generic.View):
    def get(self, request, pk):
        job = export_job_list_for_user(request.user).filter(pk=pk, status=ExportStatus.DONE).first()
        if job is None or not job.file:
            raise Http404
        response = FileResponse(job.file.storage.open(job.file.name, "rb"), content_type=CONTENT_TYPES[job.format])
        return _attachment(response, job.download_name)


class ExportViewset(Application):
    """The exports in the staff site, at /region/exports/ (URL names `exports:…`); not in the menu: the
    buttons are on the dossier list."""

    title = gettext_lazy("Exports")
    icon = "download"
    app_name = "exports"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_export_dossiers(user)

    def _get_resolver_extra(self):
        # As for the payment orders: the views answer other roles with a 404 (the middleware, a 403).
        return {"viewset": self}

    @property
    def index_path(self):
        return path("", ExportJobListView.as_view(), name="index")

    csv_path = path("dossiers.csv", DossierExportView.as_view(), name="dossiers_csv")
    xlsx_path = path("dossiers.xlsx", DossierXlsxExportView.as_view(), name="dossiers_xlsx")
    download_path = path("<int:pk>/download/", ExportJobDownloadView.as_view(), name="download")
