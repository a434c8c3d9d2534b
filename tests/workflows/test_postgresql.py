"""What only a real PostgreSQL server can prove: row locks under concurrent requests, the audit trail's
append-only trigger, and background tasks run by a database worker (the production path).

Skipped on SQLite (tests/conftest.py); run them with
`DATABASE_URL=postgres://... REQUIRE_POSTGRESQL=1 pytest tests/workflows/test_postgresql.py`.

The concurrent tests need commits that other connections see, hence `transaction=True`. Such a test
ends with a flush that empties every table, including the rows of the data migrations (rule set
version 1, themes, piece types) and the role groups: `serialized_rollback=True` reloads them before the
test, and tests/conftest.py reloads them after it, so the tests that follow still find them.
"""

import io
import logging
import signal
from decimal import Decimal
from functools import partial
from threading import Barrier, Thread

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from dossiers.models import Dossier
from tests.factories import EnvelopeFactory, make_dossier, make_user
from workflows import services
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TIMEOUT = 60  # seconds; a thread still running after that is stuck on a lock


def run_together(calls):
    """Runs each callable in its own thread, hence its own database connection, all released at the
    same moment by a barrier. Returns the outcomes in order: ("ok", value) or ("error", exception)."""
    barrier = Barrier(len(calls))
    outcomes = [("error", RuntimeError("thread did not finish"))] * len(calls)

    def run(index, call):
        try:
            connection.ensure_connection()  # connect before the barrier, so that the calls start together
            barrier.wait(timeout=TIMEOUT)
            outcomes[index] = ("ok", call())
        except BaseException as exc:  # every outcome goes back to the test
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [Thread(target=run, args=(index, call), daemon=True) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (lock wait or deadlock)"
    return outcomes


def successes_and_errors(outcomes):
    return [value for kind, value in outcomes if kind == "ok"], [value for kind, value in outcomes if kind == "error"]


def fresh_users(user, count):
    """One instance per thread: services cache roles and scopes on the user object."""
    return [get_user_model().objects.get(pk=user.pk) for _ in range(count)]


@pytest.mark.postgresql
@transactional
def test_twenty_concurrent_transitions_have_one_winner(territory):
    contract = EnvelopeFactory(contract__territory=territory).contract
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    officers = [make_user(Role.OFFICER, territory=territory) for _ in range(20)]

    outcomes = run_together(
        [partial(services.dossier_declare_admissible, dossier=dossier, actor=officer) for officer in officers]
    )

    successes, errors = successes_and_errors(outcomes)
    assert not [e for e in errors if not isinstance(e, services.TransitionRefused)], errors
    assert len(successes) == 1, [e.code for e in errors]
    assert len(errors) == 19
    assert {e.code for e in errors} <= {"invalid_state", "concurrent"}
    winner = officers[[kind for kind, _ in outcomes].index("ok")]

    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.state == DossierState.ADMISSIBLE
    assert saved.completeness_decided_on is not None
    transition = AuditEvent.objects.get(dossier=dossier, kind=AuditKind.TRANSITION)
    assert (transition.transition, transition.from_state, transition.to_state, transition.actor_id) == (
        "declare_admissible",
        DossierState.SUBMITTED,
        DossierState.ADMISSIBLE,
        winner.pk,
    )
    refusals = AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.REFUSAL)
    assert refusals.count() == 19
    assert set(refusals.values_list("reason_code", flat=True)) <= {"invalid_state", "concurrent"}
    assert set(refusals.values_list("transition", flat=True)) == {"declare_admissible"}
    assert set(refusals.values_list("actor_id", flat=True)) == {o.pk for o in officers} - {winner.pk}


@pytest.mark.postgresql
@transactional
def test_concurrent_approvals_never_over_commit_the_envelope(territory):
    envelope = EnvelopeFactory(contract__territory=territory, amount=Decimal("100000.00"))
    dossiers = [make_dossier(DossierState.SCHEDULED, contract=envelope.contract) for _ in range(5)]
    secretaries = fresh_users(make_user(Role.COMMITTEE_SECRETARY), len(dossiers))
    amount = Decimal("30000.00")

    outcomes = run_together(
        [
            partial(services.dossier_approve, dossier=dossier, actor=secretary, amount=amount)
            for dossier, secretary in zip(dossiers, secretaries, strict=True)
        ]
    )

    successes, errors = successes_and_errors(outcomes)
    assert not [e for e in errors if not isinstance(e, services.TransitionRefused)], errors
    assert [e.code for e in errors] == ["envelope_exceeded"] * 2
    assert len(successes) == 3

    mine = Dossier.objects.filter(pk__in=[d.pk for d in dossiers])
    approved = mine.filter(state=DossierState.APPROVED)
    assert approved.count() == 3
    assert approved.aggregate(total=Sum("granted_amount"))["total"] == Decimal("90000.00") <= envelope.amount
    assert set(approved.values_list("envelope_id", "granted_amount")) == {(envelope.pk, amount)}
    assert services.envelope_committed(envelope) == Decimal("90000.00")
    refused = mine.exclude(state=DossierState.APPROVED)
    assert set(refused.values_list("state", "granted_amount", "envelope_id")) == {(DossierState.SCHEDULED, None, None)}
    events = AuditEvent.objects.filter(dossier__in=dossiers)
    assert events.filter(kind=AuditKind.TRANSITION, transition="approve").count() == 3
    assert (
        list(events.filter(kind=AuditKind.REFUSAL).values_list("reason_code", flat=True)) == ["envelope_exceeded"] * 2
    )


