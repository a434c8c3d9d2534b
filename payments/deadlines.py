"""The deadlines of a granted dossier (DOMAIN.md, "Lapse"): the project must start (a payment asked)
within `start_delay_months` of the notification and be completed (the balance asked) within
`completion_delay_months`; the sponsor may ask once, before the deadline that runs, for an extension of
`extension_months`, which the territory's officer grants or refuses. Reminders go out
`first_reminder_days` and `second_reminder_days` before the deadline; a daily job (`deadlines_run`,
through the `run_deadlines` task or management command) sends them and lapses every grant whose
deadline has passed with no extension pending.

Selectors: `dossier_deadlines`, `extension_problem`, `deadline_rows`, `running_dossiers`,
`sponsor_dossier_for_extension`, `staff_dossier_for_extension`.
Services: `extension_request`, `extension_decide`, `deadline_reminders_send`, `dossiers_lapse_due`,
`deadlines_run`.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import Dossier
from dossiers.rules import lapse_deadlines
from dossiers.selectors import dossier_list_for_user
from messaging.notices import notices_send
from payments.models import (
    LIVE_REQUEST_STATES,
    Deadline,
    DeadlineReminder,
    ExtensionRequest,
    ExtensionStatus,
    PaymentKind,
    PaymentRequest,
)
from payments.permissions import is_sponsor_member, is_territory_officer
from portal.selectors import sponsor_dossier_get
from workflows.enums import LAPSABLE_STATES, DossierState
from workflows.permissions import SYSTEM
from workflows.recipients import sponsor_members, territory_officers
from workflows.services import Problem, TransitionRefused, dossier_lapse

logger = logging.getLogger(__name__)

# The deadline's name inside a sentence ("the start deadline is ...").
DEADLINE_NAMES = {Deadline.START: gettext_lazy("start"), Deadline.COMPLETION: gettext_lazy("completion")}


# Selectors ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierDeadlines:
    """The dossier's two deadlines (None before the notification), the extension asked if any, whether
    each deadline is met, and the one that runs now (`current`, a `Deadline`, with its date): the start
    until a payment is asked, then the completion until the balance is asked; none once both are met or
    when the grant no longer runs (not notified, convention signed or in payment)."""

    start_on: date | None
    completion_on: date | None
    extension: ExtensionRequest | None
    started: bool
    completed: bool
    current: str | None
    current_on: date | None

    @property
    def extension_pending(self) -> bool:
        return self.extension is not None and self.extension.status == ExtensionStatus.PENDING

    @property
    def extension_granted(self) -> bool:
        return self.extension is not None and self.extension.status == ExtensionStatus.GRANTED

    def date_of(self, deadline: str) -> date | None:
        return self.start_on if deadline == Deadline.START else self.completion_on

    def is_passed(self, today: date) -> bool:
        """The deadline that runs is over: the grant may lapse (the deadline's own day is still in time)."""
        return self.current_on is not None and today > self.current_on

    def days_left(self, today: date) -> int | None:
        return (self.current_on - today).days if self.current_on is not None else None


def with_deadline_facts(dossiers: QuerySet) -> QuerySet:
    """`dossiers` with what `dossier_deadlines` reads, in the same query: the rule set, the extension,
    whether a payment and the balance are asked."""
    live = PaymentRequest.objects.filter(dossier=OuterRef("pk"), state__in=LIVE_REQUEST_STATES)
    return dossiers.select_related("rule_set", "extension_request").annotate(
        payment_asked=Exists(live), balance_asked=Exists(live.filter(kind=PaymentKind.BALANCE))
    )


def _extension_of(dossier: Dossier) -> ExtensionRequest | None:
    try:
        return dossier.extension_request
    except ExtensionRequest.DoesNotExist:
        return None


def dossier_deadlines(dossier: Dossier) -> DossierDeadlines:
    """The deadlines of `dossier` (see `DossierDeadlines`). Reads the annotations of
    `with_deadline_facts` when present, else at most two queries (plus the rule set if not loaded)."""
    extension = _extension_of(dossier)
    started, completed = getattr(dossier, "payment_asked", None), getattr(dossier, "balance_asked", None)
    if started is None or completed is None:
        kinds = set(
            PaymentRequest.objects.filter(dossier=dossier, state__in=LIVE_REQUEST_STATES)
            .values_list("kind", flat=True)
            .distinct()
        )
        started, completed = bool(kinds), PaymentKind.BALANCE in kinds
    # A dossier in payment has been paid something: its project has started, whatever its requests say.
    started = started or dossier.state == DossierState.IN_PAYMENT
    if dossier.notified_on is None or dossier.rule_set_id is None:
        return DossierDeadlines(None, None, extension, started, completed, None, None)
    granted = extension if extension is not None and extension.status == ExtensionStatus.GRANTED else None
    dates = lapse_deadlines(
        notified_on=dossier.notified_on,
        rule_set=dossier.rule_set,
        extended=granted.deadline if granted else None,
        extension_months=granted.months if granted else 0,
    )
    current = None
    if dossier.state in LAPSABLE_STATES:
        if not started:
            current = Deadline.START
        elif not completed:
            current = Deadline.COMPLETION
    current_on = {Deadline.START: dates.start, Deadline.COMPLETION: dates.completion}.get(current)
    return DossierDeadlines(dates.start, dates.completion, extension, started, completed, current, current_on)


def extension_problem(dossier: Dossier, deadlines: DossierDeadlines, today: date) -> Problem | None:
    """Why no extension can be asked on `dossier` now (a code and a message), None when it can."""
    if deadlines.extension is not None:
        return Problem("extension_once", _("An extension can be asked only once."))
    if dossier.state not in LAPSABLE_STATES:
        return Problem(
            "grant_not_running",
            _("An extension can be asked only while the grant runs (notified, convention signed or in payment)."),
        )
    if deadlines.current is None:
        return Problem("no_deadline", _("No deadline runs on this grant: there is nothing to extend."))
    if deadlines.is_passed(today):
        return Problem(
            "deadline_passed",
            _("The %(deadline)s deadline (%(date)s) has passed: an extension must be asked before it.")
            % {
                "deadline": deadlines.current,
                "date": date_format(deadlines.current_on, "SHORT_DATE_FORMAT"),
            },
        )
    return None


@dataclass(frozen=True)
class DeadlineRow:
    """One deadline as the panels show it."""

    deadline: str
    label: str
    on: date
    status: str  # met | runs | passed | later | missed
    extended: bool
    days_left: int | None


def deadline_rows(deadlines: DossierDeadlines, today: date) -> list[DeadlineRow]:
    """Both deadlines with their status, for the dossier pages (empty before the notification)."""
    if deadlines.start_on is None:
        return []
    rows = []
    for deadline, met in ((Deadline.START, deadlines.started), (Deadline.COMPLETION, deadlines.completed)):
        on = deadlines.date_of(deadline)
        if met:
            status = "met"
        elif deadlines.current == deadline:
            status = "passed" if deadlines.is_passed(today) else "runs"
        elif deadlines.current == Deadline.START:
            status = "later"
        else:
            status = "missed"
        rows.append(
            DeadlineRow(
                deadline=deadline,
                label=str(Deadline(deadline).label),
                on=on,
                status=status,
                extended=deadlines.extension_granted and deadlines.extension.deadline == deadline,
                days_left=(on - today).days if status == "runs" else None,
            )
        )
    return rows


def sponsor_dossier_for_extension(user, pk) -> Dossier:
    """A dossier of one of the user's organisations (as a sponsor); Dossier.DoesNotExist otherwise."""
    return sponsor_dossier_get(user, pk)


def staff_dossier_for_extension(user, pk) -> Dossier:
    """A dossier the user decides extensions on (officer of its territory, administrator);
    Dossier.DoesNotExist otherwise, so that other dossiers are not revealed."""
    dossier = dossier_list_for_user(user, staff_only=True).get(pk=pk)
    if not is_territory_officer(user, dossier):
        raise Dossier.DoesNotExist
    return dossier


def running_dossiers() -> QuerySet:
    """The dossiers whose deadlines may run: notified, convention signed or in payment."""
    return with_deadline_facts(
        Dossier.objects.filter(state__in=LAPSABLE_STATES, notified_on__isnull=False).select_related(
            "organisation", "territory"
        )
    ).order_by("pk")


# Extension ----------------------------------------------------------------------------------------


def _lock(dossier_id: int) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("organisation", "territory", "rule_set")
        .get(pk=dossier_id)
    )


