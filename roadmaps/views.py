"""The contracts' roadmaps on the staff site (`workflows.frontend.site`, /region/roadmaps/, URL names
`roadmaps:…`): the contracts whose roadmap the user follows, with their totals; a contract's roadmap
(its operations, those without a dossier yet, the planned / filed / funded / paid amounts per axis and
per theme) with its CSV, XLSX and PDF; an operation added, edited, linked to the dossier that realises it.

The territory's officers and elected representatives, and the administrators: anyone else gets a 404
on every address, as for a contract outside their scope. Each page runs the same number of queries
whatever the number of operations."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from documents.rendering import render_pdf
from dossiers.http import error_text
from roadmaps.enums import OperationStatus
from roadmaps.exports import roadmap_csv, roadmap_xlsx
from roadmaps.forms import LinkDossierForm, OperationEditForm, OperationForm
from roadmaps.selectors import (
    contract_totals,
    dossiers_to_link,
    operation_list_for_user,
    operation_list_with_figures,
    roadmap_contract_list_for_user,
    roadmap_summary,
)
from roadmaps.services import (
    follows_roadmaps,
    operation_add,
    operation_link_dossier,
    operation_update,
    roadmap_for_contract,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RoadmapAccessMixin:
    """Resolves the contract (`contract_pk`) or the operation (`pk`) within the user's scope before
    anything else, whatever the method: a 404 otherwise."""

    def dispatch(self, request, *args, **kwargs):
        if not follows_roadmaps(request.user):
            raise Http404
        if "contract_pk" in kwargs:
            self.contract = roadmap_contract_list_for_user(request.user).filter(pk=kwargs["contract_pk"]).first()
            if self.contract is None:
                raise Http404(_("No such contract, or it is outside your scope."))
            self.roadmap = self.contract.roadmap if hasattr(self.contract, "roadmap") else None
        if "pk" in kwargs:
            self.operation = operation_list_for_user(request.user).filter(pk=kwargs["pk"]).first()
            if self.operation is None:
                raise Http404(_("No such operation, or it is outside your scope."))
            self.roadmap = self.operation.roadmap
            self.contract = self.roadmap.contract
        return super().dispatch(request, *args, **kwargs)

    def get_roadmap(self):
        if self.roadmap is None:
            self.roadmap = roadmap_for_contract(self.contract)
        return self.roadmap

    def detail_url(self) -> str:
        return reverse("roadmaps:detail", args=[self.contract.pk])


class RoadmapIndexView(RoadmapAccessMixin, generic.TemplateView):
    """The contracts whose roadmap the user follows, each with its totals and version."""

    template_name = "roadmaps/roadmap_index.html"

    def get_context_data(self, **kwargs):
        contracts = list(roadmap_contract_list_for_user(self.request.user))
        totals = contract_totals(contracts)
        empty = dict.fromkeys(("planned", "filed", "funded", "paid"))
        rows = [
            {
                "contract": contract,
                "version": contract.roadmap.version if hasattr(contract, "roadmap") else 0,
                "figures": totals.get(contract.pk, empty),
            }
            for contract in contracts
        ]
        return super().get_context_data(rows=rows, **kwargs)


class RoadmapDetailView(RoadmapAccessMixin, generic.TemplateView):
    """A contract's roadmap: operations, those without a dossier yet, the summary per axis and theme."""

    template_name = "roadmaps/roadmap_detail.html"

    def get_context_data(self, **kwargs):
        roadmap = self.get_roadmap()
        operations = list(operation_list_with_figures(roadmap))
        return super().get_context_data(
            contract=self.contract,
            roadmap=roadmap,
            operations=operations,
            without_dossier=[
                operation
                for operation in operations
                if operation.dossier_id is None and operation.status != OperationStatus.ABANDONED
            ],
            summary=roadmap_summary(roadmap),
            meetings=list(roadmap.meetings.order_by("-held_on", "-pk")),
            versions_url=reverse("meetings:versions", args=[self.contract.pk]),
            meeting_create_url=reverse("meetings:create", args=[self.contract.pk]),
            **kwargs,
        )


class OperationFormMixin(RoadmapAccessMixin):
    def form_invalid_with(self, form, error):
        form.add_error(None, error_text(error))
        return self.form_invalid(form)

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.contract, **kwargs)


class OperationAddView(OperationFormMixin, generic.FormView):
    template_name = "roadmaps/roadmap_operation_form.html"
    form_class = OperationForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "territory": self.contract.territory}

    def form_valid(self, form):
        try:
            created = operation_add(roadmap=self.get_roadmap(), actor=self.request.user, operation=form.new_operation())
        except (PermissionDenied, ValidationError) as error:
            return self.form_invalid_with(form, error)
        messages.success(
            self.request,
            _("The operation #%(number)s “%(title)s” was added to the roadmap.")
            % {"number": created.number, "title": created.title},
        )
        return redirect(self.detail_url())


