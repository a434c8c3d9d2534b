"""The only way to change a dossier's state: one service per action.

Every service, in one transaction:
1. locks the dossier's row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers with
   IMMEDIATE transactions);
2. checks that the actor's role and scope (territory, organisation) allow the action;
3. checks that the state allows it, then the guards of the Region's rules;
4. applies the FSM transition and saves (django-fsm-2 refuses a concurrent change of state);
5. writes one `AuditEvent` of kind transition;
6. schedules the side effects of `workflows.hooks` for after the commit.

A refusal raises `TransitionRefused` with a code and a translated message, changes nothing, and is
recorded as one `AuditEvent` of kind refusal (written after the rollback). Services return the dossier
as saved; the instance passed in is not modified.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from committees.models import AgendaItem, CommitteeSession, ItemResult
from committees.services import agenda_item_add, agenda_item_decide
from dossiers.enums import ContractStatus, SelfFinancingExemption
from dossiers.models import Dossier, Envelope, PieceType, RuleSet
from dossiers.money import ZERO, format_eur, format_rate, round_cents
from dossiers.rules import (
    convention_required,
    de_minimis_room,
    dossier_financing_plan,
    meets_self_financing,
)
from workflows.enums import COMMITTED_STATES, AuditKind, DossierState
from workflows.hooks import schedule_side_effects
from workflows.lifecycle import TRANSITIONS
from workflows.models import AuditEvent, Opinion
from workflows.permissions import SYSTEM, can_fire_transition


class RefusalCategory:
    PERMISSION = "permission"  # the actor may not do this (HTTP 403)
    STATE = "state"  # the dossier's state or a rule forbids it now (HTTP 409)
    PAYLOAD = "payload"  # what was sent is wrong (HTTP 400)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


class TransitionRefused(Exception):
    def __init__(self, problems: list[Problem], category: str = RefusalCategory.STATE):
        self.problems = problems
        self.category = category
        super().__init__(self.message)

    @classmethod
    def single(cls, code: str, message: str, category: str = RefusalCategory.STATE) -> "TransitionRefused":
        return cls([Problem(code, message)], category)

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def codes(self) -> list[str]:
        return [problem.code for problem in self.problems]

    @property
    def message(self) -> str:
        return " ".join(problem.message for problem in self.problems)


def _actor_name(actor) -> str:
    if actor is SYSTEM:
        return str(SYSTEM)
    if actor is None or not getattr(actor, "is_authenticated", False):
        return _("anonymous")
    return actor.get_full_name() or actor.get_username()


def _audit_actor(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _fire(
    *, dossier: Dossier, actor, name: str, ip_address: str | None, comment: str = "", guard=None, then=None, **changes
) -> Dossier:
    """`guard(locked, now)` raises TransitionRefused, or returns changes to pass to the transition;
    `then(locked)` writes what belongs to the same action, in the same transaction."""
    spec = TRANSITIONS[name]
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = (
                Dossier.objects.select_for_update(of=("self",))
                .select_related("organisation", "contract", "rule_set")
                .get(pk=dossier.pk)
            )
            from_state = locked.state
            decision = can_fire_transition(actor, locked, spec)
            if not decision:
                raise TransitionRefused.single("forbidden", decision.reason, RefusalCategory.PERMISSION)
            if not can_proceed(getattr(locked, name)):
                raise TransitionRefused.single(
                    "invalid_state",
                    _("“%(action)s” is not possible while the dossier is “%(state)s”.")
                    % {"action": spec.label, "state": locked.get_state_display()},
                )
            if spec.comment_required and not comment.strip():
                raise TransitionRefused.single(
                    "comment_required", _("A reason is required for this action."), RefusalCategory.PAYLOAD
                )
            if guard is not None:
                changes.update(guard(locked, now) or {})
            getattr(locked, name)(at=now, **changes)
            locked.state_changed_at = now
            locked.save()
            event = AuditEvent.objects.create(
                created_at=now,
                kind=AuditKind.TRANSITION,
                dossier=locked,
                actor=_audit_actor(actor),
                actor_name=_actor_name(actor),
                transition=name,
                from_state=from_state,
                to_state=locked.state,
                comment=comment,
                ip_address=ip_address,
            )
            if then is not None:
                then(locked)
            schedule_side_effects(event)
    except ConcurrentTransition:
        refusal = TransitionRefused.single(
            "concurrent", _("Someone changed this dossier at the same moment; reload it and try again.")
        )
        _record_refusal(
            dossier=dossier, actor=actor, name=name, refusal=refusal, comment=comment, ip_address=ip_address
        )
        raise refusal from None
    except TransitionRefused as refusal:
        _record_refusal(
            dossier=dossier, actor=actor, name=name, refusal=refusal, comment=comment, ip_address=ip_address
        )
        raise
    return locked


def _record_refusal(*, dossier, actor, name, refusal: TransitionRefused, comment, ip_address) -> None:
    with transaction.atomic():
        AuditEvent.objects.create(
            kind=AuditKind.REFUSAL,
            dossier_id=dossier.pk,
            actor=_audit_actor(actor),
            actor_name=_actor_name(actor),
            transition=name,
            from_state=Dossier.objects.filter(pk=dossier.pk).values_list("state", flat=True).get(),
            comment=comment,
            reason_code=",".join(refusal.codes),
            reason=refusal.message,
            ip_address=ip_address,
        )


# Guards -------------------------------------------------------------------------------------------


def submission_problems(dossier: Dossier, rule_set: RuleSet, today: date) -> list[Problem]:
    """Everything that stops a dossier from being submitted, each with its figures."""
    problems = []
    plan = dossier_financing_plan(dossier)
    organisation = dossier.organisation
    if plan.total_cost <= 0:
        problems.append(Problem("no_expenses", _("The financing plan has no expense line.")))
    elif not plan.is_balanced:
        problems.append(
            Problem(
                "unbalanced_plan",
                _("The financing plan is not balanced: resources %(funding)s for a total cost of %(cost)s.")
                % {"funding": format_eur(plan.total_funding), "cost": format_eur(plan.total_cost)},
            )
        )
    if plan.region_funding != dossier.requested_amount:
        problems.append(
            Problem(
                "requested_mismatch",
                _(
                    "The Region's line of the financing plan (%(line)s) differs from the amount requested "
                    "(%(requested)s)."
                )
                % {
                    "line": format_eur(plan.region_funding),
                    "requested": format_eur(dossier.requested_amount),
                },
            )
        )
    if dossier.requested_amount > plan.eligible_expenses:
        problems.append(
            Problem(
                "requested_above_eligible",
                _("The amount requested (%(requested)s) exceeds the eligible expenses (%(eligible)s).")
                % {
                    "requested": format_eur(dossier.requested_amount),
                    "eligible": format_eur(plan.eligible_expenses),
                },
            )
        )
    present = set(dossier.pieces.values_list("piece_type_id", flat=True))
    missing = [t.label for t in PieceType.objects.mandatory_for(organisation.legal_form) if t.pk not in present]
    if missing:
        problems.append(
            Problem("missing_pieces", _("Mandatory pieces missing: %(pieces)s.") % {"pieces": ", ".join(missing)})
        )
    if (
        organisation.is_public_law
        and dossier.self_financing_exemption == SelfFinancingExemption.NONE
        and not meets_self_financing(plan, rule_set.self_financing_min_rate)
    ):
        share = plan.own_share_of_public or ZERO
        problems.append(
            Problem(
                "self_financing",
                _(
                    "Self-financing rule (CGCT L1111-10): the owner's own contribution (%(own)s) is %(share)s of the "
                    "public funding (%(public)s); at least %(minimum)s is required."
                )
                % {
                    "own": format_eur(plan.own_contribution),
                    "share": format_rate(share),
                    "public": format_eur(plan.public_funding),
                    "minimum": format_rate(rule_set.self_financing_min_rate),
                },
            )
        )
    if organisation.is_undertaking:
        problems += de_minimis_problems(dossier, dossier.requested_amount, rule_set, today)
    if dossier.planned_start < today:
        problems.append(
            Problem(
                "work_started",
                _("Work must not start before the dossier is submitted: the planned start (%(start)s) is in the past.")
                % {"start": date_format(dossier.planned_start, "SHORT_DATE_FORMAT")},
            )
        )
    communes = list(dossier.communes.values_list("epci__territory_id", flat=True))
    if not communes:
        problems.append(Problem("no_commune", _("Give the commune(s) where the project takes place.")))
    elif any(territory_id != dossier.territory_id for territory_id in communes):
        problems.append(
            Problem(
                "commune_outside_territory",
                _("Every commune of the project must belong to the contract's territory."),
            )
        )
    if dossier.contract.status != ContractStatus.SIGNED:
        problems.append(Problem("contract_closed", _("The contract is not open to new dossiers.")))
    return problems


def de_minimis_problems(dossier: Dossier, amount: Decimal, rule_set: RuleSet, today: date) -> list[Problem]:
    room = de_minimis_room(organisation=dossier.organisation, on=today, rule_set=rule_set, exclude=dossier)
    if amount <= room.room:
        return []
    return [
        Problem(
            "de_minimis",
            _(
                "De minimis cap (EU regulation 2023/2831): %(received)s of de minimis aid received since %(since)s "
                "(%(declared)s declared, %(granted)s granted by the Region) plus %(amount)s would exceed %(cap)s; "
                "at most %(room)s can be granted."
            )
            % {
                "received": format_eur(room.received),
                "since": date_format(room.window_start, "SHORT_DATE_FORMAT"),
                "declared": format_eur(room.declared),
                "granted": format_eur(room.granted_here),
                "amount": format_eur(amount),
                "cap": format_eur(room.cap),
                "room": format_eur(room.room),
            },
        )
    ]


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise TransitionRefused(problems)


def envelope_committed_amounts(envelope_ids) -> dict[int, Decimal]:
    """What is committed on each envelope: for each dossier that holds a commitment, its final grant once
    the balance has fixed it (the grant reduced pro rata), otherwise its amount granted; so lapses,
    withdrawals and refusals release the whole grant and a reduction the part no longer needed. The one
    definition of the commitment: the vote's guard, the envelopes' pages, the scenarios and the
    consistency check all read it. One query; envelopes without any are left out."""
    rows = (
        Dossier.objects.filter(envelope_id__in=list(envelope_ids), state__in=COMMITTED_STATES)
        .values("envelope_id")
        .annotate(total=Sum(Coalesce("final_amount", "granted_amount")))
    )
    # Rounded: SQLite sums decimals as floats.
    return {row["envelope_id"]: round_cents(row["total"] or ZERO) for row in rows}


def dossier_commitment(dossier: Dossier) -> Decimal:
    """One dossier's share of `envelope_committed_amounts` (the same rule, for a dossier in hand)."""
    if dossier.state not in COMMITTED_STATES:
        return ZERO
    return dossier.final_amount if dossier.final_amount is not None else dossier.granted_amount


