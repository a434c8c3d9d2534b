"""The session itself: attendance, votes (item by item or en bloc with exceptions), deferrals, and the
closing that applies every result to its dossier.

Rules, in the order they are checked:
- votes are recorded while the session is held, on items whose result has not been applied yet;
- only members recorded as present vote; a member with a declared interest in the item's sponsor or
  territory is withdrawn from it (déport): recorded as such, neither counted nor allowed to vote;
- the quorum (the session's, else more than half of its members) counts the present members who are
  not withdrawn from the item, and is checked before any result is recorded;
- an amendment sets the amount voted: more than zero, never above the amount requested;
- the item is approved when it has more votes for than against, else rejected (a rejection needs a
  reason for the letter); a deferral is a decision of its own, with its reason.

Recording a vote again replaces the item's earlier record. Nothing touches the dossier before
`session_close`, which applies each result through the dossier's services (one transaction per item)
and then has the whole session's letters rendered as one background batch.

Refusals raise `ValidationError` with a code and a French message (or `PermissionDenied`); a refused
call writes nothing."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from committees.models import (
    AgendaItem,
    Attendance,
    CommitteeSession,
    ItemResult,
    MemberInterest,
    SessionStatus,
    Vote,
    VoteChoice,
)
from committees.permissions import can_manage_sessions
from dossiers.money import ZERO, format_eur

# A closing that has not finished after this long is taken to have died (its process was killed).
CLOSING_STALE_AFTER = timedelta(minutes=30)


def member_name(member) -> str:
    return member.get_full_name() or member.get_username()


def _require_manager(actor) -> None:
    if not can_manage_sessions(actor):
        raise PermissionDenied(_("Only the committee's secretariat or an administrator can record the session."))


def _locked_session(session: CommitteeSession, *statuses: str, refusal: str) -> CommitteeSession:
    locked = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    if locked.status not in statuses:
        raise ValidationError(refusal % {"status": locked.get_status_display()}, code="invalid_session_status")
    if locked.closing_since is not None and timezone.now() - locked.closing_since < CLOSING_STALE_AFTER:
        raise ValidationError(_("The session is being closed: wait for the closing to finish."), code="closing")
    return locked


def _held_session(session: CommitteeSession) -> CommitteeSession:
    return _locked_session(
        session,
        SessionStatus.HELD,
        refusal=_("Votes are recorded while the session is held; it is “%(status)s”."),
    )


# Who is there, who withdraws ------------------------------------------------------------------------


@dataclass
class Roll:
    """A session's members, those present, and their declared interests."""

    session: CommitteeSession
    members: dict = field(default_factory=dict)  # id → user
    present: set = field(default_factory=set)
    by_organisation: dict = field(default_factory=lambda: defaultdict(set))
    by_territory: dict = field(default_factory=lambda: defaultdict(set))
    interests: dict = field(default_factory=lambda: defaultdict(list))  # member id → interests

    @classmethod
    def of(cls, session: CommitteeSession) -> "Roll":
        """Three queries: the members, the attendance, the interests."""
        roll = cls(session=session)
        roll.members = {member.pk: member for member in session.members.order_by("last_name", "first_name", "pk")}
        roll.present = set(
            Attendance.objects.filter(session=session, is_present=True, member_id__in=roll.members).values_list(
                "member_id", flat=True
            )
        )
        for interest in MemberInterest.objects.filter(member_id__in=roll.members).select_related(
            "organisation", "territory"
        ):
            roll.interests[interest.member_id].append(interest)
            if interest.organisation_id:
                roll.by_organisation[interest.organisation_id].add(interest.member_id)
            else:
                roll.by_territory[interest.territory_id].add(interest.member_id)
        return roll

    def withdrawn(self, dossier) -> set[int]:
        """The members with a declared interest in the dossier's sponsor or territory."""
        return self.by_organisation.get(dossier.organisation_id, set()) | self.by_territory.get(
            dossier.territory_id, set()
        )

    def interest_in(self, member_id: int, dossier):
        for interest in self.interests.get(member_id, ()):
            if interest.organisation_id == dossier.organisation_id or interest.territory_id == dossier.territory_id:
                return interest
        return None


