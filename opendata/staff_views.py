"""The open data on the staff site (`workflows.frontend.site`, /region/open-data/, URL names
`open_data:…`): the history of the publications, the refused attempts with their faulty rows, each
published file; an administrator publishes now (POST).

Finance and administrators see it; anyone else gets a 404 on every address. The history runs the same
number of queries whatever the number of publications."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from dossiers.http import error_text
from opendata.enums import PublicationStatus
from opendata.services import (
    can_publish_open_data,
    can_view_publications,
    open_data_publish,
    publication_list_for_user,
)
from opendata.validation import SCHEMA_URL


class PublicationAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view_publications(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class PublicationHistoryView(PublicationAccessMixin, generic.ListView):
    template_name = "opendata/staff/history.html"
    context_object_name = "publications"
    paginate_by = 50

    def get_queryset(self):
        return publication_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            can_publish=can_publish_open_data(self.request.user), schema_url=SCHEMA_URL, **kwargs
        )


class PublishView(PublicationAccessMixin, generic.View):
    """Publishes now (administrators), then shows the history with the outcome."""

    def post(self, request):
        if not can_publish_open_data(request.user):
            raise Http404
        try:
            publication = open_data_publish(actor=request.user)
        except PermissionDenied as error:
            messages.error(request, error_text(error))
            return redirect("open_data:index")
        if publication.status == PublicationStatus.PUBLISHED:
            messages.success(request, _("The file was published with %(rows)s rows.") % {"rows": publication.rows})
        else:
            messages.error(
                request,
                _("The publication was refused: %(count)s problems. The previous file stays published.")
                % {"count": len(publication.errors)},
            )
        return redirect("open_data:index")


class PublicationFileView(PublicationAccessMixin, generic.View):
    """A published file of the history, as it was published."""

    def get(self, request, pk):
        publication = publication_list_for_user(request.user).filter(pk=pk, status=PublicationStatus.PUBLISHED).first()
        if publication is None:
            raise Http404(_("No such publication."))
        try:
            handle = publication.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The file is missing from the storage.")) from None
        filename = f"subventions-{publication.generated_at:%Y-%m-%d-%H%M%S}.csv"
        response = FileResponse(handle, as_attachment=True, filename=filename, content_type="text/csv; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class OpenDataViewset(Application):
    """The open-data publications in the staff site's menu, at /region/open-data/ (URL names
    `open_data:…`)."""

    title = gettext_lazy("Open data")
    icon = "public"
    app_name = "open-data"
    namespace = "open_data"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_publications(user)

    def _get_resolver_extra(self):
        # Without "app" here, viewflow's SiteMiddleware leaves the role check to the views, whose answer
        # to other roles is a 404 (the middleware's would be a 403); the menu still hides the app.
        return {"viewset": self}

    @property
    def index_path(self):
        return path("", PublicationHistoryView.as_view(), name="index")

    publish_path = path("publish/", PublishView.as_view(), name="publish")
    file_path = path("<int:pk>/subventions.csv", PublicationFileView.as_view(), name="file")