def envelope_committed(envelope: Envelope) -> Decimal:
    return envelope_committed_amounts([envelope.pk]).get(envelope.pk, ZERO)


def _envelope_for_approval(dossier: Dossier, envelope: Envelope | None, today: date) -> Envelope:
    """The envelope the vote commits, locked so that concurrent votes cannot over-commit it."""
    envelopes = Envelope.objects.select_for_update().filter(contract_id=dossier.contract_id, is_open=True)
    if envelope is not None:
        chosen = envelopes.filter(pk=envelope.pk).first()
    else:
        chosen = envelopes.filter(year=today.year).first() or (envelopes.first() if envelopes.count() == 1 else None)
    if chosen is None:
        raise TransitionRefused.single("no_envelope", _("The contract has no open envelope for this commitment."))
    return chosen


# Services -----------------------------------------------------------------------------------------


def dossier_submit(*, dossier: Dossier, actor, ip_address: str | None = None) -> Dossier:
    """Sponsor submits a draft. Guards: `submission_problems` under the rule set in force, which the
    dossier keeps from now on. Side effects: acknowledgement to the sponsor, notice to the officers."""
    current = RuleSet.objects.current()

    def guard(locked, now):
        _raise_if(submission_problems(locked, current, timezone.localdate(now)))

    return _fire(dossier=dossier, actor=actor, name="submit", ip_address=ip_address, guard=guard, rule_set=current)


