"""Writes of committee sessions, their agendas and deliberation numbers.

`session_create` and `session_set_status` are the secretariat's actions. The `agenda_item_*` functions
are the part of the dossier's committee transitions (`workflows.services.dossier_schedule` and the
others) that concerns the agenda: they run inside the transition's transaction, under its lock on the
dossier, and check no permission of their own.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from committees.models import (
    AgendaItem,
    Body,
    CommitteeSession,
    DeliberationSequence,
    ItemResult,
    SessionStatus,
)
from committees.permissions import can_manage_sessions

# Deliberation numbers -------------------------------------------------------------------------------


def deliberation_number_format(*, body: str, sits_on: date, number: int) -> str:
    """`CP-2026-06-0123`: the body, the year and month of the session, the number in the body's year."""
    return f"{body}-{sits_on.year}-{sits_on.month:02}-{number:04}"


def deliberation_numbers_take(*, body: str, year: int, count: int = 1) -> range:
    """Hands out the next `count` numbers of the body's year under a lock on its sequence; a number
    handed out is never handed out again (unless the transaction that took it rolls back)."""
    with transaction.atomic():
        DeliberationSequence.objects.bulk_create([DeliberationSequence(body=body, year=year)], ignore_conflicts=True)
        sequence = DeliberationSequence.objects.select_for_update().get(body=body, year=year)
        first = sequence.last_number + 1
        sequence.last_number += count
        sequence.save(update_fields=["last_number"])
    return range(first, first + count)


def allocate_deliberation_number(session: CommitteeSession) -> str:
    """The next deliberation number of the session's body and year, e.g. `CP-2026-06-0123`."""
    (number,) = deliberation_numbers_take(body=session.body, year=session.sits_on.year)
    return deliberation_number_format(body=session.body, sits_on=session.sits_on, number=number)


# Sessions -------------------------------------------------------------------------------------------


def session_create(
    *,
    actor,
    body: str = Body.PERMANENT_COMMITTEE,
    sits_on: date,
    place: str = "",
    members=(),
    quorum: int | None = None,
) -> CommitteeSession:
    """The secretariat (or an administrator) creates a session, in preparation, on a date not in the
    past, with its members and, if the default (more than half of the members) does not apply, its
    quorum; its agenda is then built by putting dossiers on it."""
    if not can_manage_sessions(actor):
        raise PermissionDenied(_("Only the committee's secretariat or an administrator can create a session."))
    if sits_on < timezone.localdate():
        raise ValidationError(_("The date of a new session cannot be in the past."), code="past_date")
    members = list(members)
    if quorum is not None and not 1 <= quorum <= max(len(members), 1):
        raise ValidationError(_("The quorum cannot be more than the number of members."), code="invalid_quorum")
    session = CommitteeSession(body=body, sits_on=sits_on, quorum=quorum)
    if place.strip():
        session.place = place.strip()
    session.full_clean()
    with transaction.atomic():
        session.save()
        session.members.set(members)
    return session


def session_set_status(*, session: CommitteeSession, actor, status: str) -> CommitteeSession:
    """Moves the session one step on: in preparation → convened → held → closed, never back. Dossiers
    can be put on (or taken off) the agenda only while it is in preparation or convened. Convening
    issues the presentation report (rendered after the commit; a new version if one was issued before).
    Returns the session as saved."""
    if not can_manage_sessions(actor):
        raise PermissionDenied(_("Only the committee's secretariat or an administrator can change a session."))
    if status == SessionStatus.CLOSED:
        raise ValidationError(
            _("A session is closed by applying its results: use “Close the session” once every item is voted."),
            code="close_with_results",
        )
    with transaction.atomic():
        locked = CommitteeSession.objects.select_for_update().get(pk=session.pk)
        if status != locked.next_status:
            raise ValidationError(
                _("A session “%(current)s” cannot become “%(status)s”: it only moves on to the next step.")
                % {
                    "current": locked.get_status_display(),
                    "status": SessionStatus(status).label if status in SessionStatus.values else status,
                },
                code="invalid_status",
            )
        locked.status = status
        locked.save(update_fields=["status"])
        if status == SessionStatus.CONVENED:
            # Convening sends the members the presentation report: the agenda with the proposals.
            from documents.services import session_issue_report

            session_issue_report(locked, actor=actor)
    return locked


# Agenda items (inside a dossier's transition) --------------------------------------------------------


def agenda_item_add(*, session: CommitteeSession, dossier, at: datetime) -> AgendaItem:
    """Puts the dossier last on the session's agenda (the caller holds the lock on the session's row),
    with the officer's proposal as it stands now."""
    last = AgendaItem.objects.filter(session=session).aggregate(last=Max("position"))["last"] or 0
    return AgendaItem.objects.create(
        session=session,
        dossier=dossier,
        position=last + 1,
        added_at=at,
        proposed_amount=dossier.proposed_amount,
        eligible_base=dossier.eligible_base,
    )


def agenda_item_decide(
    *, item: AgendaItem, result: str, at: datetime, voted_amount: Decimal | None = None
) -> AgendaItem:
    """Records the committee's result on a pending item; an approval or a rejection gets the next
    deliberation number of the session's body and year, a deferral none."""
    item.result = result
    item.decided_at = at
    item.voted_amount = voted_amount if result == ItemResult.APPROVED else None
    if result in (ItemResult.APPROVED, ItemResult.REJECTED):
        item.deliberation_number = allocate_deliberation_number(item.session)
    item.save(update_fields=["result", "decided_at", "voted_amount", "deliberation_number"])
    return item


# Agenda order -----------------------------------------------------------------------------------------

AGENDA_ORDERS = {
    "territory": ("dossier__territory__name", "dossier__contract__name", "dossier__theme__position", "position"),
    "contract": ("dossier__contract__name", "dossier__territory__name", "dossier__theme__position", "position"),
    "theme": ("dossier__theme__position", "dossier__theme__label", "dossier__territory__name", "position"),
}


def agenda_reorder(*, session: CommitteeSession, actor, order_by: str | None = None, item_ids=None) -> None:
    """Numbers the agenda again from 1, either sorted by territory, contract or theme (`order_by`), or
    in the order of `item_ids`, which must list every item of the session once. Only while the agenda
    is open (in preparation or convened)."""
    if not can_manage_sessions(actor):
        raise PermissionDenied(_("Only the committee's secretariat or an administrator can order the agenda."))
    with transaction.atomic():
        locked = CommitteeSession.objects.select_for_update().get(pk=session.pk)
        if not locked.is_open_for_agenda:
            raise ValidationError(
                _("The agenda can be ordered while the session is in preparation or convened."), code="agenda_closed"
            )
        items = AgendaItem.objects.filter(session=locked)
        if order_by is not None:
            if order_by not in AGENDA_ORDERS:
                raise ValidationError(_("Unknown order."), code="invalid_order")
            ordered = list(items.order_by(*AGENDA_ORDERS[order_by], "pk"))
        else:
            by_pk = {item.pk: item for item in items}
            item_ids = [int(pk) for pk in item_ids or ()]
            if sorted(item_ids) != sorted(by_pk):
                raise ValidationError(
                    _("The new order must list every item of the agenda once; reload the page."), code="stale_order"
                )
            ordered = [by_pk[pk] for pk in item_ids]
        for position, item in enumerate(ordered, start=1):
            item.position = position
        AgendaItem.objects.bulk_update(ordered, ["position"])