def session_record_attendance(*, session: CommitteeSession, actor, present: Iterable[int]) -> CommitteeSession:
    """Records which members are present (the others absent), once the session is convened and until
    it is closed. Returns the session."""
    _require_manager(actor)
    present = {int(pk) for pk in present}
    with transaction.atomic():
        locked = _locked_session(
            session,
            SessionStatus.CONVENED,
            SessionStatus.HELD,
            refusal=_(
                "Attendance is recorded once the session is convened and until it is closed; it is “%(status)s”."
            ),
        )
        member_ids = set(locked.members.values_list("pk", flat=True))
        strangers = present - member_ids
        if strangers:
            raise ValidationError(_("Only the session's members can be recorded as present."), code="not_a_member")
        now = timezone.now()
        existing = {row.member_id: row for row in Attendance.objects.filter(session=locked)}
        changed, created = [], []
        for member_id in member_ids:
            row = existing.get(member_id)
            if row is None:
                created.append(
                    Attendance(
                        session=locked,
                        member_id=member_id,
                        is_present=member_id in present,
                        recorded_at=now,
                        recorded_by=actor,
                    )
                )
            elif row.is_present != (member_id in present):
                row.is_present, row.recorded_at, row.recorded_by = member_id in present, now, actor
                changed.append(row)
        Attendance.objects.bulk_create(created)
        Attendance.objects.bulk_update(changed, ["is_present", "recorded_at", "recorded_by"])
    return locked


# Votes -----------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """The counts of one item's vote and what they decide."""

    votes: dict  # member id → choice, withdrawn members included
    counts: dict
    outcome: str

    @property
    def counted(self) -> int:
        return sum(count for choice, count in self.counts.items() if choice != VoteChoice.WITHDRAWN)


def _tally(item: AgendaItem, roll: Roll, choices: Mapping[int, str], *, en_bloc: bool) -> Tally:
    """Checks one item's votes against the roll and the quorum, and counts them. In a vote en bloc,
    the group's choice of a member withdrawn from this item is recorded as withdrawn; item by item,
    it is refused."""
    dossier = item.dossier
    interested = roll.withdrawn(dossier) & roll.present
    votes = {}
    for member_id, choice in choices.items():
        if choice not in VoteChoice.values:
            raise ValidationError(_("“%(choice)s” is not a vote.") % {"choice": choice}, code="invalid_choice")
        if member_id not in roll.present:
            name = member_name(roll.members[member_id]) if member_id in roll.members else str(member_id)
            raise ValidationError(
                _("%(member)s is not recorded as present: their vote cannot be recorded.") % {"member": name},
                code="not_present",
            )
        if member_id in interested and choice != VoteChoice.WITHDRAWN:
            if en_bloc:
                continue
            interest = roll.interest_in(member_id, dossier)
            raise ValidationError(
                _(
                    "%(member)s declared an interest in %(what)s and withdraws from this item (déport): "
                    "their vote cannot be recorded."
                )
                % {
                    "member": member_name(roll.members[member_id]),
                    "what": interest.organisation or interest.territory,
                },
                code="member_withdrawn",
            )
        votes[member_id] = choice
    for member_id in interested:
        votes[member_id] = VoteChoice.WITHDRAWN
    missing = [roll.members[pk] for pk in roll.present if pk not in votes]
    if missing:
        raise ValidationError(
            _("No vote is recorded for %(members)s.") % {"members": ", ".join(member_name(m) for m in missing)},
            code="vote_missing",
        )
    counts = {choice: 0 for choice in VoteChoice.values}
    for choice in votes.values():
        counts[choice] += 1
    _check_quorum(item, roll, withdrawn=counts[VoteChoice.WITHDRAWN])
    outcome = ItemResult.APPROVED if counts[VoteChoice.FOR] > counts[VoteChoice.AGAINST] else ItemResult.REJECTED
    return Tally(votes=votes, counts=counts, outcome=outcome)