def dossier_resubmit(*, dossier: Dossier, actor, ip_address: str | None = None) -> Dossier:
    """Sponsor submits an incomplete dossier again, under the rules of its first submission."""

    def guard(locked, now):
        _raise_if(submission_problems(locked, locked.rule_set, timezone.localdate(now)))

    return _fire(dossier=dossier, actor=actor, name="resubmit", ip_address=ip_address, guard=guard)


def dossier_withdraw(*, dossier: Dossier, actor, reason: str = "", ip_address: str | None = None) -> Dossier:
    """Sponsor withdraws the dossier; impossible once a payment has been made (state in payment). A
    dossier waiting on a session's agenda leaves it."""

    def leave_the_agenda(locked):
        AgendaItem.objects.filter(dossier=locked, result=ItemResult.PENDING).delete()

    return _fire(
        dossier=dossier, actor=actor, name="withdraw", ip_address=ip_address, comment=reason, then=leave_the_agenda
    )


def dossier_declare_incomplete(
    *, dossier: Dossier, actor, missing: str, pieces_due_on: date | None = None, ip_address: str | None = None
) -> Dossier:
    """Officer lists what is missing, and may say by when it is expected; the sponsor is told and may
    resubmit."""

    def guard(locked, now):
        if pieces_due_on is not None and pieces_due_on <= timezone.localdate(now):
            raise TransitionRefused.single(
                "invalid_due_date",
                _("The date by which the pieces are expected must be in the future."),
                RefusalCategory.PAYLOAD,
            )

    return _fire(
        dossier=dossier,
        actor=actor,
        name="declare_incomplete",
        ip_address=ip_address,
        comment=missing,
        guard=guard,
        pieces_due_on=pieces_due_on,
    )


