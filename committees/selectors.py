"""Reads of committee sessions and agenda items. Lists a user can reach take the user."""

from django.db.models import Count, Q, QuerySet

from committees.models import AGENDA_OPEN_STATUSES, AgendaItem, CommitteeSession, ItemResult
from committees.permissions import can_view_sessions


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
