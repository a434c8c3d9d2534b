"""The staff's frontend (/region/instruction/): scoped to the user's territories and services on every
URL, the same number of queries whatever the number of tasks, take/release/reassign."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, reverse

from tests.factories import EnvelopeFactory, make_draft, make_territory, make_user
from tests.workflows.test_instruction_flow import execute_url, make_adviser, make_service
from workflows import instruction, services
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow
from workflows.frontend import site
from workflows.processes import process_for_dossier

pytestmark = pytest.mark.django_db


def submit(dossier, callbacks):
    with callbacks(execute=True):
        services.dossier_submit(dossier=dossier, actor=dossier.created_by)
    return process_for_dossier(dossier.pk)


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    """A dossier of territory A at every step a page can show: tasks new, taken, done."""
    dossier = make_draft()
    process = submit(dossier, django_capture_on_commit_callbacks)
    officer_a = make_user(Role.OFFICER, territory=dossier.territory)
    task = process.task_set.get(flow_task=DossierFlow.check_completeness)
    instruction.task_take(task=task, actor=officer_a)
    return {
        "dossier": dossier,
        "process": process,
        "task": task,
        "officer_a": officer_a,
        "officer_b": make_user(Role.OFFICER, territory=make_territory("Territoire B")),
        "sponsor": dossier.created_by,
    }


def instruction_urls(world):
    """Every URL of the instruction frontend, filled with the world's process, task and dossier."""
    values = {
        "process_pk": world["process"].pk,
        "task_pk": world["task"].pk,
        "pk": world["dossier"].pk,
        "batch_pk": world["dossier"].pk,  # the sessions' document batches: none exists, each must 404
        "item_pk": world["dossier"].pk,  # the sessions' agenda items: none exists, each must 404
        "contract_pk": world["dossier"].contract_id,  # the contract's roadmap and follow-up meetings
        "number": 1,  # a version of the roadmap: none exists, each must 404
    }
    urls = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                urls.add("/region/" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), route))

    resolvers, _app, _ns = site.urls
    walk(resolvers, "")
    return sorted(urls)


def test_the_frontend_has_the_pages_the_issue_asks_for(world):
    urls = instruction_urls(world)
    for name in ("index", "inbox", "queue", "archive", "process_list", "dossier_page"):
        assert any(
            url.startswith(
                reverse(f"instruction:{name}", args=[world["dossier"].pk] if name == "dossier_page" else []).split("?")[
                    0
                ]
            )
            for url in urls
        )


def test_an_officer_of_another_territory_gets_nothing_from_any_instruction_url(world, client):
    client.force_login(world["officer_b"])
    leaked = []
    for url in instruction_urls(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            body = (b"".join(response.streaming_content) if response.streaming else response.content).decode(
                errors="ignore"
            )
            if response.status_code == 200 and world["dossier"].reference in body:
                leaked.append((method, url))
            if method == "post" and response.status_code in (200, 302) and "/region/" in url:
                world["task"].refresh_from_db()
                assert world["task"].owner == world["officer_a"], (method, url)
    assert leaked == []
    world["dossier"].refresh_from_db()
    assert world["dossier"].state == DossierState.SUBMITTED


@pytest.mark.parametrize("who", ["sponsor", "anonymous"])
def test_sponsors_and_visitors_do_not_reach_the_instruction_frontend(world, client, who):
    if who == "sponsor":
        client.force_login(world["sponsor"])
    for url in instruction_urls(world):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:  # to the login page, or to the site's own index (which refuses)
            assert "/connexion/" in response["Location"] or response["Location"] == "./instruction/", url


def test_the_officer_of_the_territory_sees_the_dossier_page_with_its_tasks(world, client):
    client.force_login(world["officer_a"])
    page = client.get(reverse("instruction:dossier_page", args=[world["dossier"].pk]))
    assert page.status_code == 200
    assert world["dossier"].reference in page.content.decode()
    assert execute_url(world["task"]) in page.content.decode()


def make_submitted_tasks(territory, count, callbacks):
    contract = territory.contracts.first() or EnvelopeFactory(contract__territory=territory).contract
    for _ in range(count):
        submit(make_draft(contract=contract), callbacks)


@pytest.mark.parametrize(
    "page", ["instruction:queue", "instruction:inbox", "instruction:process_list", "instruction:index"]
)
def test_lists_run_the_same_number_of_queries_with_10_or_40_tasks(page, client, django_capture_on_commit_callbacks):
    territory = make_territory("Territoire Q")
    officer = make_user(Role.OFFICER, territory=territory)
    client.force_login(officer)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(page)).status_code == 200
        return len(queries)

    make_submitted_tasks(territory, 10, django_capture_on_commit_callbacks)
    for task in list(instruction.task_queue_for_user(officer))[:5]:
        instruction.task_take(task=task, actor=officer)
    small = count_queries()
    make_submitted_tasks(territory, 30, django_capture_on_commit_callbacks)
    for task in list(instruction.task_queue_for_user(officer))[:20]:
        instruction.task_take(task=task, actor=officer)
    assert count_queries() == small


def test_take_release_and_cover_for_a_colleague(world, client):
    task, officer_a = world["task"], world["officer_a"]
    colleague = make_user(Role.OFFICER, territory=world["dossier"].territory)
    client.force_login(colleague)
    # Taken by A: the colleague can't take it, but can cover for A.
    client.post(reverse("instruction:task_take", args=[task.pk]))
    task.refresh_from_db()
    assert task.owner == officer_a
    form = client.get(reverse("instruction:task_reassign", args=[task.pk]))
    assert form.status_code == 200
    client.post(reverse("instruction:task_reassign", args=[task.pk]), {"to_user": colleague.pk})
    task.refresh_from_db()
    assert task.owner == colleague
    # An officer of another territory can't be given the task, nor take it back.
    client.force_login(world["officer_b"])
    assert (
        client.post(
            reverse("instruction:task_reassign", args=[task.pk]), {"to_user": world["officer_b"].pk}
        ).status_code
        == 404
    )
    # The owner releases it to the queue.
    client.force_login(colleague)
    client.post(reverse("instruction:task_release", args=[task.pk]))
    task.refresh_from_db()
    assert task.owner is None and task.status == "NEW"
    assert task in instruction.task_queue_for_user(officer_a)


def test_overdue_tasks_are_flagged_in_words(world, client):
    task = world["task"]
    task.data = {**task.data, "due_on": "2020-01-01"}
    task.save(update_fields=["data"])
    client.force_login(world["officer_a"])
    inbox = client.get(reverse("instruction:inbox")).content.decode()
    assert "2020" in inbox or "01/01/20" in inbox
    assert "overdue" in inbox or "en retard" in inbox


def test_an_adviser_sees_only_the_dossiers_they_were_asked_about(world, client, django_capture_on_commit_callbacks):
    service = make_service("Economie")
    adviser = make_adviser(service)
    other = make_draft()
    submit(other, django_capture_on_commit_callbacks)
    client.force_login(adviser)
    assert client.get(reverse("instruction:dossier_page", args=[world["dossier"].pk])).status_code == 404
    assert list(instruction.task_queue_for_user(adviser)) == []