def dossier_declare_admissible(*, dossier: Dossier, actor, comment: str = "", ip_address: str | None = None) -> Dossier:
    """Officer declares the dossier complete; the date of completeness is recorded."""
    return _fire(dossier=dossier, actor=actor, name="declare_admissible", ip_address=ip_address, comment=comment)


def dossier_declare_inadmissible(*, dossier: Dossier, actor, reason: str, ip_address: str | None = None) -> Dossier:
    """Officer closes a submitted or admissible dossier as inadmissible, with the reason."""
    return _fire(dossier=dossier, actor=actor, name="declare_inadmissible", ip_address=ip_address, comment=reason)


def dossier_start_review(
    *,
    dossier: Dossier,
    actor,
    opinion_services=(),
    opinion_question: str = "",
    opinions_due_on: date | None = None,
    ip_address: str | None = None,
) -> Dossier:
    """The officer starts the review and may ask, in the same action, the opinion of one or more
    services (each gets a task in its queue, due on `opinions_due_on`)."""

    def guard(locked, now):
        if not opinion_services:
            return
        problems = []
        if opinions_due_on is None or opinions_due_on <= timezone.localdate(now):
            problems.append(Problem("invalid_due_date", _("The due date of an opinion must be in the future.")))
        if not opinion_question.strip():
            problems.append(Problem("question_required", _("Say what the services are asked about.")))
        if problems:
            raise TransitionRefused(problems, RefusalCategory.PAYLOAD)

    def ask_opinions(locked):
        Opinion.objects.bulk_create(
            [
                Opinion(
                    dossier=locked,
                    service=service,
                    question=opinion_question,
                    requested_by=actor,
                    due_on=opinions_due_on,
                )
                for service in opinion_services
            ]
        )

    return _fire(
        dossier=dossier, actor=actor, name="start_review", ip_address=ip_address, guard=guard, then=ask_opinions
    )