@pytest.mark.postgresql
@pytest.mark.django_db
def test_database_refuses_update_and_delete_of_audit_events(contract, officer):
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    services.dossier_declare_admissible(dossier=dossier, actor=officer, comment="Complet")
    event = AuditEvent.objects.get(dossier=dossier)
    assert AuditEvent._meta.db_table == "workflows_auditevent"

    def row():
        with connection.cursor() as cursor:
            cursor.execute("SELECT comment, to_state, dossier_id FROM workflows_auditevent WHERE id = %s", [event.pk])
            return cursor.fetchall()

    before = row()
    assert before == [("Complet", DossierState.ADMISSIBLE, dossier.pk)]
    # The application's own guards (AppendOnlyError) are bypassed: only the database stands in the way.
    for sql in (
        "UPDATE workflows_auditevent SET comment = 'falsifié' WHERE id = %s",
        "UPDATE workflows_auditevent SET to_state = 'draft', actor_id = NULL WHERE id = %s",
        "DELETE FROM workflows_auditevent WHERE id = %s",
    ):
        verb = sql.split()[0]
        with (
            pytest.raises(DatabaseError, match=rf"append-only: {verb} refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
        assert row() == before, sql

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflows_auditevent (created_at, kind, dossier_id, actor_id, actor_name, transition,"
            " from_state, to_state, comment, reason_code, reason, ip_address)"
            " VALUES (now(), %s, %s, NULL, 'SQL', 'declare_admissible', %s, '', '', 'test', 'refus', NULL)"
            " RETURNING id",
            [AuditKind.REFUSAL, dossier.pk, DossierState.ADMISSIBLE],
        )
        inserted = cursor.fetchone()[0]
    assert AuditEvent.objects.get(pk=inserted).reason_code == "test"
    assert AuditEvent.objects.filter(dossier=dossier).count() == 2
    assert row() == before


@pytest.fixture
def worker_leaves_no_trace():
    """`db_worker` installs signal handlers and sets its loggers' levels and handlers: put them back."""
    signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = [logging.getLogger(name) for name in ("django.tasks", "django_tasks_db")]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    yield
    for sig, handler in signals.items():
        signal.signal(sig, handler)
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


@pytest.mark.postgresql
@transactional
def test_notification_task_runs_in_a_db_worker(settings, contract, officer, worker_leaves_no_trace):
    # Setting TASKS sends setting_changed, on which django.tasks resets its cached backends.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    sponsor = dossier.created_by

    services.dossier_declare_admissible(dossier=dossier, actor=officer)

    event = AuditEvent.objects.get(dossier=dossier, kind=AuditKind.TRANSITION)
    queued = DBTaskResult.objects.get()  # enqueued after the commit, in the database
    assert queued.status == TaskResultStatus.READY
    assert queued.task_path == "workflows.tasks.notify_transition"
    assert queued.args_kwargs == {"args": [], "kwargs": {"event_id": event.pk}}
    assert mail.outbox == []  # nothing is sent from the request

    output = io.StringIO()
    call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0, stdout=output)

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, (queued.exception_class_path, queued.traceback)
    assert queued.return_value == 1
    assert queued.worker_ids
    assert [message.to for message in mail.outbox] == [[sponsor.email]]
    assert dossier.reference in mail.outbox[0].subject
    assert not DBTaskResult.objects.ready().exists()


@pytest.mark.postgresql
@transactional
def test_ten_officers_taking_the_same_task_at_once_leave_it_with_one_of_them(territory):
    from viewflow.workflow.status import STATUS

    from workflows import instruction
    from workflows.flows import DossierFlow
    from workflows.processes import start_instruction

    contract = EnvelopeFactory(contract__territory=territory).contract
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    task = start_instruction(dossier).task_set.get(flow_task=DossierFlow.check_completeness)
    officers = [make_user(Role.OFFICER, territory=territory) for _ in range(10)]

    outcomes = run_together([partial(instruction.task_take, task=task, actor=officer) for officer in officers])

    successes, errors = successes_and_errors(outcomes)
    assert len(successes) == 1, errors
    assert len(errors) == 9 and all(isinstance(e, PermissionDenied) for e in errors), errors
    task.refresh_from_db()
    winner = officers[[kind for kind, _ in outcomes].index("ok")]
    assert (task.status, task.owner_id) == (STATUS.ASSIGNED, winner.pk)