def _check_quorum(item: AgendaItem, roll: Roll, *, withdrawn: int) -> None:
    required = roll.session.quorum_for(len(roll.members))
    counted = len(roll.present) - withdrawn
    if counted < required:
        raise ValidationError(
            _(
                "The quorum is not reached for item %(position)s: %(counted)s members present and not withdrawn, "
                "%(required)s needed. No result is recorded."
            )
            % {"position": item.position, "counted": counted, "required": required},
            code="quorum_not_reached",
        )


def _check_amendment(item: AgendaItem, amount: Decimal | None) -> None:
    if amount is None:
        return
    requested = item.dossier.requested_amount
    if amount <= ZERO:
        raise ValidationError(_("The amended amount must be more than zero."), code="invalid_amount")
    if amount > requested:
        raise ValidationError(
            _("The committee cannot vote more than the amount requested (%(requested)s): %(amount)s is refused.")
            % {"requested": format_eur(requested), "amount": format_eur(amount)},
            code="amount_above_request",
        )


def _pending_items(session: CommitteeSession, ids: Iterable[int] | None = None):
    items = (
        AgendaItem.objects.select_for_update(of=("self",))
        .filter(session=session, result=ItemResult.PENDING)
        .select_related("dossier")
        .order_by("position", "pk")
    )
    return items.filter(pk__in=list(ids)) if ids is not None else items


def _held_item(item: AgendaItem) -> tuple[CommitteeSession, AgendaItem]:
    """The item's held session and the item itself, both locked, if its result is not applied yet."""
    session = _held_session(item.session)
    locked = _pending_items(session, [item.pk]).first()
    if locked is None:
        raise ValidationError(_("This item's result is already applied."), code="already_applied")
    return session, locked


def _write(items_tallies, *, actor, now, en_bloc: bool) -> None:
    Vote.objects.filter(item__in=[item for item, _tally in items_tallies]).delete()
    Vote.objects.bulk_create(
        [
            Vote(item=item, member_id=member_id, choice=choice, recorded_at=now, recorded_by=actor)
            for item, tally in items_tallies
            if tally is not None
            for member_id, choice in tally.votes.items()
        ]
    )
    for item, _tally in items_tallies:
        item.outcome_recorded_at, item.voted_en_bloc, item.apply_error = now, en_bloc, ""
    AgendaItem.objects.bulk_update(
        [item for item, _tally in items_tallies],
        ["outcome", "amended_amount", "outcome_reason", "outcome_recorded_at", "voted_en_bloc", "apply_error"],
    )


def item_record_votes(
    *,
    item: AgendaItem,
    actor,
    votes: Mapping[int, str],
    amended_amount: Decimal | None = None,
    reason: str = "",
) -> AgendaItem:
    """Records each present member's vote on one item, with the committee's amendment of the amount
    if any, and the outcome they decide. Returns the item as saved."""
    _require_manager(actor)
    with transaction.atomic():
        session, locked = _held_item(item)
        roll = Roll.of(session)
        tally = _tally(locked, roll, {int(k): v for k, v in votes.items()}, en_bloc=False)
        _check_amendment(locked, amended_amount)
        if tally.outcome == ItemResult.REJECTED and not reason.strip():
            raise ValidationError(
                _("The item is rejected by this vote: give the reason, which the letter will state."),
                code="reason_required",
            )
        locked.outcome = tally.outcome
        locked.amended_amount = amended_amount if tally.outcome == ItemResult.APPROVED else None
        locked.outcome_reason = reason.strip() if tally.outcome == ItemResult.REJECTED else ""
        _write([(locked, tally)], actor=actor, now=timezone.now(), en_bloc=False)
    return locked


