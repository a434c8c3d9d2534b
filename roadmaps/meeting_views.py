"""The follow-up meetings (comités de suivi) on the staff site (`workflows.frontend.site`,
/region/follow-up-meetings/, URL names `meetings:…`): the meetings of the user's territories, preparing
and editing one, recording its decisions (several at once, all or nothing, one new roadmap version),
and the roadmap's versions, each readable with what it changed.

The territory's officers and elected representatives and the administrators only (`can_edit_roadmap`):
anyone else gets a 404, as for an object outside their scope, and nothing changes. The lists run the
same number of queries whatever their length."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from dossiers.http import error_text, form_errors
from roadmaps import history
from roadmaps.meeting_forms import MeetingEditForm, MeetingForm, decision_formset, filled_decisions
from roadmaps.meetings import (
    meeting_decision_list,
    meeting_list_for_user,
    meeting_update,
    version_list_for_roadmap,
)
from roadmaps.models import Roadmap, RoadmapVersion
from roadmaps.selectors import roadmap_contract_list_for_user
from roadmaps.services import follows_roadmaps, meeting_create, meeting_record_decisions, roadmap_for_contract
from roadmaps.views import FollowUpApplication


def roadmap_url(contract_pk: int) -> str:
    return reverse("roadmaps:detail", args=[contract_pk])


class MeetingAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not follows_roadmaps(request.user):
            raise Http404
        self.load()
        return super().dispatch(request, *args, **kwargs)

    def load(self):
        """Finds the objects of the URL in the user's scope (a 404 otherwise), before any method runs."""

    def get_meeting(self):
        meeting = meeting_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if meeting is None:
            raise Http404(_("No such meeting, or it is outside your scope."))
        return meeting

    def get_contract(self):
        contract = roadmap_contract_list_for_user(self.request.user).filter(pk=self.kwargs["contract_pk"]).first()
        if contract is None:
            raise Http404(_("No such contract, or it is outside your scope."))
        return contract


class MeetingIndexView(MeetingAccessMixin, generic.TemplateView):
    """The meetings of the user's territories, newest first, and their contracts (to prepare a meeting
    or read the roadmap's versions)."""

    template_name = "roadmaps/meeting_index.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            meetings=list(meeting_list_for_user(self.request.user)),
            contracts=list(roadmap_contract_list_for_user(self.request.user)),
            **kwargs,
        )


class MeetingCreateView(MeetingAccessMixin, generic.FormView):
    """Prepares a meeting of the contract: date, participants, partners, agenda."""

    template_name = "roadmaps/meeting_form.html"
    form_class = MeetingForm

    def load(self):
        self.contract = self.get_contract()

    def get_initial(self):
        return {"held_on": timezone.localdate()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "territory": self.contract.territory}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.contract, meeting=None, **kwargs)

    def form_valid(self, form):
        try:
            meeting = meeting_create(
                roadmap=roadmap_for_contract(self.contract), actor=self.request.user, **form.cleaned_data
            )
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("The meeting is prepared."))
        return redirect("meetings:detail", pk=meeting.pk)


class MeetingDetailView(MeetingAccessMixin, generic.TemplateView):
    """Everything about the meeting: participants, agenda, minutes, decisions with who decided and who
    recorded them, and the version each created."""

    template_name = "roadmaps/meeting_detail.html"

    def load(self):
        self.meeting = self.get_meeting()

    def get_context_data(self, **kwargs):
        meeting = self.meeting
        contract = meeting.roadmap.contract
        decisions = list(meeting_decision_list(meeting))
        for decision in decisions:
            decision.summary = history.decision_details(decision.details)
        return super().get_context_data(
            meeting=meeting,
            contract=contract,
            participants=list(meeting.participants.order_by("last_name", "first_name", "username")),
            decisions=decisions,
            roadmap_url=roadmap_url(contract.pk),
            **kwargs,
        )


