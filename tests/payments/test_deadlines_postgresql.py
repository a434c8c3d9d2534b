"""The deadlines' job run twice at the same moment on a real PostgreSQL server: each overdue grant lapses
once (one transition, no refusal) and releases its commitment once; each reminder goes out once.

Skipped on SQLite (tests/conftest.py); run with
`DATABASE_URL=postgres://... REQUIRE_POSTGRESQL=1 pytest tests/payments/test_deadlines_postgresql.py`."""

from decimal import Decimal

import pytest

from messaging.enums import NotificationKind
from messaging.models import Notification
from payments.deadlines import deadline_reminders_send, dossiers_lapse_due
from payments.models import DeadlineReminder
from tests.factories import EnvelopeFactory, make_dossier, make_user
from tests.workflows.test_postgresql import run_together, successes_and_errors
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.services import envelope_committed

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_concurrent_lapse_jobs_lapse_each_dossier_once_and_release_each_commitment_once(territory):
    envelope = EnvelopeFactory(contract__territory=territory, amount=Decimal("10000000.00"))
    contract = envelope.contract
    overdue = [make_dossier(DossierState.NOTIFIED, contract=contract, notified_days_ago=400) for _ in range(8)]
    overdue += [make_dossier(DossierState.IN_PAYMENT, contract=contract, notified_days_ago=1200) for _ in range(2)]
    running = [make_dossier(DossierState.NOTIFIED, contract=contract, notified_days_ago=30) for _ in range(2)]
    assert envelope_committed(envelope) == Decimal("80000.00") * 12

    outcomes = run_together([dossiers_lapse_due, dossiers_lapse_due])

    successes, errors = successes_and_errors(outcomes)
    assert errors == []
    lapsed = [pk for run in successes for pk in run]
    assert sorted(lapsed) == sorted(d.pk for d in overdue)  # each once, whichever run took it
    transitions = AuditEvent.objects.filter(kind=AuditKind.TRANSITION, transition="lapse")
    assert sorted(transitions.values_list("dossier_id", flat=True)) == sorted(d.pk for d in overdue)
    assert not AuditEvent.objects.filter(kind=AuditKind.REFUSAL).exists()
    assert envelope_committed(envelope) == sum(d.granted_amount for d in running)
    assert dossiers_lapse_due() == []


def test_two_concurrent_reminder_runs_send_each_reminder_once(territory):
    contract = EnvelopeFactory(contract__territory=territory).contract
    officer = make_user(Role.OFFICER, territory=territory)
    # Start deadlines about five days away: both reminders are due, the nearest one is sent.
    dossiers = [make_dossier(DossierState.NOTIFIED, contract=contract, notified_days_ago=360) for _ in range(10)]

    outcomes = run_together([deadline_reminders_send, deadline_reminders_send, deadline_reminders_send])

    successes, errors = successes_and_errors(outcomes)
    assert errors == []
    assert sum(successes) == len(dossiers)
    assert DeadlineReminder.objects.count() == 2 * len(dossiers)
    notices = Notification.objects.filter(kind=NotificationKind.NOTICE, notice="deadline_reminder")
    for dossier in dossiers:
        assert sorted(notices.filter(dossier=dossier).values_list("recipient_id", flat=True)) == sorted(
            [dossier.created_by_id, officer.pk]
        )