def dossier_complete_review(
    *,
    dossier: Dossier,
    actor,
    eligible_base: Decimal,
    proposed_amount: Decimal,
    convention_decided: bool = False,
    comment: str = "",
    ip_address: str | None = None,
) -> Dossier:
    """Officer records the proposal: eligible base (at most the eligible expenses) and amount
    (more than zero, at most the amount requested and the eligible base)."""

    def guard(locked, now):
        plan = dossier_financing_plan(locked)
        problems = []
        if not ZERO < eligible_base <= plan.eligible_expenses:
            problems.append(
                Problem(
                    "invalid_base",
                    _("The eligible base must be more than zero and at most the eligible expenses (%(eligible)s).")
                    % {"eligible": format_eur(plan.eligible_expenses)},
                )
            )
        if not ZERO < proposed_amount <= min(locked.requested_amount, eligible_base):
            problems.append(
                Problem(
                    "invalid_amount",
                    _(
                        "The proposed amount must be more than zero and at most the amount requested "
                        "(%(requested)s) and the eligible base."
                    )
                    % {"requested": format_eur(locked.requested_amount)},
                )
            )
        if problems:
            raise TransitionRefused(problems, RefusalCategory.PAYLOAD)

    return _fire(
        dossier=dossier,
        actor=actor,
        name="complete_review",
        ip_address=ip_address,
        comment=comment,
        guard=guard,
        eligible_base=eligible_base,
        proposed_amount=proposed_amount,
        convention_decided=convention_decided,
    )


def _open_session(session: CommitteeSession) -> CommitteeSession:
    """The session's row, locked (its agenda positions and status are read under the lock), if it is
    still open for agenda."""
    locked = CommitteeSession.objects.select_for_update().get(pk=session.pk)
    if not locked.is_open_for_agenda:
        raise TransitionRefused.single(
            "session_closed_for_agenda",
            _("The agenda of the session of %(date)s is closed: the session is “%(status)s”.")
            % {"date": date_format(locked.sits_on, "SHORT_DATE_FORMAT"), "status": locked.get_status_display()},
        )
    return locked


def _pending_item(dossier: Dossier) -> AgendaItem:
    """The agenda item on which the dossier waits, locked."""
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(dossier=dossier, result=ItemResult.PENDING)
        .first()
    )
    if item is None:
        raise TransitionRefused.single("not_on_agenda", _("The dossier is not on the agenda of a session."))
    return item


def dossier_schedule(
    *,
    dossier: Dossier,
    actor,
    session: CommitteeSession,
    proposal: tuple[Decimal, Decimal] | None = None,
    envelope: Envelope | None = None,
    ip_address: str | None = None,
) -> Dossier:
    """Puts the dossier last on the agenda of `session`, which must be in preparation or convened and
    must not have had the dossier already (a deferred dossier goes to a later session); the agenda item
    keeps the officer's proposal (amount and eligible base) as it stands now.

    `proposal` (amount, eligible base) replaces the officer's proposal, e.g. from a scenario: 0 <
    amount ≤ requested and ≤ base. `envelope`, an open envelope of the dossier's contract, is the one
    the approval will commit (by default the contract's envelope of the year of the vote)."""

    def guard(locked, now):
        _open_session(session)
        if AgendaItem.objects.filter(session=session, dossier=locked).exists():
            raise TransitionRefused.single(
                "already_on_session", _("The dossier has already been on the agenda of this session.")
            )
        if proposal is not None:
            amount, base = proposal
            if not (ZERO < amount <= locked.requested_amount and base > ZERO and amount <= base):
                raise TransitionRefused.single(
                    "invalid_proposal",
                    _(
                        "The amount proposed must be more than zero, at most the amount requested "
                        "(%(requested)s) and at most the eligible base."
                    )
                    % {"requested": format_eur(locked.requested_amount)},
                    RefusalCategory.PAYLOAD,
                )
        if envelope is not None and not (envelope.contract_id == locked.contract_id and envelope.is_open):
            raise TransitionRefused.single(
                "invalid_envelope",
                _("The envelope “%(envelope)s” is not an open envelope of the dossier's contract.")
                % {"envelope": envelope.label},
                RefusalCategory.PAYLOAD,
            )
        return {"proposal": proposal}

    def then(locked):
        item = agenda_item_add(session=session, dossier=locked, at=locked.state_changed_at)
        if envelope is not None:
            item.envelope = envelope
            item.save(update_fields=["envelope"])

    return _fire(dossier=dossier, actor=actor, name="schedule", ip_address=ip_address, guard=guard, then=then)