class MeetingEditView(MeetingAccessMixin, generic.FormView):
    """Changes the meeting's date, participants, partners, agenda and minutes."""

    template_name = "roadmaps/meeting_form.html"
    form_class = MeetingEditForm

    def load(self):
        self.meeting = self.get_meeting()

    def get_initial(self):
        meeting = self.meeting
        return {
            "held_on": meeting.held_on,
            "participants": list(meeting.participants.all()),
            "partners": meeting.partners,
            "agenda": meeting.agenda,
            "minutes": meeting.minutes,
        }

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "territory": self.meeting.roadmap.contract.territory}

    def get_context_data(self, **kwargs):
        return super().get_context_data(contract=self.meeting.roadmap.contract, meeting=self.meeting, **kwargs)

    def form_valid(self, form):
        try:
            meeting_update(meeting=self.meeting, actor=self.request.user, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.form_invalid(form)
        messages.success(self.request, _("The meeting is saved."))
        return redirect("meetings:detail", pk=self.meeting.pk)


class MeetingDecisionsView(MeetingAccessMixin, generic.TemplateView):
    """Records the decisions taken at the meeting, several at once: all are applied and make one new
    version of the roadmap, or none is (the refusal is shown, the rows kept)."""

    template_name = "roadmaps/meeting_decisions.html"

    def load(self):
        self.meeting = self.get_meeting()

    def render_page(self, formset, problems=(), status=200):
        context = self.get_context_data(
            meeting=self.meeting,
            contract=self.meeting.roadmap.contract,
            formset=formset,
            problems=list(problems),
        )
        return self.render_to_response(context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_page(decision_formset(self.meeting.roadmap))

    def post(self, request, *args, **kwargs):
        formset = decision_formset(self.meeting.roadmap, request.POST)
        if not formset.is_valid():
            problems = list(formset.non_form_errors())
            for number, form in enumerate(formset.forms, start=1):
                problems += [
                    _("Row %(number)s: %(problem)s") % {"number": number, "problem": problem}
                    for problem in form_errors(form)
                ]
            return self.render_page(formset, problems)
        try:
            version = meeting_record_decisions(
                meeting=self.meeting, actor=request.user, decisions=filled_decisions(formset)
            )
        except (PermissionDenied, ValidationError) as error:
            return self.render_page(formset, [error_text(error)])
        messages.success(
            request,
            _("The decisions are recorded: version %(number)s of the roadmap.") % {"number": version.number},
        )
        return redirect("meetings:detail", pk=self.meeting.pk)


class RoadmapVersionsMixin(MeetingAccessMixin):
    def load(self):
        """The contract in the user's scope and its roadmap (None while it has none)."""
        self.contract = self.get_contract()
        try:
            self.roadmap = self.contract.roadmap
        except Roadmap.DoesNotExist:
            self.roadmap = None


class VersionListView(RoadmapVersionsMixin, generic.TemplateView):
    """Every version of the contract's roadmap, newest first: when, by whom, at which meeting, why, and
    what it changed."""

    template_name = "roadmaps/version_list.html"

    def get_context_data(self, **kwargs):
        roadmap = self.roadmap
        versions = list(version_list_for_roadmap(roadmap)) if roadmap else []
        for version in versions:
            version.summary = history.change_sentences(version.changes)
        return super().get_context_data(
            contract=self.contract, versions=versions, roadmap_url=roadmap_url(self.contract.pk), **kwargs
        )


class VersionDetailView(RoadmapVersionsMixin, generic.TemplateView):
    """The roadmap as it stood at a version (every operation), and what changed from the version before."""

    template_name = "roadmaps/version_detail.html"

    def get_context_data(self, **kwargs):
        roadmap = self.roadmap
        number = self.kwargs["number"]
        found = (
            {
                version.number: version
                for version in RoadmapVersion.objects.filter(
                    roadmap=roadmap, number__in=[number, number - 1]
                ).select_related("meeting", "created_by")
            }
            if roadmap
            else {}
        )
        if number not in found:
            raise Http404(_("No such version of the roadmap."))
        version = found[number]
        return super().get_context_data(
            contract=self.contract,
            version=version,
            previous=found.get(number - 1),
            operations=history.snapshot_rows(version),
            diff=history.version_diff(version, found.get(number - 1)),
            changes=history.change_sentences(version.changes),
            roadmap_url=roadmap_url(self.contract.pk),
            **kwargs,
        )


class MeetingViewset(FollowUpApplication):
    """The follow-up meetings and the roadmaps' versions in the staff site's menu, at
    /region/follow-up-meetings/ (URL names `meetings:…`)."""

    title = gettext_lazy("Follow-up meetings")
    icon = "groups"
    app_name = "follow-up-meetings"
    namespace = "meetings"

    @property
    def index_path(self):
        return path("", MeetingIndexView.as_view(), name="index")

    create_path = path("new/<int:contract_pk>/", MeetingCreateView.as_view(), name="create")
    detail_path = path("<int:pk>/", MeetingDetailView.as_view(), name="detail")
    edit_path = path("<int:pk>/edit/", MeetingEditView.as_view(), name="edit")
    decisions_path = path("<int:pk>/decisions/", MeetingDecisionsView.as_view(), name="decisions")
    versions_path = path("roadmap/<int:contract_pk>/versions/", VersionListView.as_view(), name="versions")
    version_path = path("roadmap/<int:contract_pk>/versions/<int:number>/", VersionDetailView.as_view(), name="version")
