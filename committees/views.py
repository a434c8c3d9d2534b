"""The staff's pages of the Commission permanente, mounted on the staff site (`workflows.frontend.site`)
at /region/sessions/: the sessions, a session's agenda, a new session, a session moved on.

The committee's secretariat and members and the administrators see them; the secretariat and the
administrators create sessions and move them on. Everyone else gets a 403 from the site (the
application's `has_view_permission`) or a 404 here."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from committees.forms import SessionForm
from committees.models import SessionStatus
from committees.permissions import can_manage_sessions, can_view_sessions
from committees.selectors import agenda_item_list_for_session, session_list_for_user
from committees.services import session_create, session_set_status


class SessionPageMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_view_sessions(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_session(self):
        session = session_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if session is None:
            raise Http404(_("No such session."))
        return session


class SessionListView(SessionPageMixin, generic.ListView):
    """Every session, most recent first, with its number of items (one query for the page)."""

    template_name = "committees/session_list.html"
    context_object_name = "sessions"
    paginate_by = 50

    def get_queryset(self):
        return session_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_manage=can_manage_sessions(self.request.user), **kwargs)


class SessionPageView(SessionPageMixin, generic.TemplateView):
    """A session and its agenda, in order."""

    template_name = "committees/session_page.html"

    def get_context_data(self, **kwargs):
        session = self.get_session()
        next_status = session.next_status
        return super().get_context_data(
            session=session,
            items=agenda_item_list_for_session(self.request.user, session),
            members=session.members.order_by("last_name", "first_name"),
            can_manage=can_manage_sessions(self.request.user),
            next_status=next_status,
            next_status_label=SessionStatus(next_status).label if next_status else "",
            **kwargs,
        )


class SessionCreateView(SessionPageMixin, generic.FormView):
    template_name = "committees/session_form.html"
    form_class = SessionForm

    def dispatch(self, request, *args, **kwargs):
        if can_view_sessions(request.user) and not can_manage_sessions(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            session = session_create(actor=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The session “%(session)s” was created.") % {"session": session})
        return redirect("sessions:session_page", pk=session.pk)


class SessionStatusView(SessionPageMixin, generic.View):
    def post(self, request, pk):
        session = self.get_session()
        try:
            session = session_set_status(session=session, actor=request.user, status=request.POST.get("status", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The session is now “%(status)s”.") % {"status": session.get_status_display()})
        return redirect("sessions:session_page", pk=session.pk)


class SessionViewset(Application):
    """The Commission permanente's entry in the staff site's menu."""

    title = gettext_lazy("Commission permanente")
    icon = "gavel"
    app_name = "sessions"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_view_sessions(user)

    @property
    def index_path(self):
        return path("", SessionListView.as_view(), name="index")

    @property
    def session_create_path(self):
        return path("new/", SessionCreateView.as_view(), name="session_create")

    @property
    def session_page_path(self):
        return path("<int:pk>/", SessionPageView.as_view(), name="session_page")

    @property
    def session_status_path(self):
        return path("<int:pk>/status/", SessionStatusView.as_view(), name="session_status")

    @property
    def document_batch_path(self):
        from documents.views import BatchView

        return path("<int:pk>/documents/<int:batch_pk>/", BatchView.as_view(), name="document_batch")