def dossier_unschedule(*, dossier: Dossier, actor, ip_address: str | None = None) -> Dossier:
    """Takes the dossier off the agenda it waits on (its item is deleted), while that session is still
    open for agenda; the dossier goes back to reviewed."""

    def guard(locked, now):
        item = _pending_item(locked)
        _open_session(item.session)

    def then(locked):
        _pending_item(locked).delete()

    return _fire(dossier=dossier, actor=actor, name="unschedule", ip_address=ip_address, guard=guard, then=then)


def _require_pending_item(locked: Dossier, now) -> None:
    """Guard of the committee's decisions: the dossier waits on an agenda."""
    _pending_item(locked)


def _record_result(result: str, voted_amount: Decimal | None = None):
    """The follow-up of a committee decision: the result on the dossier's pending agenda item, with a
    deliberation number for an approval or a rejection."""

    def then(locked):
        agenda_item_decide(
            item=_pending_item(locked), result=result, at=locked.state_changed_at, voted_amount=voted_amount
        )

    return then


def dossier_defer(*, dossier: Dossier, actor, reason: str, ip_address: str | None = None) -> Dossier:
    """The committee defers the item (result deferred, no deliberation number): the dossier goes back
    to reviewed, for a later session."""
    return _fire(
        dossier=dossier,
        actor=actor,
        name="defer",
        ip_address=ip_address,
        comment=reason,
        guard=_require_pending_item,
        then=_record_result(ItemResult.DEFERRED),
    )


def dossier_approve(
    *,
    dossier: Dossier,
    actor,
    amount: Decimal,
    envelope: Envelope | None = None,
    comment: str = "",
    ip_address: str | None = None,
) -> Dossier:
    """Records the committee's approval of `amount` on the dossier's pending agenda item, with the
    next deliberation number of the session's body and year, and commits it on the contract's envelope.

    Guards: the dossier waits on an agenda; 0 < amount ≤ requested; for undertakings, the de minimis
    room; an open envelope of the contract (the given one, else this year's) whose row is locked and
    whose remaining room covers the amount, so concurrent votes can never over-commit it."""

    def guard(locked, now):
        _pending_item(locked)
        if not ZERO < amount <= locked.requested_amount:
            raise TransitionRefused.single(
                "invalid_amount",
                _("The amount voted must be more than zero and at most the amount requested (%(requested)s).")
                % {"requested": format_eur(locked.requested_amount)},
                RefusalCategory.PAYLOAD,
            )
        if locked.organisation.is_undertaking:
            _raise_if(de_minimis_problems(locked, amount, locked.rule_set, timezone.localdate(now)))
        chosen = _envelope_for_approval(locked, envelope, timezone.localdate(now))
        remaining = chosen.amount - envelope_committed(chosen)
        if amount > remaining:
            raise TransitionRefused.single(
                "envelope_exceeded",
                _("The envelope “%(envelope)s” has %(remaining)s left: %(amount)s cannot be committed.")
                % {
                    "envelope": chosen.label,
                    "remaining": format_eur(remaining),
                    "amount": format_eur(amount),
                },
            )
        return {"envelope": chosen}

    return _fire(
        dossier=dossier,
        actor=actor,
        name="approve",
        ip_address=ip_address,
        comment=comment,
        guard=guard,
        then=_record_result(ItemResult.APPROVED, voted_amount=amount),
        amount=amount,
        envelope=envelope,
    )


def dossier_reject(*, dossier: Dossier, actor, reason: str, ip_address: str | None = None) -> Dossier:
    """Records the committee's rejection on the dossier's pending agenda item, with the next
    deliberation number of the session's body and year."""
    return _fire(
        dossier=dossier,
        actor=actor,
        name="reject",
        ip_address=ip_address,
        comment=reason,
        guard=_require_pending_item,
        then=_record_result(ItemResult.REJECTED),
    )


