"""The instruction's tasks through the API: inbox and queue scoped as in the web UI, taking, releasing,
reassigning and doing a task through the same functions as the task pages (the dossier and its process
move exactly as through the web), 409 for a colleague's or a finished task, 404 outside one's scope."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.status import STATUS

from dossiers.models import Dossier
from tests.factories import ContractFactory, make_dossier, make_user
from workflows.enums import AuditKind, DossierState, OpinionVerdict, Role
from workflows.flows import DossierFlow
from workflows.instruction import dossier_tasks, opinion_service_add_member, opinion_service_create, task_take
from workflows.models import AuditEvent, Opinion
from workflows.processes import start_instruction

pytestmark = pytest.mark.django_db

S = DossierState


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """`submit(contract)`: a submitted dossier whose instruction waits in the territory's queue."""

    def make(contract):
        dossier = make_dossier(S.SUBMITTED, contract=contract)
        with django_capture_on_commit_callbacks(execute=True):
            start_instruction(dossier)
        return dossier

    return make


@pytest.fixture
def submitted(submit, contract):
    return submit(contract)


def task_of(dossier, step):
    return dossier_tasks().filter(process__artifact_object_id=dossier.pk, flow_task=getattr(DossierFlow, step)).get()


def open_task_of(dossier, step):
    return (
        dossier_tasks()
        .filter(process__artifact_object_id=dossier.pk, flow_task=getattr(DossierFlow, step))
        .exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
        .get()
    )


def url(task, verb=None):
    return f"/api/v1/tasks/{task.pk}/{verb}/" if verb else f"/api/v1/tasks/{task.pk}/"


def state_of(dossier):
    """What a refusal must leave as it was: the dossier's row, its transitions, its tasks."""
    row = Dossier.objects.filter(pk=dossier.pk).values().get()
    events = list(AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION).values_list("pk", flat=True))
    tasks = list(dossier_tasks().filter(process__artifact_object_id=dossier.pk).values_list("pk", "status", "owner_id"))
    return row, events, tasks


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# Lists and detail -----------------------------------------------------------------------------------


def test_the_queue_lists_the_territorys_unassigned_tasks_and_the_inbox_mine(api, officer, submitted):
    task = task_of(submitted, "check_completeness")
    client = api(officer)
    body = client.get("/api/v1/tasks/queue/").json()
    assert [row["id"] for row in body["results"]] == [task.pk]
    row = body["results"][0]
    assert row["dossier"] == {
        "id": submitted.pk,
        "reference": submitted.reference,
        "title": submitted.title,
        "state": S.SUBMITTED,
        "territory": submitted.territory.name,
    }
    assert (row["step"], row["owner"], row["status"]) == ("check_completeness", None, STATUS.NEW)
    assert row["label"] and row["created"]
    assert set(row["transitions"]) == {"declare_admissible", "declare_incomplete", "declare_inadmissible"}
    assert ids(client.get("/api/v1/tasks/inbox/")) == []

    assert client.post(url(task, "take")).status_code == 200
    assert ids(client.get("/api/v1/tasks/queue/")) == []
    inbox = client.get("/api/v1/tasks/inbox/").json()["results"]
    assert [row["id"] for row in inbox] == [task.pk]
    assert inbox[0]["owner"]["id"] == officer.pk


def test_lists_filter_by_step_and_dossier(api, officer, submit, contract):
    first, second = submit(contract), submit(contract)
    client = api(officer)
    assert ids(client.get("/api/v1/tasks/queue/", {"dossier": second.pk})) == [task_of(second, "check_completeness").pk]
    assert len(ids(client.get("/api/v1/tasks/queue/", {"step": "check_completeness"}))) == 2
    assert ids(client.get("/api/v1/tasks/queue/", {"step": "propose"})) == []
    assert client.get("/api/v1/tasks/queue/", {"step": "nonsense"}).status_code == 400
    rows = ids(client.get("/api/v1/tasks/queue/", {"ordering": "-created"}))
    assert rows == [task_of(second, "check_completeness").pk, task_of(first, "check_completeness").pk]