def item_defer(*, item: AgendaItem, actor, reason: str) -> AgendaItem:
    """The committee defers the item to a later session (a quorum is needed, and a reason)."""
    _require_manager(actor)
    if not reason.strip():
        raise ValidationError(_("Give the reason for the deferral."), code="reason_required")
    with transaction.atomic():
        session, locked = _held_item(item)
        roll = Roll.of(session)
        _check_quorum(locked, roll, withdrawn=len(roll.withdrawn(locked.dossier) & roll.present))
        locked.outcome, locked.amended_amount, locked.outcome_reason = ItemResult.DEFERRED, None, reason.strip()
        _write([(locked, None)], actor=actor, now=timezone.now(), en_bloc=False)
    return locked


@dataclass
class BlockResult:
    items: list
    withdrawals: int  # déports recorded in the block

    @property
    def approved(self) -> int:
        return sum(1 for item in self.items if item.outcome == ItemResult.APPROVED)


def session_record_block_vote(
    *,
    session: CommitteeSession,
    actor,
    votes: Mapping[int, str],
    items: Iterable[int] | None = None,
    exceptions: Iterable[int] = (),
    reason: str = "",
) -> BlockResult:
    """One vote "en bloc" for a group of items (by default every item without a result yet), less the
    listed exceptions, which are voted on one by one. Each member's choice applies to every item of
    the group, except the items the member is withdrawn from, where the withdrawal is recorded instead.
    Every item is checked (presence, quorum) before anything is written: one refusal refuses the
    block. Items keep their proposed amount (amendments are voted item by item)."""
    _require_manager(actor)
    exceptions = {int(pk) for pk in exceptions}
    with transaction.atomic():
        locked = _held_session(session)
        candidates = _pending_items(locked, None if items is None else {int(pk) for pk in items})
        if items is None:
            candidates = candidates.filter(outcome="")
        group = [item for item in candidates if item.pk not in exceptions]
        if not group:
            raise ValidationError(_("No item is left in the group to vote en bloc."), code="empty_block")
        roll = Roll.of(locked)
        choices = {int(k): v for k, v in votes.items()}
        tallies, withdrawals = [], 0
        for item in group:
            tally = _tally(item, roll, choices, en_bloc=True)
            withdrawals += tally.counts[VoteChoice.WITHDRAWN]
            tallies.append((item, tally))
        rejected = [item for item, tally in tallies if tally.outcome == ItemResult.REJECTED]
        if rejected and not reason.strip():
            raise ValidationError(
                ngettext(
                    "%(count)s item is rejected by this vote: give the reason, which the letters will state.",
                    "%(count)s items are rejected by this vote: give the reason, which the letters will state.",
                    len(rejected),
                )
                % {"count": len(rejected)},
                code="reason_required",
            )
        for item, tally in tallies:
            item.outcome = tally.outcome
            item.amended_amount = None
            item.outcome_reason = reason.strip() if tally.outcome == ItemResult.REJECTED else ""
        _write(tallies, actor=actor, now=timezone.now(), en_bloc=True)
    return BlockResult(items=group, withdrawals=withdrawals)


# Closing ---------------------------------------------------------------------------------------------


@dataclass
class ClosingReport:
    session: CommitteeSession
    applied: int = 0
    refused: list = field(default_factory=list)  # (item, message)
    batch: object = None
    letters: int = 0

    @property
    def closed(self) -> bool:
        return self.session.status == SessionStatus.CLOSED


def _closing_begin(session: CommitteeSession, actor) -> CommitteeSession:
    """Checks that the session can be closed (held, every item voted, no closing under way) and marks
    it as being closed: votes and a second closing are refused until the flag is cleared."""
    _require_manager(actor)
    with transaction.atomic():
        locked = _held_session(session)
        if not locked.items.exists():
            raise ValidationError(_("The session has no item on its agenda."), code="empty_agenda")
        undecided = list(
            locked.items.filter(result=ItemResult.PENDING, outcome="")
            .order_by("position")
            .values_list("position", flat=True)
        )
        if undecided:
            raise ValidationError(
                ngettext(
                    "Item %(positions)s has no recorded vote yet: the session cannot be closed.",
                    "Items %(positions)s have no recorded vote yet: the session cannot be closed.",
                    len(undecided),
                )
                % {"positions": ", ".join(str(p) for p in undecided[:20]) + ("…" if len(undecided) > 20 else "")},
                code="items_without_vote",
            )
        locked.closing_since = timezone.now()
        locked.save(update_fields=["closing_since"])
    return locked