class OperationEditView(OperationFormMixin, generic.FormView):
    template_name = "roadmaps/roadmap_operation_form.html"
    form_class = OperationEditForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "operation": self.operation}

    def get_context_data(self, **kwargs):
        return super().get_context_data(operation=self.operation, **kwargs)

    def form_valid(self, form):
        try:
            operation_update(operation=self.operation, actor=self.request.user, **form.changes())
        except (PermissionDenied, ValidationError) as error:
            return self.form_invalid_with(form, error)
        messages.success(self.request, _("The operation #%(number)s was changed.") % {"number": self.operation.number})
        return redirect(self.detail_url())


class OperationLinkView(OperationFormMixin, generic.FormView):
    """Links the dossier of the same contract that realises the operation, chosen by its reference."""

    template_name = "roadmaps/roadmap_operation_link.html"
    form_class = LinkDossierForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "dossiers": dossiers_to_link(self.request.user, self.operation)}

    def get_context_data(self, **kwargs):
        candidates = [] if self.operation.dossier_id else list(dossiers_to_link(self.request.user, self.operation))
        return super().get_context_data(operation=self.operation, candidates=candidates, **kwargs)

    def form_valid(self, form):
        try:
            operation_link_dossier(operation=self.operation, dossier=form.dossier, actor=self.request.user)
        except (PermissionDenied, ValidationError) as error:
            return self.form_invalid_with(form, error)
        messages.success(
            self.request,
            _("The dossier %(reference)s now realises the operation #%(number)s.")
            % {"reference": form.dossier.reference, "number": self.operation.number},
        )
        return redirect(self.detail_url())


class RoadmapExportView(RoadmapAccessMixin, generic.View):
    http_method_names = ["get", "head"]

    def filename(self, extension: str) -> str:
        return f"feuille-de-route-{self.contract.pk}-{timezone.localdate():%Y-%m-%d}.{extension}"


class RoadmapCsvView(RoadmapExportView):
    def get(self, request, contract_pk):
        return download(roadmap_csv(self.get_roadmap()), "text/csv; charset=utf-8", self.filename("csv"))


class RoadmapXlsxView(RoadmapExportView):
    def get(self, request, contract_pk):
        return download(roadmap_xlsx(self.get_roadmap()), XLSX, self.filename("xlsx"))


class RoadmapPrintView(RoadmapExportView):
    """The roadmap as a PDF: the contract, the date, the summary per axis and theme, the operations."""

    def get(self, request, contract_pk):
        roadmap = self.get_roadmap()
        html = render_to_string(
            "roadmaps/print.html",
            {
                "contract": self.contract,
                "roadmap": roadmap,
                "printed_on": timezone.localdate(),
                "summary": roadmap_summary(roadmap),
                "operations": list(operation_list_with_figures(roadmap)),
            },
        )
        return download(render_pdf(html), "application/pdf", self.filename("pdf"))


class FollowUpApplication(Application):
    """A part of the staff site for the territories' officers and elected representatives (and the
    administrators): the roadmaps, the follow-up meetings."""

    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return follows_roadmaps(user)

    def _get_resolver_extra(self):
        # Without "app" here, viewflow's SiteMiddleware leaves the role check to the views, whose answer
        # to other roles is a 404 (the middleware's would be a 403); the menu still hides the app.
        return {"viewset": self}


class RoadmapViewset(FollowUpApplication):
    """The contracts' roadmaps in the staff site's menu, at /region/roadmaps/ (URL names `roadmaps:…`)."""

    title = gettext_lazy("Roadmaps")
    icon = "map"
    app_name = "roadmaps"
    namespace = "roadmaps"

    @property
    def index_path(self):
        return path("", RoadmapIndexView.as_view(), name="index")

    detail_path = path("<int:contract_pk>/", RoadmapDetailView.as_view(), name="detail")
    operation_add_path = path("<int:contract_pk>/operations/new/", OperationAddView.as_view(), name="operation_add")
    operation_edit_path = path("operations/<int:pk>/", OperationEditView.as_view(), name="operation_edit")
    operation_link_path = path("operations/<int:pk>/link/", OperationLinkView.as_view(), name="operation_link")
    export_csv_path = path("<int:contract_pk>/roadmap.csv", RoadmapCsvView.as_view(), name="export_csv")
    export_xlsx_path = path("<int:contract_pk>/roadmap.xlsx", RoadmapXlsxView.as_view(), name="export_xlsx")
    print_path = path("<int:contract_pk>/roadmap.pdf", RoadmapPrintView.as_view(), name="print")