def test_the_lists_run_a_constant_number_of_queries(api, officer, submit, contract, django_assert_num_queries):
    client = api(officer)
    for _ in range(2):
        submit(contract)
    client.get("/api/v1/tasks/queue/")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/tasks/queue/"))) == 2
    for _ in range(6):
        submit(contract)
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/tasks/queue/"))) == 8
    for task in dossier_tasks().filter(status=STATUS.NEW)[:2]:
        task_take(task=task, actor=officer)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/tasks/inbox/"))) == 2
    for task in dossier_tasks().filter(status=STATUS.NEW):
        task_take(task=task, actor=officer)
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/tasks/inbox/"))) == 8


def test_another_territorys_officer_gets_404_on_every_endpoint_and_nothing_changes(api, stranger, submitted):
    task = task_of(submitted, "check_completeness")
    before = state_of(submitted)
    client = api(stranger)
    assert ids(client.get("/api/v1/tasks/queue/")) == []
    assert ids(client.get("/api/v1/tasks/inbox/")) == []
    assert client.get(url(task)).status_code == 404
    for verb, payload in (
        ("take", {}),
        ("release", {}),
        ("reassign", {"to_user": stranger.pk}),
        ("complete", {"transition": "declare_admissible"}),
    ):
        response = client.post(url(task, verb), payload, format="json")
        assert response.status_code == 404, (verb, response.content)
        assert submitted.reference not in response.content.decode()
    assert state_of(submitted) == before


def test_a_sponsor_sees_no_task(api, submitted):
    client = api(submitted.created_by)
    assert ids(client.get("/api/v1/tasks/queue/")) == []
    assert client.get(url(task_of(submitted, "check_completeness"))).status_code == 404


# Take, release, reassign ----------------------------------------------------------------------------


def test_an_officer_takes_and_releases_a_task(api, officer, submitted):
    task = task_of(submitted, "check_completeness")
    client = api(officer)
    response = client.post(url(task, "take"))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["owner"]["id"]) == (STATUS.ASSIGNED, officer.pk)
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.ASSIGNED, officer)

    response = client.post(url(task, "release"))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["owner"]) == (STATUS.NEW, None)
    task.refresh_from_db()
    assert (task.status, task.owner) == (STATUS.NEW, None)
    assert client.post(url(task, "release")).json()["code"] == "task_not_taken"


def test_a_colleagues_task_is_a_409_on_take_release_and_complete(api, officer, contract, submitted):
    colleague = make_user(Role.OFFICER, territory=contract.territory)
    task = task_of(submitted, "check_completeness")
    task_take(task=task, actor=colleague)
    before = state_of(submitted)
    client = api(officer)
    assert client.get(url(task)).json()["owner"]["id"] == colleague.pk
    for verb, payload in (("take", {}), ("release", {}), ("complete", {"transition": "declare_admissible"})):
        response = client.post(url(task, verb), payload, format="json")
        assert (response.status_code, response.json()["code"]) == (409, "task_taken"), verb
    assert state_of(submitted) == before


