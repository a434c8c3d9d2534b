"""What only a real PostgreSQL server can prove about the roadmaps: people writing to one roadmap at
the same moment are served one after the other (each service locks the roadmap's row first), so the
versions are numbered without gap or duplicate and each one's snapshot holds everything written before
it; two meetings abandoning the same operation give one decision and a clean refusal; two clicks on
"issue the minutes" take one number.

Run with `DATABASE_URL=postgres://... REQUIRE_POSTGRESQL=1 pytest tests/roadmaps/test_roadmaps_postgresql.py`;
see tests/workflows/test_postgresql.py for `run_together`."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import ValidationError

from documents.models import DocumentJob, DocumentKind, IssuedDocument
from roadmaps import services
from roadmaps.enums import DecisionKind, OperationStatus
from roadmaps.minutes import minutes_issue
from roadmaps.models import MeetingDecision, RoadmapOperation, RoadmapVersion
from roadmaps.services import Decision, NewOperation
from tests.factories import make_user, theme
from tests.workflows.test_postgresql import fresh_users, run_together, successes_and_errors
from workflows.enums import Role

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def new_operation(title):
    return NewOperation(
        title=title,
        theme=theme(),
        estimated_cost=Decimal("100000"),
        expected_support=Decimal("20000"),
        expected_year=2027,
    )


def test_ten_people_adding_operations_at_once_write_ten_versions_in_order(contract, officer):
    roadmap = services.roadmap_for_contract(contract)
    actors = fresh_users(officer, 5) + fresh_users(make_user(Role.REPRESENTATIVE, territory=contract.territory), 5)

    outcomes = run_together(
        [
            partial(services.operation_add, roadmap=roadmap, actor=actor, operation=new_operation(f"Opération {n}"))
            for n, actor in enumerate(actors)
        ]
    )

    successes, errors = successes_and_errors(outcomes)
    assert errors == []
    assert sorted(operation.number for operation in successes) == list(range(1, 11))
    versions = list(RoadmapVersion.objects.filter(roadmap=roadmap).order_by("number"))
    assert [version.number for version in versions] == list(range(1, 11))
    # Each version's snapshot holds every operation written before it, and only those.
    assert [len(version.operations) for version in versions] == list(range(1, 11))
    roadmap.refresh_from_db()
    assert roadmap.version == 10


def test_two_meetings_abandoning_one_operation_give_one_decision(contract, officer):
    roadmap = services.roadmap_for_contract(contract)
    operation = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation("Halle"))
    meetings = [
        services.meeting_create(roadmap=roadmap, actor=officer, held_on=date(2026, 11, day), participants=[officer])
        for day in (20, 21)
    ]
    decision = Decision(kind=DecisionKind.ABANDON, decided_by="Le comité", operation=operation, details={"reason": "x"})

    outcomes = run_together(
        [
            partial(services.meeting_record_decisions, meeting=meeting, actor=actor, decisions=[decision])
            for meeting, actor in zip(meetings, fresh_users(officer, 2), strict=True)
        ]
    )

    successes, errors = successes_and_errors(outcomes)
    assert len(successes) == 1
    assert [error.code for error in errors] == ["settled"]
    assert isinstance(errors[0], ValidationError)
    assert MeetingDecision.objects.count() == 1
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 2
    assert RoadmapOperation.objects.get(pk=operation.pk).status == OperationStatus.ABANDONED


def test_two_clicks_on_issue_the_minutes_take_one_number(contract, officer, settings):
    # The rendering task is not run here: both clicks meet the first request still pending.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    roadmap = services.roadmap_for_contract(contract)
    meeting = services.meeting_create(
        roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20), participants=[officer]
    )
    meeting.minutes = "Compte rendu"
    meeting.save(update_fields=["minutes"])

    outcomes = run_together([partial(minutes_issue, meeting=meeting, actor=actor) for actor in fresh_users(officer, 2)])

    successes, errors = successes_and_errors(outcomes)
    assert len(successes) == 1
    assert [error.code for error in errors] == ["minutes_pending"]
    assert DocumentJob.objects.filter(meeting=meeting, kind=DocumentKind.MEETING_MINUTES).count() == 1
    assert not IssuedDocument.objects.filter(meeting=meeting).exists()