def _closing_apply(session: CommitteeSession, actor) -> ClosingReport:
    """Applies the items not applied yet, then clears the closing flag (and closes the session when
    every item is applied), whatever happened."""
    from documents.services import rendering_batched
    from workflows.services import TransitionRefused, dossier_approve, dossier_defer, dossier_reject

    report = ClosingReport(session=session)
    completed = False
    try:
        with rendering_batched() as requested:
            items = (
                AgendaItem.objects.filter(session=session, result=ItemResult.PENDING)
                .select_related("dossier", "envelope")
                .order_by("position", "pk")
            )
            for item in items:
                try:
                    if item.outcome == ItemResult.APPROVED:
                        dossier_approve(
                            dossier=item.dossier, actor=actor, amount=item.amount_put_to_vote, envelope=item.envelope
                        )
                    elif item.outcome == ItemResult.REJECTED:
                        dossier_reject(dossier=item.dossier, actor=actor, reason=item.outcome_reason)
                    else:
                        dossier_defer(dossier=item.dossier, actor=actor, reason=item.outcome_reason)
                except TransitionRefused as refusal:
                    AgendaItem.objects.filter(pk=item.pk).update(apply_error=refusal.message)
                    report.refused.append((item, refusal.message))
                else:
                    report.applied += 1
                    if item.apply_error:
                        AgendaItem.objects.filter(pk=item.pk).update(apply_error="")
        report.letters = len(requested.job_ids)
        report.batch = requested.batch
        completed = True
    finally:
        with transaction.atomic():
            locked = CommitteeSession.objects.select_for_update().get(pk=session.pk)
            locked.closing_since = None
            if completed and not report.refused:
                locked.status = SessionStatus.CLOSED
            locked.save(update_fields=["closing_since", "status"])
        report.session = locked
    return report


def session_close(*, session: CommitteeSession, actor) -> ClosingReport:
    """Applies every item's result to its dossier through the dossier's services, one transaction per
    item, in the agenda's order (so the deliberation numbers follow it): approvals commit the amount
    voted on the envelope, rejections and deferrals move the dossier. An item the dossier's services
    refuse (e.g. the envelope has no room left) keeps its vote and the reason; the session then stays
    held so the committee's record can be corrected and the closing run again (items already applied
    are not applied twice). Once every item is applied the session is closed; the letters requested on
    the way are rendered as one background batch."""
    return _closing_apply(_closing_begin(session, actor), actor)


def session_close_enqueue(*, session: CommitteeSession, actor) -> CommitteeSession:
    """The same closing, checked now and run by a background task (`committees.tasks.close_session`):
    the page follows its progress (items applied out of the agenda) while `closing_since` is set. With
    the immediate tasks backend the task runs before this returns."""
    from committees.tasks import close_session

    locked = _closing_begin(session, actor)
    close_session.enqueue(session_id=locked.pk, actor_id=actor.pk)
    return CommitteeSession.objects.get(pk=locked.pk)


def session_close_run(*, session_id: int, actor_id: int) -> ClosingReport:
    """The task's side: applies the results of a closing begun by `session_close_enqueue`."""
    actor = get_user_model().objects.get(pk=actor_id)
    session = CommitteeSession.objects.get(pk=session_id)
    if session.closing_since is None or session.status != SessionStatus.HELD:
        # Already finished (a task delivered twice): nothing to do.
        return ClosingReport(session=session)
    return _closing_apply(session, actor)


def closing_progress(session: CommitteeSession) -> dict:
    """Items applied out of the agenda's items, for the page that follows a closing."""
    counts = session.items.aggregate(
        total=Count("pk"),
        applied=Count("pk", filter=~Q(result=ItemResult.PENDING)),
        refused=Count("pk", filter=~Q(apply_error="")),
    )
    counts["running"] = session.closing_since is not None
    return counts