def test_an_officer_covers_for_an_absent_colleague(api, officer, contract, submitted):
    colleague = make_user(Role.OFFICER, territory=contract.territory)
    task = task_of(submitted, "check_completeness")
    task_take(task=task, actor=colleague)
    client = api(officer)
    assert client.post(url(task, "reassign"), {"to_user": 999999}, format="json").status_code == 400
    response = client.post(url(task, "reassign"), {"to_user": officer.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["owner"]["id"] == officer.pk


def test_a_representative_sees_the_task_but_may_not_take_or_do_it(api, representative, submitted):
    task = task_of(submitted, "check_completeness")
    before = state_of(submitted)
    client = api(representative)
    assert client.get(url(task)).status_code == 200
    for verb, payload in (("take", {}), ("complete", {"transition": "declare_admissible"})):
        response = client.post(url(task, verb), payload, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), verb
    assert state_of(submitted) == before


# Doing the tasks ------------------------------------------------------------------------------------


def test_the_instruction_through_tasks_moves_the_dossier_and_the_process_as_the_web(
    api, officer, submitted, django_capture_on_commit_callbacks
):
    client = api(officer)
    service = opinion_service_create(code="tourisme", name="Direction du tourisme")
    adviser = make_user(Role.ADVISER)
    opinion_service_add_member(service=service, user=adviser)

    completeness = task_of(submitted, "check_completeness")
    assert client.post(url(completeness, "take")).status_code == 200
    response = client.post(url(completeness, "complete"), {"transition": "declare_admissible"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["dossier"]["state"]) == (STATUS.DONE, S.ADMISSIBLE)
    assert Dossier.objects.get(pk=submitted.pk).state == S.ADMISSIBLE

    # Done without taking it first: taken from the queue, as the transitions' endpoint does.
    instruct = open_task_of(submitted, "instruct")
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = client.post(
        url(instruct, "complete"),
        {"transition": "start_review", "services": [service.pk], "question": "Avis ?", "due_on": due},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert Dossier.objects.get(pk=submitted.pk).state == S.UNDER_REVIEW
    opinion_task = open_task_of(submitted, "give_opinion")
    assert (opinion_task.status, opinion_task.owner) == (STATUS.NEW, None)

    # The officer does not answer for the service: the opinion task is not in their queue.
    assert client.get(url(opinion_task)).status_code == 200
    refused = client.post(url(opinion_task, "complete"), {"verdict": "favourable", "text": "Oui."}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

    advice = api(adviser)
    assert ids(advice.get("/api/v1/tasks/queue/")) == [opinion_task.pk]
    assert advice.get(url(opinion_task)).json()["opinion"]["question"] == "Avis ?"
    bad = advice.post(url(opinion_task, "complete"), {"verdict": "maybe", "text": ""}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"verdict", "text"}
    response = advice.post(
        url(opinion_task, "complete"), {"verdict": OpinionVerdict.FAVOURABLE, "text": "Favorable."}, format="json"
    )
    assert response.status_code == 200, response.content
    opinion = Opinion.objects.get(dossier=submitted)
    assert (opinion.verdict, opinion.text, opinion.given_by) == (OpinionVerdict.FAVOURABLE, "Favorable.", adviser)

    client = api(officer)
    propose = open_task_of(submitted, "propose")
    wrong = client.post(url(propose, "complete"), {"transition": "declare_admissible"}, format="json")
    assert (wrong.status_code, list(wrong.json()["errors"])) == (400, ["transition"])
    response = client.post(
        url(propose, "complete"),
        {
            "transition": "complete_review",
            "eligible_base": "150000.00",
            "proposed_amount": "60000.00",
            "comment": "Avis favorable.",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    dossier = Dossier.objects.get(pk=submitted.pk)
    assert (dossier.state, str(dossier.proposed_amount)) == (S.REVIEWED, "60000.00")
    events = list(
        AuditEvent.objects.filter(dossier=submitted, kind=AuditKind.TRANSITION)
        .order_by("pk")
        .values_list("transition", "actor")
    )
    assert events == [
        ("declare_admissible", officer.pk),
        ("start_review", officer.pk),
        ("complete_review", officer.pk),
    ]
    # The process reached its end, as after the task pages.
    assert not dossier_tasks().filter(process__artifact_object_id=submitted.pk, status=STATUS.NEW).exists()
    assert task_of(submitted, "propose").status == STATUS.DONE

    finished = client.post(url(completeness, "complete"), {"transition": "declare_admissible"}, format="json")
    assert (finished.status_code, finished.json()["code"]) == (409, "task_finished")
    assert client.post(url(completeness, "take")).json()["code"] == "task_finished"


def test_a_refused_completion_changes_nothing_and_puts_the_task_back(api, officer, submitted):
    task = task_of(submitted, "check_completeness")
    before = state_of(submitted)
    client = api(officer)
    bad = client.post(url(task, "complete"), {"transition": "declare_incomplete"}, format="json")
    assert (bad.status_code, set(bad.json()["errors"])) == (400, {"missing"})
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    refused = client.post(
        url(task, "complete"),
        {"transition": "declare_incomplete", "missing": "Le RIB.", "pieces_due_on": yesterday},
        format="json",
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_due_date")
    assert client.post(url(task, "complete"), {}, format="json").status_code == 400
    assert state_of(submitted) == before


def test_a_step_the_state_no_longer_allows_is_a_409(api, officer, submitted):
    task = task_of(submitted, "check_completeness")
    Dossier.objects.filter(pk=submitted.pk).update(state=S.WITHDRAWN)
    response = api(officer).post(url(task, "complete"), {"transition": "declare_admissible"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")


def test_another_territorys_tasks_stay_out_of_the_queue(api, officer, submit, other_territory):
    submit(ContractFactory(territory=other_territory))
    assert ids(api(officer).get("/api/v1/tasks/queue/")) == []
