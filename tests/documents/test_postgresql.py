"""The production path of documents: letters requested by a transition are rendered by the
`django-tasks-db` worker (`db_worker --batch`), and concurrent requests get distinct numbers.

Skipped on SQLite; see tests/workflows/test_postgresql.py for the transactional set-up.
"""

import io
from decimal import Decimal
from functools import partial
from threading import Barrier, Thread

import pytest
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from documents.services import document_request
from tests.documents.conftest import document_text
from tests.factories import make_dossier, make_user
from tests.workflows.test_postgresql import worker_leaves_no_trace  # noqa: F401 (fixture)
from workflows import services
from workflows.enums import DossierState, Role

transactional = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.postgresql
@transactional
def test_letters_enqueued_by_a_transition_are_produced_by_the_db_worker(
    settings,
    contract,
    worker_leaves_no_trace,  # noqa: F811
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    dossier = make_dossier(DossierState.SCHEDULED, contract=contract)

    services.dossier_approve(dossier=dossier, actor=make_user(Role.COMMITTEE_SECRETARY), amount=Decimal("60000"))

    # Requested with the transition, rendered by nobody yet.
    jobs = list(DocumentJob.objects.filter(dossier=dossier).order_by("kind"))
    assert [job.kind for job in jobs] == [DocumentKind.AWARD_NOTIFICATION, DocumentKind.DELIBERATION_EXTRACT]
    assert {job.status for job in jobs} == {JobStatus.PENDING}
    queued = DBTaskResult.objects.filter(task_path="documents.tasks.render_document")
    assert queued.count() == 2 and not IssuedDocument.objects.exists()

    call_command(
        "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0, stdout=io.StringIO()
    )

    for result in queued:
        assert result.status == TaskResultStatus.SUCCESSFUL, (result.exception_class_path, result.traceback)
        assert result.return_value == JobStatus.DONE
    notification = IssuedDocument.objects.get(dossier=dossier, kind=DocumentKind.AWARD_NOTIFICATION)
    assert "60 000,00 €" in document_text(notification)
    assert not DBTaskResult.objects.ready().exists()


@pytest.mark.postgresql
@transactional
def test_documents_requested_at_the_same_moment_get_distinct_sequential_numbers(contract):
    dossiers = [make_dossier(DossierState.SUBMITTED, contract=contract) for _ in range(8)]
    barrier = Barrier(len(dossiers))
    numbers, errors = [], []

    def request(dossier):
        try:
            barrier.wait(timeout=30)
            numbers.append(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).number)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [Thread(target=request, args=(dossier,)) for dossier in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(int(number.rsplit("-", 1)[1]) for number in numbers) == list(range(1, 9))


@pytest.mark.postgresql
@transactional
def test_twenty_concurrent_approvals_with_room_for_ten_commit_ten_and_request_their_letters_only(territory):
    """Issue 5's must-show, with what issue 4 adds to an approval: the envelope is never exceeded, the ten
    refused dossiers are unchanged, and only the ten approvals got deliberation numbers and letters, all
    numbered without gaps or duplicates."""
    from django.contrib.auth import get_user_model
    from django.db.models import Sum

    from committees.models import AgendaItem
    from dossiers.models import Dossier
    from tests.factories import EnvelopeFactory, make_session, snapshot
    from tests.workflows.test_postgresql import run_together, successes_and_errors

    envelope = EnvelopeFactory(contract__territory=territory, amount=Decimal("100000.00"))
    session = make_session()
    dossiers = [make_dossier(DossierState.SCHEDULED, contract=envelope.contract, session=session) for _ in range(20)]
    before = {dossier.pk: snapshot(dossier.pk) for dossier in dossiers}
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    actors = [get_user_model().objects.get(pk=secretary.pk) for _ in dossiers]

    outcomes = run_together(
        [
            partial(services.dossier_approve, dossier=dossier, actor=actor, amount=Decimal("10000.00"))
            for dossier, actor in zip(dossiers, actors, strict=True)
        ]
    )

    successes, errors = successes_and_errors(outcomes)
    assert len(successes) == 10
    assert [getattr(error, "code", repr(error)) for error in errors] == ["envelope_exceeded"] * 10
    approved = Dossier.objects.filter(pk__in=before, state=DossierState.APPROVED)
    assert approved.aggregate(total=Sum("granted_amount"))["total"] == envelope.amount
    for dossier in Dossier.objects.filter(pk__in=before).exclude(state=DossierState.APPROVED):
        assert snapshot(dossier.pk) == before[dossier.pk]
    numbers = sorted(AgendaItem.objects.filter(dossier__in=approved).values_list("deliberation_number", flat=True))
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(range(1, 11))
    assert not AgendaItem.objects.exclude(dossier__in=approved).exclude(deliberation_number=None).exists()
    jobs = DocumentJob.objects.all()
    assert set(jobs.values_list("dossier_id", flat=True)) == set(approved.values_list("pk", flat=True))
    for kind, prefix in ((DocumentKind.AWARD_NOTIFICATION, "NOT"), (DocumentKind.DELIBERATION_EXTRACT, "EXD")):
        sequence = sorted(int(n.rsplit("-", 1)[1]) for n in jobs.filter(kind=kind).values_list("number", flat=True))
        assert sequence == list(range(1, 11)), prefix