def extension_request(*, dossier: Dossier, actor, reason: str) -> ExtensionRequest:
    """A member of the sponsor's organisation asks for the extension of the deadline that runs, before it
    has passed, once for the dossier, with a reason; it lasts `rule_set.extension_months`. While it waits
    for the officer, the grant cannot lapse. Side effect: notice `extension_requested` to the
    territory's officers (in-app and e-mail after the commit). Raises PermissionDenied or ValidationError
    and changes nothing when refused."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = _lock(dossier.pk)
        if not is_sponsor_member(actor, locked):
            raise PermissionDenied(_("Only a member of the sponsor's organisation may ask for an extension."))
        deadlines = dossier_deadlines(locked)
        problem = extension_problem(locked, deadlines, today)
        if problem is not None:
            raise ValidationError(problem.message, code=problem.code)
        if not reason.strip():
            raise ValidationError(_("Say why the extension is needed."), code="reason_required")
        try:
            with transaction.atomic():
                extension = ExtensionRequest.objects.create(
                    dossier=locked,
                    deadline=deadlines.current,
                    deadline_on=deadlines.current_on,
                    months=locked.rule_set.extension_months,
                    reason=reason.strip(),
                    requested_by=actor,
                )
        except IntegrityError:  # another request won the race (the lock makes it unlikely)
            raise ValidationError(_("An extension can be asked only once."), code="extension_once") from None
        notices_send(
            dossier=locked,
            code="extension_requested",
            values={"deadline": deadlines.current, "deadline_on": deadlines.current_on},
            recipients=territory_officers(locked),
        )
    return extension


def extension_decide(*, extension: ExtensionRequest, actor, grant: bool, comment: str = "") -> ExtensionRequest:
    """The territory's officer (or an administrator) grants or refuses a pending extension; a refusal
    needs a comment. A granted extension moves the deadline it concerns by its months. Side effect:
    notice `extension_granted` or `extension_refused` (with the deadline's date, new or kept) to the
    sponsor's members. Raises PermissionDenied or ValidationError and changes nothing when refused."""
    with transaction.atomic():
        dossier = _lock(extension.dossier_id)
        if not is_territory_officer(actor, dossier):
            raise PermissionDenied(
                _("Only an officer of the dossier's territory or an administrator may decide on an extension.")
            )
        locked = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if locked.status != ExtensionStatus.PENDING:
            raise ValidationError(
                _("This extension has already been decided: %(status)s.") % {"status": locked.get_status_display()},
                code="already_decided",
            )
        if not grant and not comment.strip():
            raise ValidationError(_("Say why the extension is refused."), code="comment_required")
        locked.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
        locked.decided_by, locked.decided_at, locked.decision_comment = actor, timezone.now(), comment.strip()
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        dossier.extension_request = locked
        deadline_on = dossier_deadlines(dossier).date_of(locked.deadline)
        notices_send(
            dossier=dossier,
            code="extension_granted" if grant else "extension_refused",
            values={
                "deadline": locked.deadline,
                "deadline_on": deadline_on,
                "comment": locked.decision_comment,
            },
            recipients=sponsor_members(dossier),
        )
    return locked


# The daily job ------------------------------------------------------------------------------------


def _job_day(today: date | None) -> date:
    """The day the job runs as: today by default, or an earlier day; never a later one (the job must never
    lapse a grant before its deadline)."""
    real_today = timezone.localdate()
    if today is None:
        return real_today
    if today > real_today:
        raise ValueError(f"the deadlines' job cannot run as of {today.isoformat()}, a day after today")
    return today


def _reminder_record(dossier: Dossier, deadlines: DossierDeadlines, days_before: int) -> bool:
    """Records the reminder; False when it already was (by an earlier or a concurrent run)."""
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(
                dossier=dossier, deadline=deadlines.current, deadline_on=deadlines.current_on, days_before=days_before
            )
    except IntegrityError:
        return False
    return True


def deadline_reminders_send(*, today: date | None = None) -> int:
    """For each running deadline, a reminder `first_reminder_days` and `second_reminder_days` before it
    (notice `deadline_reminder` with the days left, to the sponsor's members and the territory's
    officers), each sent once: a `DeadlineReminder` row per dossier, deadline date and delay, whose unique
    constraint keeps two runs (even at the same moment) from sending it twice. When both delays are due
    at once (a late first run), only the nearest is sent and both are recorded. A deadline moved by an
    extension gets its own reminders. Returns the number of reminders sent (one per dossier and delay)."""
    today = _job_day(today)
    recorded = Prefetch(
        "deadline_reminders",
        queryset=DeadlineReminder.objects.only("dossier_id", "deadline", "deadline_on", "days_before"),
    )
    sent = 0
    for dossier in running_dossiers().prefetch_related(recorded).iterator(chunk_size=500):
        deadlines = dossier_deadlines(dossier)
        if deadlines.current is None:
            continue
        delays = {dossier.rule_set.first_reminder_days, dossier.rule_set.second_reminder_days}
        due = sorted(d for d in delays if deadlines.current_on - timedelta(days=d) <= today < deadlines.current_on)
        known = {
            r.days_before
            for r in dossier.deadline_reminders.all()
            if (r.deadline, r.deadline_on) == (deadlines.current, deadlines.current_on)
        }
        if not due or due[0] in known:
            continue
        with transaction.atomic():
            created = [days for days in due if _reminder_record(dossier, deadlines, days)]
            if due[0] not in created:
                continue
            notices_send(
                dossier=dossier,
                code="deadline_reminder",
                values={
                    "deadline": deadlines.current,
                    "deadline_on": deadlines.current_on,
                    "days": deadlines.days_left(today),
                },
                recipients=[*sponsor_members(dossier), *territory_officers(dossier)],
            )
        sent += 1
    return sent


def _lapse_due(deadlines: DossierDeadlines, today: date) -> bool:
    return deadlines.current is not None and deadlines.is_passed(today) and not deadlines.extension_pending


def _lapse_one(dossier_id: int, today: date) -> bool:
    """Lapses the dossier if it is still due, under its row lock; False when another run holds the lock
    or has lapsed it, or when its deadline moved meanwhile (no refusal recorded for those)."""
    with transaction.atomic():
        locked = (
            Dossier.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("rule_set")
            .filter(pk=dossier_id)
            .first()
        )
        if locked is None:
            return False
        deadlines = dossier_deadlines(locked)
        if not _lapse_due(deadlines, today):
            return False
        comment = _("The %(deadline)s deadline (%(date)s) has passed.") % {
            "deadline": deadlines.current,
            "date": date_format(deadlines.current_on, "SHORT_DATE_FORMAT"),
        }
        try:
            dossier_lapse(dossier=locked, actor=SYSTEM, comment=comment)
        except TransitionRefused as refusal:  # recorded by the service: worth a look
            logger.warning("dossier %s was due to lapse but the lapse was refused: %s", dossier_id, refusal.message)
            return False
    return True


def dossiers_lapse_due(*, today: date | None = None) -> list[int]:
    """Lapses every running grant whose deadline has passed with no extension pending, each in its own
    transaction under its row lock (a concurrent run skips the rows it holds, and re-checks the others
    once it has them), through `workflows.services.dossier_lapse` as the system: one transition audit
    event each, the commitment released, the sponsor's members and the territory's officers told.
    Returns the ids of the dossiers lapsed by this run."""
    today = _job_day(today)
    due = [dossier.pk for dossier in running_dossiers() if _lapse_due(dossier_deadlines(dossier), today)]
    return [dossier_id for dossier_id in due if _lapse_one(dossier_id, today)]


def deadlines_run(*, today: date | None = None) -> tuple[int, list[int]]:
    """The daily job: the reminders, then the lapses. Returns (reminders sent, ids of the dossiers
    lapsed). Idempotent, and safe to run twice at once."""
    today = _job_day(today)
    return deadline_reminders_send(today=today), dossiers_lapse_due(today=today)
