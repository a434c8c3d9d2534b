"""The committee members' own pages, mounted on the staff site (`workflows.frontend.site`) at
/region/my-sessions/: the sessions they sit on, one session as they see it (agenda, reports, their own
votes, the items they are withdrawn from), and their declared interests.

Only committee members reach them (the application's `has_view_permission`: a 403 for everyone else);
a session the member does not sit on is a 404. Each page costs the same number of queries whatever the
number of sessions or items."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from committees.interests import DESCRIPTION_MAX_LENGTH, interest_declare, interest_remove
from committees.models import AgendaItem, Attendance, CommitteeSession, ItemResult, MemberInterest, Vote, VoteChoice
from committees.permissions import is_committee_member
from committees.voting import Roll
from documents.models import DocumentKind, IssuedDocument
from dossiers.models import Organisation, Territory

SEARCH_LIMIT = 20


# Reads -----------------------------------------------------------------------------------------------


def member_session_list(user) -> QuerySet[CommitteeSession]:
    """The sessions `user` sits on, each with its number of items, the number of items the user is
    withdrawn from (an interest in the sponsor or the territory) and the user's attendance (None: not
    recorded yet), in one query (plus one for the user's interests)."""
    if not is_committee_member(user):
        return CommitteeSession.objects.none()
    organisations, territories = set(), set()
    for organisation_id, territory_id in MemberInterest.objects.filter(member=user).values_list(
        "organisation_id", "territory_id"
    ):
        if organisation_id:
            organisations.add(organisation_id)
        else:
            territories.add(territory_id)
    if organisations or territories:
        withdrawn = Count(
            "items",
            filter=Q(items__dossier__organisation_id__in=organisations)
            | Q(items__dossier__territory_id__in=territories),
            distinct=True,
        )
    else:
        withdrawn = Value(0, output_field=IntegerField())
    return CommitteeSession.objects.filter(members=user).annotate(
        item_count=Count("items", distinct=True),
        withdrawn_count=withdrawn,
        is_present=Subquery(Attendance.objects.filter(session=OuterRef("pk"), member=user).values("is_present")[:1]),
    )


def organisation_search(query: str) -> QuerySet[Organisation]:
    """Organisations whose SIRET starts with the digits typed, or whose name contains the text."""
    query = query.strip()
    if not query:
        return Organisation.objects.none()
    digits = query.replace(" ", "")
    condition = Q(name__icontains=query)
    if digits.isdigit():
        condition |= Q(siret__startswith=digits)
    return Organisation.objects.filter(condition).order_by("name", "pk")[:SEARCH_LIMIT]


# Pages -----------------------------------------------------------------------------------------------


class MemberPageMixin:
    def dispatch(self, request, *args, **kwargs):
        # The application refuses non-members with a 403 already; this keeps the views safe on their own.
        if not is_committee_member(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class MemberSessionListView(MemberPageMixin, generic.ListView):
    """The member's sessions to come (soonest first), then the past ones (most recent first)."""

    template_name = "committees/member_session_list.html"
    context_object_name = "past_sessions"
    paginate_by = 50

    def get_queryset(self):
        self.sessions = member_session_list(self.request.user)
        return self.sessions.filter(sits_on__lt=timezone.localdate()).order_by("-sits_on", "-pk")

    def get_context_data(self, **kwargs):
        upcoming = self.sessions.filter(sits_on__gte=timezone.localdate()).order_by("sits_on", "pk")
        return super().get_context_data(upcoming_sessions=upcoming, **kwargs)


class MemberSessionPageView(MemberPageMixin, generic.TemplateView):
    """A session as the member sees it: the agenda with, per item, the result, the member's own vote (the
    other members' choices are not shown, only the totals) and whether the member is withdrawn from it
    because of a declared interest; the session's presentation reports."""

    template_name = "committees/member_session_page.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        session = member_session_list(user).filter(pk=self.kwargs["pk"]).first()
        if session is None:
            raise Http404(_("No such session, or you do not sit on it."))
        items = list(
            AgendaItem.objects.filter(session=session)
            .select_related("dossier__organisation", "dossier__territory")
            .order_by("position", "pk")
        )
        roll = Roll.of(session)
        own_votes = dict(Vote.objects.filter(item__session=session, member=user).values_list("item_id", "choice"))
        totals = {}
        for item_id, choice, count in (
            Vote.objects.filter(item__session=session)
            .values_list("item_id", "choice")
            .annotate(count=Count("pk"))
            .order_by()
        ):
            totals.setdefault(item_id, {})[choice] = count
        for item in items:
            choice = own_votes.get(item.pk)
            item.own_vote = VoteChoice(choice) if choice else None
            withdrawn = user.pk in roll.withdrawn(item.dossier)
            item.interest = roll.interest_in(user.pk, item.dossier) if withdrawn else None
            item.is_withdrawn = withdrawn or choice == VoteChoice.WITHDRAWN
            item.totals = [
                (label, totals[item.pk][value])
                for value, label in VoteChoice.choices
                if totals.get(item.pk, {}).get(value)
            ]
            item.shown_result = ItemResult(item.result or item.outcome)
            item.result_applied = bool(item.result)
            item.amount_voted = item.voted_amount
            if item.amount_voted is None and not item.result and item.outcome == ItemResult.APPROVED:
                item.amount_voted = item.amount_put_to_vote
        reports = IssuedDocument.objects.filter(session=session, kind=DocumentKind.SESSION_REPORT).order_by(
            "-version", "-pk"
        )
        return super().get_context_data(
            session=session,
            items=items,
            withdrawn_count=sum(1 for item in items if item.is_withdrawn),
            reports=reports,
            **kwargs,
        )


class InterestForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.all(),
        required=False,
        widget=forms.HiddenInput,
    )
    territory = forms.ModelChoiceField(
        label=gettext_lazy("Territory"),
        queryset=Territory.objects.order_by("name", "pk"),
        required=False,
        empty_label=gettext_lazy("Choose a territory"),
    )
    description = forms.CharField(
        label=gettext_lazy("Nature of the interest"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        help_text=gettext_lazy("E.g. chair of the association, mayor of a commune of the territory."),
    )


class MemberInterestsView(MemberPageMixin, generic.TemplateView):
    """The member's declared interests; a new one in an organisation (found by SIRET or name) or in a
    territory."""

    template_name = "committees/member_interests.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        interests = list(MemberInterest.objects.filter(member=user).select_related("organisation", "territory"))
        query = self.request.POST.get("q", self.request.GET.get("q", "")).strip()[:100]
        declared = {interest.organisation_id for interest in interests if interest.organisation_id}
        results = list(organisation_search(query))
        for organisation in results:
            organisation.already_declared = organisation.pk in declared
        kwargs.setdefault("form", InterestForm())
        return super().get_context_data(
            interests=interests,
            q=query,
            results=results,
            description_max_length=DESCRIPTION_MAX_LENGTH,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        form = InterestForm(request.POST)
        if form.is_valid():
            try:
                interest = interest_declare(member=request.user, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(
                    request,
                    _("Your interest in “%(what)s” is declared: you will be withdrawn (déport) from its items.")
                    % {"what": interest.organisation or interest.territory},
                )
                return redirect("my_sessions:interests")
        # An organisation's declaration that failed leaves the territory's form empty.
        shown = InterestForm() if request.POST.get("organisation") else form
        errors = [error for errors in form.errors.values() for error in errors]
        return self.render_to_response(self.get_context_data(form=shown, errors=errors))


class MemberInterestRemoveView(MemberPageMixin, generic.View):
    def post(self, request):
        interest = MemberInterest.objects.filter(member=request.user, pk=_int(request.POST.get("interest"))).first()
        if interest is None:
            raise Http404(_("No such interest among yours."))
        what = interest.organisation or interest.territory
        try:
            interest_remove(member=request.user, interest=interest, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Your interest in “%(what)s” is removed.") % {"what": what})
        return redirect("my_sessions:interests")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class MemberViewset(Application):
    """The committee members' entry in the staff site's menu."""

    title = gettext_lazy("My sessions")
    icon = "how_to_vote"
    # The routes live under /region/my-sessions/; the URL names under "my_sessions:".
    app_name = "my-sessions"
    namespace = "my_sessions"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return is_committee_member(user)

    @property
    def index_path(self):
        return path("", MemberSessionListView.as_view(), name="index")

    @property
    def interests_path(self):
        return path("interests/", MemberInterestsView.as_view(), name="interests")

    @property
    def interest_remove_path(self):
        return path("interests/remove/", MemberInterestRemoveView.as_view(), name="interest_remove")

    @property
    def session_page_path(self):
        return path("<int:pk>/", MemberSessionPageView.as_view(), name="session_page")
