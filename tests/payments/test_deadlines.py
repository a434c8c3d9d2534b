"""The deadlines of a granted dossier (DOMAIN.md, "Lapse"): start within 12 months of the notification (a
payment asked), completion within 36 months (the balance asked), from the rule set; one extension asked
by the sponsor before expiry, granted or refused by the officer; reminders 60 and 15 days before; the
daily job that lapses every overdue grant once and releases its commitment."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from dossiers.models import Dossier
from dossiers.money import add_months
from dossiers.services import ruleset_publish
from messaging.enums import NotificationKind
from messaging.models import Notification
from payments import deadlines
from payments.deadlines import (
    deadline_reminders_send,
    deadlines_run,
    dossier_deadlines,
    dossiers_lapse_due,
    extension_decide,
    extension_request,
)
from payments.models import (
    Deadline,
    DeadlineReminder,
    ExtensionRequest,
    ExtensionStatus,
    PaymentKind,
    PaymentRequest,
    RequestState,
)
from payments.tasks import run_deadlines
from tests.factories import OrganisationFactory, make_dossier, make_user, snapshot
from workflows import services
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.permissions import SYSTEM
from workflows.services import envelope_committed

pytestmark = pytest.mark.django_db
S = DossierState
D = Decimal


def today():
    return timezone.localdate()


def notified(dossier, on: date):
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=on)
    return Dossier.objects.get(pk=dossier.pk)


def granted(state=S.NOTIFIED, *, contract, months_ago=None, days_ago=30, **kwargs):
    """A granted dossier notified `months_ago` months and one day ago (its deadline passed), or
    `days_ago` days ago."""
    dossier = make_dossier(state, contract=contract, convention=True, notified_days_ago=days_ago, **kwargs)
    if months_ago is not None:
        dossier = notified(dossier, add_months(today(), -months_ago) - timedelta(days=1))
    return dossier


def ask_payment(dossier, kind=PaymentKind.ADVANCE, state=RequestState.SUBMITTED):
    return PaymentRequest.objects.create(dossier=dossier, kind=kind, state=state, created_by=dossier.created_by)


def notices(code, dossier=None):
    found = Notification.objects.filter(kind=NotificationKind.NOTICE, notice=code)
    if dossier is not None:
        found = found.filter(dossier=dossier)
    return list(found.select_related("recipient"))


def extension_rows(dossier):
    return list(ExtensionRequest.objects.filter(dossier=dossier).values())


# The deadlines ------------------------------------------------------------------------------------


def test_deadlines_run_from_the_notification_by_the_rule_set(contract):
    dossier = granted(contract=contract)
    notified_on = dossier.notified_on
    facts = dossier_deadlines(dossier)
    assert facts.start_on == add_months(notified_on, 12)
    assert facts.completion_on == add_months(notified_on, 36)
    assert (facts.current, facts.current_on) == (Deadline.START, facts.start_on)

    rules = ruleset_publish(actor=None, note="test", start_delay_months=6, completion_delay_months=24)
    Dossier.objects.filter(pk=dossier.pk).update(rule_set=rules)
    facts = dossier_deadlines(Dossier.objects.get(pk=dossier.pk))
    assert (facts.start_on, facts.completion_on) == (add_months(notified_on, 6), add_months(notified_on, 24))


def test_start_deadline_is_met_by_a_payment_asked_and_completion_by_the_balance_asked(contract):
    dossier = granted(contract=contract)
    ask_payment(dossier, state=RequestState.RETURNED)  # a returned request is no payment asked
    assert dossier_deadlines(dossier).current == Deadline.START

    ask_payment(dossier, state=RequestState.PAID)
    facts = dossier_deadlines(dossier)
    assert (facts.started, facts.completed, facts.current) == (True, False, Deadline.COMPLETION)
    assert facts.current_on == facts.completion_on

    ask_payment(dossier, kind=PaymentKind.BALANCE, state=RequestState.SUBMITTED)
    facts = dossier_deadlines(dossier)
    assert (facts.started, facts.completed, facts.current, facts.current_on) == (True, True, None, None)


def test_a_dossier_in_payment_has_started(contract):
    dossier = granted(S.IN_PAYMENT, contract=contract)
    assert dossier_deadlines(dossier).current == Deadline.COMPLETION


@pytest.mark.parametrize("state", [S.APPROVED, S.PAID, S.CLOSED, S.LAPSED, S.WITHDRAWN])
def test_no_deadline_runs_on_a_grant_not_notified_or_settled(contract, state):
    assert dossier_deadlines(make_dossier(state, contract=contract)).current is None


def test_the_deadline_annotations_give_the_same_facts_as_the_queries(contract):
    dossier = granted(contract=contract)
    ask_payment(dossier)
    annotated = deadlines.running_dossiers().get(pk=dossier.pk)
    assert dossier_deadlines(annotated) == dossier_deadlines(Dossier.objects.get(pk=dossier.pk))


# Extension ----------------------------------------------------------------------------------------


def test_sponsor_asks_an_extension_of_the_running_deadline_and_the_officers_are_told(contract, officer):
    dossier = granted(contract=contract)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="  Chantier retardé  ")
    facts = dossier_deadlines(dossier)
    assert (extension.deadline, extension.deadline_on, extension.months) == (Deadline.START, facts.start_on, 12)
    assert (extension.status, extension.reason, extension.requested_by) == (
        ExtensionStatus.PENDING,
        "Chantier retardé",
        dossier.created_by,
    )
    assert facts.extension_pending
    assert facts.start_on == add_months(dossier.notified_on, 12)  # pending: the deadline has not moved
    [notice] = notices("extension_requested", dossier)
    assert notice.recipient == officer
    assert notice.notice_values["deadline_on"] == facts.start_on.isoformat()


def test_extension_can_be_asked_only_once(contract, officer):
    dossier = granted(contract=contract)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    extension_decide(extension=extension, actor=officer, grant=False, comment="Pas justifié")
    before = extension_rows(dossier)
    with pytest.raises(ValidationError) as refused:
        extension_request(dossier=dossier, actor=dossier.created_by, reason="Encore")
    assert refused.value.code == "extension_once"
    assert extension_rows(dossier) == before


def test_extension_can_be_asked_only_before_the_deadline_expires(contract):
    dossier = granted(contract=contract, months_ago=12)  # the start deadline was yesterday
    with pytest.raises(ValidationError) as refused:
        extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    assert refused.value.code == "deadline_passed"
    assert not ExtensionRequest.objects.exists()


def test_extension_can_still_be_asked_on_the_day_of_the_deadline(contract):
    dossier = granted(contract=contract)
    notified_on = add_months(today(), -12)
    if add_months(notified_on, 12) != today():
        pytest.skip("today has no date 12 months earlier")
    dossier = notified(dossier, notified_on)
    assert extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard").deadline_on == today()


def test_extension_can_be_asked_only_by_a_sponsor_member_of_the_dossier(contract, officer):
    dossier = granted(contract=contract)
    other_sponsor = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    for actor in (officer, other_sponsor, make_user(Role.ADMINISTRATOR)):
        with pytest.raises(PermissionDenied):
            extension_request(dossier=dossier, actor=actor, reason="Retard")
    assert not ExtensionRequest.objects.exists()
    assert not notices("extension_requested")


def test_extension_needs_a_reason(contract):
    dossier = granted(contract=contract)
    with pytest.raises(ValidationError) as refused:
        extension_request(dossier=dossier, actor=dossier.created_by, reason="   ")
    assert refused.value.code == "reason_required"
    assert not ExtensionRequest.objects.exists()


@pytest.mark.parametrize("state", [S.APPROVED, S.PAID, S.LAPSED])
def test_extension_can_be_asked_only_while_the_grant_runs(contract, state):
    dossier = make_dossier(state, contract=contract)
    with pytest.raises(ValidationError) as refused:
        extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    assert refused.value.code == "grant_not_running"
    assert not ExtensionRequest.objects.exists()


def test_granted_extension_moves_the_deadline_it_concerns(contract, officer):
    dossier = granted(contract=contract)
    start, completion = dossier_deadlines(dossier).start_on, dossier_deadlines(dossier).completion_on
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    decided = extension_decide(extension=extension, actor=officer, grant=True)
    assert (decided.status, decided.decided_by) == (ExtensionStatus.GRANTED, officer)
    facts = dossier_deadlines(Dossier.objects.get(pk=dossier.pk))
    assert (facts.start_on, facts.completion_on) == (add_months(start, 12), completion)
    assert facts.current_on == add_months(start, 12)
    [notice] = notices("extension_granted", dossier)
    assert notice.recipient == dossier.created_by
    assert notice.notice_values["deadline_on"] == add_months(start, 12).isoformat()


def test_refused_extension_keeps_the_deadline_and_says_why(contract, officer):
    dossier = granted(contract=contract)
    start = dossier_deadlines(dossier).start_on
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    extension_decide(extension=extension, actor=officer, grant=False, comment="Aucun justificatif")
    facts = dossier_deadlines(Dossier.objects.get(pk=dossier.pk))
    assert (facts.extension.status, facts.start_on, facts.extension_pending) == (ExtensionStatus.REFUSED, start, False)
    [notice] = notices("extension_refused", dossier)
    assert notice.notice_values == {
        "deadline": Deadline.START,
        "deadline_on": start.isoformat(),
        "comment": "Aucun justificatif",
    }
    with translation.override("fr"):
        assert "l'échéance de commencement" in notice.title


def test_refusing_an_extension_needs_a_comment(contract, officer):
    dossier = granted(contract=contract)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    before = extension_rows(dossier)
    with pytest.raises(ValidationError) as refused:
        extension_decide(extension=extension, actor=officer, grant=False, comment=" ")
    assert refused.value.code == "comment_required"
    assert extension_rows(dossier) == before


def test_extension_is_decided_only_by_the_territorys_officer_or_an_administrator(contract, other_territory):
    dossier = granted(contract=contract)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    before = extension_rows(dossier)
    for actor in (
        make_user(Role.OFFICER, territory=other_territory),
        dossier.created_by,
        make_user(Role.FINANCE),
    ):
        with pytest.raises(PermissionDenied):
            extension_decide(extension=extension, actor=actor, grant=True)
    assert extension_rows(dossier) == before
    extension_decide(extension=extension, actor=make_user(Role.ADMINISTRATOR), grant=True)
    assert ExtensionRequest.objects.get().status == ExtensionStatus.GRANTED


def test_extension_is_decided_once(contract, officer):
    dossier = granted(contract=contract)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    extension_decide(extension=extension, actor=officer, grant=True)
    before = extension_rows(dossier)
    with pytest.raises(ValidationError) as refused:
        extension_decide(extension=extension, actor=officer, grant=False, comment="Finalement non")
    assert refused.value.code == "already_decided"
    assert extension_rows(dossier) == before


# The lapse's guard -------------------------------------------------------------------------------


def test_grant_cannot_lapse_while_an_extension_is_pending(contract, officer):
    dossier = granted(contract=contract, days_ago=300)
    extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    dossier = notified(dossier, add_months(today(), -13))  # the deadline passes while the officer decides
    before = snapshot(dossier.pk)
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_lapse(dossier=dossier, actor=officer)
    assert refused.value.code == "extension_pending"
    assert snapshot(dossier.pk) == before


def test_grant_cannot_lapse_once_its_balance_is_asked(contract, officer):
    dossier = granted(S.IN_PAYMENT, contract=contract, months_ago=37)
    ask_payment(dossier, kind=PaymentKind.BALANCE)
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_lapse(dossier=dossier, actor=officer)
    assert refused.value.code == "no_deadline"


def test_a_started_grant_cannot_lapse_at_its_start_deadline(contract, officer):
    dossier = granted(contract=contract, months_ago=13)
    ask_payment(dossier)
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_lapse(dossier=dossier, actor=officer)
    assert refused.value.code == "deadline_not_passed"


def test_granted_extension_postpones_the_lapse(contract, officer):
    dossier = granted(contract=contract, days_ago=300)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    extension_decide(extension=extension, actor=officer, grant=True)
    dossier = notified(dossier, add_months(today(), -13))
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_lapse(dossier=dossier, actor=officer)
    assert refused.value.code == "deadline_not_passed"


def test_the_system_may_fire_only_the_lapse(contract):
    dossier = granted(S.PAID, contract=contract)
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_close(dossier=dossier, actor=SYSTEM)
    assert refused.value.code == "forbidden"


# Reminders ----------------------------------------------------------------------------------------


@pytest.fixture
def due_today(contract):
    """A notified dossier whose start deadline is today or just past: every reminder day is in the past."""
    dossier = granted(contract=contract, days_ago=368)
    return dossier, dossier_deadlines(dossier).start_on


def test_reminders_are_sent_60_and_15_days_before_the_deadline_once_each(due_today, officer, other_territory):
    dossier, deadline = due_today
    make_user(Role.OFFICER, territory=other_territory)
    runs = [61, 60, 60, 59, 16, 15, 15, 14, 0]
    sent = [deadline_reminders_send(today=deadline - timedelta(days=days)) for days in runs]
    assert sent == [0, 1, 0, 0, 0, 1, 0, 0, 0]
    reminders = notices("deadline_reminder", dossier)
    assert sorted({n.notice_values["days"] for n in reminders}) == ["15", "60"]
    for days in ("60", "15"):
        recipients = {n.recipient for n in reminders if n.notice_values["days"] == days}
        assert recipients == {dossier.created_by, officer}
    assert {n.notice_values["deadline_on"] for n in reminders} == {deadline.isoformat()}
    assert set(DeadlineReminder.objects.values_list("days_before", flat=True)) == {60, 15}


def test_a_late_first_run_sends_only_the_nearest_reminder(due_today):
    dossier, deadline = due_today
    assert deadline_reminders_send(today=deadline - timedelta(days=10)) == 1
    assert deadline_reminders_send(today=deadline - timedelta(days=5)) == 0
    assert [n.notice_values["days"] for n in notices("deadline_reminder", dossier)] == ["10"]
    assert set(DeadlineReminder.objects.values_list("days_before", flat=True)) == {60, 15}


def test_reminders_are_sent_once_even_when_the_job_runs_twice(due_today):
    dossier, deadline = due_today
    day = deadline - timedelta(days=15)
    assert deadlines_run(today=day)[0] == 1
    assert deadlines_run(today=day)[0] == 0
    assert len(notices("deadline_reminder", dossier)) == 1  # the nearest reminder, to the sponsor (no officer here)


def test_a_deadline_moved_by_an_extension_gets_its_own_reminders(contract):
    dossier = granted(contract=contract, days_ago=400)
    first = dossier_deadlines(dossier).start_on
    deadline_reminders_send(today=first - timedelta(days=15))
    ExtensionRequest.objects.create(
        dossier=dossier,
        deadline=Deadline.START,
        deadline_on=first,
        months=1,
        reason="Retard",
        status=ExtensionStatus.GRANTED,
        requested_by=dossier.created_by,
    )
    moved = dossier_deadlines(Dossier.objects.get(pk=dossier.pk)).start_on
    assert moved == add_months(first, 1)
    assert deadline_reminders_send(today=moved - timedelta(days=15)) == 1
    assert set(DeadlineReminder.objects.values_list("deadline_on", "days_before")) == {
        (first, 60),
        (first, 15),
        (moved, 60),
        (moved, 15),
    }


def test_no_start_reminder_once_a_payment_is_asked(due_today):
    dossier, deadline = due_today
    ask_payment(dossier)
    assert deadline_reminders_send(today=deadline - timedelta(days=15)) == 0


# The lapse job ------------------------------------------------------------------------------------


def test_lapse_job_lapses_each_overdue_dossier_once(contract, django_capture_on_commit_callbacks):
    overdue = [granted(state, contract=contract, months_ago=12) for state in (S.NOTIFIED, S.AGREEMENT_SIGNED)]
    overdue.append(granted(S.IN_PAYMENT, contract=contract, months_ago=36))
    not_yet = granted(contract=contract, days_ago=300)
    with django_capture_on_commit_callbacks(execute=True):
        lapsed = dossiers_lapse_due()
    assert sorted(lapsed) == sorted(d.pk for d in overdue)
    assert dossiers_lapse_due() == []
    assert set(Dossier.objects.filter(state=S.LAPSED).values_list("pk", flat=True)) == set(lapsed)
    assert Dossier.objects.get(pk=not_yet.pk).state == S.NOTIFIED
    events = AuditEvent.objects.filter(dossier_id__in=lapsed)
    assert [(e.kind, e.transition, e.actor_id, e.actor_name) for e in events] == [
        (AuditKind.TRANSITION, "lapse", None, str(SYSTEM))
    ] * 3
    assert all(e.comment for e in events)  # which deadline passed, and when


def test_lapse_job_skips_dossiers_with_an_extension_pending(contract):
    dossier = granted(contract=contract, days_ago=300)
    extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    notified(dossier, add_months(today(), -13))
    assert dossiers_lapse_due() == []
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED
    assert not AuditEvent.objects.filter(dossier=dossier).exists()  # no refusal written for a skipped one


def test_lapse_job_lapses_after_a_refused_extension(contract, officer):
    dossier = granted(contract=contract, days_ago=300)
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    extension_decide(extension=extension, actor=officer, grant=False, comment="Non")
    notified(dossier, add_months(today(), -13))
    assert dossiers_lapse_due() == [dossier.pk]


def test_lapse_job_skips_started_dossiers_before_their_completion_deadline(contract):
    started = granted(contract=contract, months_ago=13)
    ask_payment(started, state=RequestState.CHECKED)
    in_payment = granted(S.IN_PAYMENT, contract=contract, months_ago=35)
    assert dossiers_lapse_due() == []
    assert set(Dossier.objects.filter(pk__in=[started.pk, in_payment.pk]).values_list("state", flat=True)) == {
        S.NOTIFIED,
        S.IN_PAYMENT,
    }
    assert not AuditEvent.objects.exists()


def test_lapse_job_skips_dossiers_whose_balance_is_asked(contract):
    dossier = granted(S.IN_PAYMENT, contract=contract, months_ago=37)
    ask_payment(dossier, kind=PaymentKind.BALANCE, state=RequestState.VALIDATED)
    assert dossiers_lapse_due() == []
    assert not AuditEvent.objects.exists()


def test_a_returned_or_rejected_request_does_not_stop_the_lapse(contract):
    dossier = granted(contract=contract, months_ago=13)
    ask_payment(dossier, state=RequestState.REJECTED)
    ask_payment(dossier, state=RequestState.RETURNED)
    assert dossiers_lapse_due() == [dossier.pk]


def test_lapse_releases_the_commitment(contract):
    envelope = contract.envelopes.get()
    overdue = granted(contract=contract, months_ago=13)
    granted(contract=contract, days_ago=30)
    assert envelope_committed(envelope) == D("160000.00")
    assert dossiers_lapse_due() == [overdue.pk]
    assert envelope_committed(envelope) == D("80000.00")


def test_lapse_notifies_the_sponsor_and_the_territorys_officers(contract, officer, django_capture_on_commit_callbacks):
    dossier = granted(contract=contract, months_ago=13)
    with django_capture_on_commit_callbacks(execute=True):
        dossiers_lapse_due()
    told = Notification.objects.filter(dossier=dossier, kind=NotificationKind.TRANSITION)
    assert {n.recipient for n in told} == {dossier.created_by, officer}
    assert {tuple(m.to) for m in mail.outbox} >= {(dossier.created_by.email,), (officer.email,)}


def test_the_job_never_runs_as_of_a_later_day():
    with pytest.raises(ValueError):
        deadlines_run(today=today() + timedelta(days=1))


def test_the_job_as_of_an_earlier_day_lapses_only_what_was_overdue_then(contract):
    dossier = granted(contract=contract, months_ago=12)
    deadline = dossier_deadlines(dossier).start_on
    assert deadline < today()
    assert dossiers_lapse_due(today=deadline) == []
    assert dossiers_lapse_due(today=deadline + timedelta(days=1)) == [dossier.pk]


# The command and the task -------------------------------------------------------------------------


def test_run_deadlines_command_prints_what_it_did(contract):
    granted(contract=contract, months_ago=13)
    granted(contract=contract, months_ago=14)
    reminded = granted(contract=contract, days_ago=0)
    notified(reminded, add_months(today(), -12) + timedelta(days=10))  # start deadline in about 10 days
    out = io.StringIO()
    call_command("run_deadlines", stdout=out)
    assert out.getvalue().strip() == "1 reminders sent, 2 dossiers lapsed"
    out = io.StringIO()
    call_command("run_deadlines", stdout=out)
    assert out.getvalue().strip() == "0 reminders sent, 0 dossiers lapsed"


def test_run_deadlines_command_runs_as_of_the_date_given(contract):
    dossier = granted(contract=contract, months_ago=12)
    out = io.StringIO()
    call_command("run_deadlines", "--date", (today() - timedelta(days=1)).isoformat(), stdout=out)
    assert out.getvalue().strip() == "0 reminders sent, 0 dossiers lapsed"
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED
    with pytest.raises(CommandError):
        call_command("run_deadlines", "--date", (today() + timedelta(days=1)).isoformat())
    with pytest.raises(CommandError):
        call_command("run_deadlines", "--date", "31/12/2025")


def test_run_deadlines_task_runs_the_same_job(contract):
    dossier = granted(contract=contract, months_ago=13)
    result = run_deadlines.enqueue()
    assert result.return_value == {"reminders": 0, "lapsed": [dossier.pk]}
