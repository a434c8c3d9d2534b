"""Reads of committee sessions and agenda items. Lists a user can reach take the user."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from committees.models import AGENDA_OPEN_STATUSES, AgendaItem, CommitteeSession, ItemResult, VoteChoice
from committees.permissions import can_view_sessions
from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from workflows.enums import DossierState, OpinionVerdict
from workflows.models import Opinion


def pending_item(dossier) -> AgendaItem | None:
    """The agenda item on which the dossier waits for the committee's decision, if any."""
    return AgendaItem.objects.select_related("session").filter(dossier=dossier, result=ItemResult.PENDING).first()


def decision_item(dossier) -> AgendaItem | None:
    """The committee's latest decision on the dossier that carries a deliberation number (approval or
    rejection), with its session: what a letter cites as "délibération n° … du …"."""
    return (
        AgendaItem.objects.select_related("session")
        .filter(dossier=dossier, deliberation_number__isnull=False)
        .order_by("-decided_at", "-pk")
        .first()
    )


def agenda_item_list_for_dossier(dossier) -> QuerySet[AgendaItem]:
    """Every session the dossier was put on, oldest first."""
    return AgendaItem.objects.select_related("session").filter(dossier=dossier).order_by("added_at", "pk")


def sessions_open_for_agenda() -> QuerySet[CommitteeSession]:
    """The sessions a dossier may be put on now, soonest first."""
    return CommitteeSession.objects.filter(status__in=AGENDA_OPEN_STATUSES).order_by("sits_on", "pk")


def session_list_for_user(user) -> QuerySet[CommitteeSession]:
    """Every session for the committee's secretariat and members and for administrators, most recent
    first, each with its number of items and of decided items (in the same query); none for others."""
    if not can_view_sessions(user):
        return CommitteeSession.objects.none()
    return CommitteeSession.objects.annotate(
        item_count=Count("items"),
        decided_count=Count("items", filter=~Q(items__result=ItemResult.PENDING)),
    ).order_by("-sits_on", "-pk")


def agenda_item_list_for_session(user, session: CommitteeSession) -> QuerySet[AgendaItem]:
    """The agenda of `session` in order, with each dossier's sponsor and territory."""
    if not can_view_sessions(user):
        return AgendaItem.objects.none()
    return (
        AgendaItem.objects.filter(session=session)
        .select_related("dossier__organisation", "dossier__territory")
        .order_by("position", "pk")
    )


def agenda_item_list_with_votes(user, session: CommitteeSession) -> QuerySet[AgendaItem]:
    """The agenda of `session` in order, as the session page shows it: each dossier with its sponsor,
    territory, contract and theme, and each item with the counts of its recorded votes (in the same
    query)."""
    counts = {
        f"votes_{choice}": Count("votes", filter=Q(votes__choice=choice))
        for choice in (
            VoteChoice.FOR,
            VoteChoice.AGAINST,
            VoteChoice.ABSTENTION,
            VoteChoice.NOT_TAKING_PART,
            VoteChoice.WITHDRAWN,
        )
    }
    return (
        agenda_item_list_for_session(user, session)
        .select_related("dossier__contract", "dossier__theme")
        .annotate(**counts)
    )


def dossier_list_ready_for_agenda(user) -> QuerySet[Dossier]:
    """The reviewed dossiers `user` sees as staff, none of them waiting on an agenda (a reviewed dossier
    never does: putting it on one makes it scheduled), by territory, contract and reference, with their
    sponsor, territory, contract and theme."""
    if not can_view_sessions(user):
        return Dossier.objects.none()
    return (
        dossier_list_for_user(user, staff_only=True)
        .filter(state=DossierState.REVIEWED)
        .order_by("territory__name", "contract__name", "reference")
    )


@dataclass(frozen=True)
class OpinionSummary:
    """How many opinions asked on a dossier are favourable, favourable with reservations,
    unfavourable, or still awaited."""

    favourable: int = 0
    reserved: int = 0
    unfavourable: int = 0
    awaited: int = 0

    @property
    def asked(self) -> int:
        return self.favourable + self.reserved + self.unfavourable + self.awaited


def opinion_summaries(dossier_ids: Iterable[int] | QuerySet) -> dict[int, OpinionSummary]:
    """The summary of the opinions asked on each of the dossiers (ids, or a queryset of ids so that a
    long agenda stays one subquery), in one query; a dossier without opinions has none in the result."""
    rows = (
        Opinion.objects.filter(dossier_id__in=dossier_ids)
        .values("dossier_id")
        .annotate(
            favourable=Count("pk", filter=Q(verdict=OpinionVerdict.FAVOURABLE)),
            reserved=Count("pk", filter=Q(verdict=OpinionVerdict.RESERVED)),
            unfavourable=Count("pk", filter=Q(verdict=OpinionVerdict.UNFAVOURABLE)),
            awaited=Count("pk", filter=Q(given_at__isnull=True)),
        )
        .order_by()
    )
    return {row.pop("dossier_id"): OpinionSummary(**row) for row in rows}


def committee_member_list():
    """The users holding the committee member role, by name."""
    from django.contrib.auth import get_user_model

    from workflows.enums import Role

    return get_user_model().objects.filter(groups__name=Role.COMMITTEE_MEMBER).order_by("last_name", "first_name", "pk")
