"""The instruction process, end to end through the staff's pages: who must act next at each step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from tests.factories import make_draft, make_territory, make_user
from workflows import instruction, services
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow
from workflows.models import OpinionService
from workflows.processes import process_for_dossier

pytestmark = pytest.mark.django_db


def make_service(name="Direction de l'économie"):
    group = Group.objects.create(name=f"service:{name}")
    return OpinionService.objects.create(code=name.lower().replace(" ", "-")[:60], name=name, group=group)


def make_adviser(service):
    user = make_user(Role.ADVISER)
    user.groups.add(service.group)
    return user


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    dossier = make_draft()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_submit(dossier=dossier, actor=dossier.created_by)
    return dossier


def open_tasks(dossier):
    process = process_for_dossier(dossier.pk)
    return list(process.task_set.filter(status__in=instruction.ACTIVE_TASK_STATUSES, flow_task_type="HUMAN"))


def execute_url(task):
    return reverse(f"instruction:{task.flow_task.name}:execute", args=[task.process_id, task.pk])


def take(client, task):
    return client.post(reverse("instruction:task_take", args=[task.pk]))


def test_submission_puts_a_completeness_check_in_the_territory_queue(submitted):
    (task,) = open_tasks(submitted)
    assert task.flow_task == DossierFlow.check_completeness
    assert task.status == STATUS.NEW
    due = timezone.localdate() + timedelta(days=59)
    assert task.data["due_on"] >= due.isoformat()
    officer = make_user(Role.OFFICER, territory=submitted.territory)
    stranger = make_user(Role.OFFICER, territory=make_territory("Territoire B"))
    assert list(instruction.task_queue_for_user(officer)) == [task]
    assert list(instruction.task_queue_for_user(stranger)) == []


def test_from_submission_to_reviewed_through_the_staff_pages(submitted, client, django_capture_on_commit_callbacks):
    officer = make_user(Role.OFFICER, territory=submitted.territory)
    economy, tourism = make_service("Economie"), make_service("Tourisme")
    adviser_economy, adviser_tourism = make_adviser(economy), make_adviser(tourism)
    client.force_login(officer)

    # Completeness: a piece is missing.
    (task,) = open_tasks(submitted)
    take(client, task)
    assert list(instruction.task_inbox_for_user(officer)) == [task]
    assert client.get(execute_url(task)).status_code == 200
    response = client.post(execute_url(task), {"decision": "incomplete", "message": ""})
    assert response.status_code == 200 and "message" in response.context["form"].errors
    submitted.refresh_from_db()
    assert submitted.state == DossierState.SUBMITTED
    client.post(execute_url(task), {"decision": "incomplete", "message": "La délibération manque."})
    submitted.refresh_from_db()
    assert submitted.state == DossierState.INCOMPLETE
    assert [t.flow_task for t in process_for_dossier(submitted.pk).task_set.filter(status=STATUS.NEW)] == [
        DossierFlow.wait_for_pieces
    ]

    # The sponsor sends the piece again: a new completeness check.
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_resubmit(dossier=submitted, actor=submitted.created_by)
    (task,) = open_tasks(submitted)
    assert task.flow_task == DossierFlow.check_completeness
    take(client, task)
    client.post(execute_url(task), {"decision": "admissible", "message": ""})

    # Instruction: the review starts and two services are asked.
    (task,) = open_tasks(submitted)
    assert task.flow_task == DossierFlow.instruct
    take(client, task)
    due = timezone.localdate() + timedelta(days=10)
    client.post(
        execute_url(task),
        {"decision": "review", "services": [economy.pk, tourism.pk], "question": "Impact ?", "due_on": due},
    )
    submitted.refresh_from_db()
    assert submitted.state == DossierState.UNDER_REVIEW
    opinion_tasks = open_tasks(submitted)
    assert {t.flow_task for t in opinion_tasks} == {DossierFlow.give_opinion}
    assert len(opinion_tasks) == 2
    assert len(instruction.task_queue_for_user(adviser_economy)) == 1
    assert list(instruction.task_queue_for_user(officer)) == []

    for adviser in (adviser_economy, adviser_tourism):
        client.force_login(adviser)
        (mine,) = instruction.task_queue_for_user(adviser)
        take(client, mine)
        client.post(execute_url(mine), {"verdict": "favourable", "text": "Projet utile."})
    assert submitted.opinions.filter(given_at__isnull=False).count() == 2

    # Proposal: the dossier is ready for the committee, the process ends.
    client.force_login(officer)
    (task,) = open_tasks(submitted)
    assert task.flow_task == DossierFlow.propose
    take(client, task)
    client.post(
        execute_url(task),
        {"eligible_base": "200000.00", "proposed_amount": "80000.00", "comment": "Avis favorable."},
    )
    submitted.refresh_from_db()
    assert submitted.state == DossierState.REVIEWED
    assert submitted.proposed_amount == Decimal("80000.00")
    process = process_for_dossier(submitted.pk)
    assert process.status == PROCESS.DONE
    assert open_tasks(submitted) == []


def test_withdrawal_cancels_the_instruction(submitted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_withdraw(dossier=submitted, actor=submitted.created_by)
    assert process_for_dossier(submitted.pk) is None
    assert open_tasks.__name__  # the process is cancelled: nothing is left to do


def test_the_people_who_must_act_next_are_told(submitted, django_capture_on_commit_callbacks, mailoutbox):
    """Opinion requested: the consulted service's members; proposed to the committee: its secretaries."""
    officer = make_user(Role.OFFICER, territory=submitted.territory)
    service = make_service("Tourisme")
    adviser = make_adviser(service)
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_declare_admissible(dossier=submitted, actor=officer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_start_review(
            dossier=submitted,
            actor=officer,
            opinion_services=[service],
            opinion_question="Impact ?",
            opinions_due_on=timezone.localdate() + timedelta(days=5),
        )
    assert adviser.email in {m.to[0] for m in mailoutbox}
    assert secretary.email not in {m.to[0] for m in mailoutbox}
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_complete_review(
            dossier=submitted, actor=officer, eligible_base=Decimal("200000"), proposed_amount=Decimal("80000")
        )
    recipients = {m.to[0] for m in mailoutbox}
    assert secretary.email in recipients and submitted.created_by.email in recipients
    assert adviser.email not in recipients and officer.email not in recipients
    assert "/dossiers/" in mailoutbox[0].body


def test_the_officer_says_by_when_the_missing_pieces_are_expected_and_the_sponsor_sees_it(
    submitted, client, django_capture_on_commit_callbacks
):
    officer = make_user(Role.OFFICER, territory=submitted.territory)
    client.force_login(officer)
    (task,) = open_tasks(submitted)
    take(client, task)
    due = timezone.localdate() + timedelta(days=21)
    client.post(execute_url(task), {"decision": "incomplete", "message": "Le devis manque.", "pieces_due_on": due})
    submitted.refresh_from_db()
    assert (submitted.state, submitted.pieces_due_on) == (DossierState.INCOMPLETE, due)
    client.force_login(submitted.created_by)
    page = client.get(reverse("portal:dossier_detail", args=[submitted.pk])).content.decode()
    assert "Le devis manque." in page and str(due.year) in page
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_resubmit(dossier=submitted, actor=submitted.created_by)
    submitted.refresh_from_db()
    assert submitted.pieces_due_on is None


def test_a_due_date_for_the_pieces_in_the_past_is_refused(submitted):
    officer = make_user(Role.OFFICER, territory=submitted.territory)
    with pytest.raises(services.TransitionRefused) as refused:
        services.dossier_declare_incomplete(
            dossier=submitted, actor=officer, missing="x", pieces_due_on=timezone.localdate()
        )
    assert refused.value.code == "invalid_due_date"
    submitted.refresh_from_db()
    assert submitted.state == DossierState.SUBMITTED