def dossier_notify(*, dossier: Dossier, actor, ip_address: str | None = None) -> Dossier:
    """The decision is notified: the date starts the lapse deadlines."""
    return _fire(dossier=dossier, actor=actor, name="notify", ip_address=ip_address)


def dossier_sign_agreement(*, dossier: Dossier, actor, signed_on: date, ip_address: str | None = None) -> Dossier:
    """Records the convention signed by both parties; only when the rules require one."""

    def guard(locked, now):
        if not convention_required(dossier=locked, amount=locked.granted_amount, rule_set=locked.rule_set):
            raise TransitionRefused.single("convention_not_required", _("No convention is required for this grant."))
        if not locked.notified_on <= signed_on <= timezone.localdate(now):
            raise TransitionRefused.single(
                "invalid_date",
                _("The convention's date must be between the notification and today."),
                RefusalCategory.PAYLOAD,
            )

    return _fire(
        dossier=dossier,
        actor=actor,
        name="sign_agreement",
        ip_address=ip_address,
        guard=guard,
        signed_on=signed_on,
    )


def dossier_start_payment(*, dossier: Dossier, actor, ip_address: str | None = None) -> Dossier:
    """The first payment is made; a required convention must have been signed first."""

    def guard(locked, now):
        if locked.state == DossierState.NOTIFIED and convention_required(
            dossier=locked, amount=locked.granted_amount, rule_set=locked.rule_set
        ):
            raise TransitionRefused.single(
                "convention_not_signed", _("The convention must be signed before the first payment.")
            )

    return _fire(dossier=dossier, actor=actor, name="start_payment", ip_address=ip_address, guard=guard)


def dossier_mark_paid(*, dossier: Dossier, actor, final_amount: Decimal, ip_address: str | None = None) -> Dossier:
    """The balance is validated: the grant is settled at `final_amount` (reduced pro rata, at most the
    amount granted); the rest of the commitment is released from the envelope. Called by the payment
    requests' validation (`payments.services`)."""

    def guard(locked, now):
        if not ZERO <= final_amount <= locked.granted_amount:
            raise TransitionRefused.single(
                "invalid_final_amount",
                _("The final grant must be between zero and the amount granted (%(granted)s).")
                % {"granted": format_eur(locked.granted_amount)},
                RefusalCategory.PAYLOAD,
            )

    return _fire(
        dossier=dossier, actor=actor, name="mark_paid", ip_address=ip_address, guard=guard, final_amount=final_amount
    )


def dossier_close(*, dossier: Dossier, actor, comment: str = "", ip_address: str | None = None) -> Dossier:
    return _fire(dossier=dossier, actor=actor, name="close", ip_address=ip_address, comment=comment)


def dossier_lapse(*, dossier: Dossier, actor, comment: str = "", ip_address: str | None = None) -> Dossier:
    """Caducité: allowed once the deadline that runs now (`payments.deadlines.dossier_deadlines`: the
    start until a payment is asked, then the completion until the balance is asked, each moved by a
    granted extension) has passed, and not while an extension waits for the officer's decision. The
    actor is an officer, or `SYSTEM` for the deadlines' job. The grant's commitment is released from the
    envelope (commitments are summed from the dossiers that hold one)."""
    from payments.deadlines import dossier_deadlines  # payments builds on the lifecycle, not the reverse

    def guard(locked, now):
        deadlines = dossier_deadlines(locked)
        if deadlines.current is None:
            raise TransitionRefused.single(
                "no_deadline", _("No deadline runs on this grant: the project has started and its balance is asked.")
            )
        if deadlines.extension_pending:
            raise TransitionRefused.single(
                "extension_pending", _("An extension is waiting for the officer's decision: the grant cannot lapse.")
            )
        if not deadlines.is_passed(timezone.localdate(now)):
            raise TransitionRefused.single(
                "deadline_not_passed",
                _("The grant cannot lapse before %(deadline)s.")
                % {"deadline": date_format(deadlines.current_on, "SHORT_DATE_FORMAT")},
            )

    return _fire(dossier=dossier, actor=actor, name="lapse", ip_address=ip_address, comment=comment, guard=guard)
