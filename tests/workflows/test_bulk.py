"""Bulk actions: one action on up to 500 dossiers, each processed on its own, refusals explained."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import EnvelopeFactory, make_draft, make_territory, make_user
from tests.workflows.test_instruction_flow import make_service
from workflows import bulk, instruction, services
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow
from workflows.models import BulkJob, BulkJobStatus
from workflows.processes import process_for_dossier

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    return make_territory("Territoire A")


@pytest.fixture
def officer(territory):
    return make_user(Role.OFFICER, territory=territory)


@pytest.fixture
def submitted(territory, django_capture_on_commit_callbacks):
    contract = EnvelopeFactory(contract__territory=territory).contract
    dossiers = []
    for _ in range(3):
        dossier = make_draft(contract=contract)
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_submit(dossier=dossier, actor=dossier.created_by)
        dossiers.append(dossier)
    return dossiers


def run(actor, action, dossiers, callbacks, params=None) -> BulkJob:
    with callbacks(execute=True):
        job = bulk.bulk_job_start(actor=actor, action=action, dossier_ids=[d.pk for d in dossiers], params=params)
    job.refresh_from_db()
    return job


def states(dossiers):
    return [type(d).objects.get(pk=d.pk).state for d in dossiers]


def test_each_dossier_is_processed_and_a_refusal_is_explained_without_stopping_the_others(
    officer, submitted, territory, django_capture_on_commit_callbacks
):
    colleague = make_user(Role.OFFICER, territory=territory)
    taken = process_for_dossier(submitted[1].pk).task_set.get(flow_task=DossierFlow.check_completeness)
    instruction.task_take(task=taken, actor=colleague)

    job = run(officer, "declare_admissible", submitted, django_capture_on_commit_callbacks)

    assert job.status == BulkJobStatus.DONE and job.done == 3
    assert [result["ok"] for result in job.results] == [True, False, True]
    assert colleague.get_full_name() in job.results[1]["message"]
    assert states(submitted) == [DossierState.ADMISSIBLE, DossierState.SUBMITTED, DossierState.ADMISSIBLE]
    assert process_for_dossier(submitted[0].pk).task_set.filter(flow_task=DossierFlow.instruct).exists()


def test_a_dossier_without_a_waiting_task_is_reported_with_the_reason(
    officer, submitted, django_capture_on_commit_callbacks
):
    # Taken by the first job, the task is no longer waiting in a queue for the second.
    job = run(officer, "take", submitted[:1], django_capture_on_commit_callbacks)
    assert job.results[0]["ok"]
    again = run(officer, "take", submitted[:1], django_capture_on_commit_callbacks)
    assert not again.results[0]["ok"] and again.results[0]["message"]


def test_start_the_review_and_ask_an_opinion_in_bulk(officer, submitted, django_capture_on_commit_callbacks):
    run(officer, "declare_admissible", submitted, django_capture_on_commit_callbacks)
    service = make_service("Tourisme")
    due = (timezone.localdate() + timedelta(days=20)).isoformat()
    params = {"services": [service.pk], "question": "Intérêt touristique ?", "due_on": due}

    job = run(officer, "ask_opinion", submitted, django_capture_on_commit_callbacks, params)

    assert all(result["ok"] for result in job.results), job.results
    assert states(submitted) == [DossierState.UNDER_REVIEW] * 3
    for dossier in submitted:
        assert dossier.opinions.get().service == service
        assert process_for_dossier(dossier.pk).task_set.filter(flow_task=DossierFlow.give_opinion).count() == 1


def test_at_most_500_dossiers_of_ones_own_territories(officer, submitted, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        bulk.bulk_job_start(actor=officer, action="take", dossier_ids=list(range(1, 502)))
    stranger = make_user(Role.OFFICER, territory=make_territory("Territoire B"))
    with pytest.raises(PermissionDenied):
        bulk.bulk_job_start(actor=stranger, action="take", dossier_ids=[submitted[0].pk])
    assert not BulkJob.objects.exists()


def test_one_job_per_officer_and_scope_at_a_time(officer, submitted):
    first = bulk.bulk_job_start(actor=officer, action="take", dossier_ids=[submitted[0].pk])
    assert first.status == BulkJobStatus.QUEUED  # its task runs after the commit, which this test never reaches
    with pytest.raises(ValidationError):
        bulk.bulk_job_start(actor=officer, action="take", dossier_ids=[submitted[1].pk])
    colleague = make_user(Role.OFFICER, territory=submitted[0].territory)
    assert bulk.bulk_job_start(actor=colleague, action="take", dossier_ids=[submitted[1].pk])


def test_the_dossier_list_starts_a_bulk_action_and_shows_its_results(
    client, officer, submitted, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    assert b'name="dossiers"' in client.get(reverse("instruction:process_list")).content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("instruction:bulk_start"),
            {"action": "declare_admissible", "dossiers": [d.pk for d in submitted]},
        )
    job = BulkJob.objects.get()
    assert response.url == reverse("instruction:bulk_job", args=[job.pk])
    page = client.get(response.url).content.decode()
    assert all(d.reference in page for d in submitted)
    assert states(submitted) == [DossierState.ADMISSIBLE] * 3
    # Another officer cannot see the job.
    client.force_login(make_user(Role.OFFICER, territory=submitted[0].territory))
    assert client.get(response.url).status_code == 404


def test_send_the_same_message_to_the_sponsors_of_several_dossiers(
    client, officer, submitted, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("instruction:bulk_start"),
            {"action": "send_message", "dossiers": [d.pk for d in submitted], "message": "Réunion le 3 mars."},
        )
    job = BulkJob.objects.get()
    assert all(result["ok"] for result in job.results), job.results
    for dossier in submitted:
        assert dossier.messages.get().body == "Réunion le 3 mars."
    assert {m.to[0] for m in mailoutbox} >= {d.created_by.email for d in submitted}
