"""A contract's roadmap: its operations follow the dossiers that realise them, and each meeting's
decisions write a new version while every earlier one stays as it was."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dossiers.models import Dossier
from dossiers.money import add_months
from roadmaps import services
from roadmaps.enums import DecisionKind, OperationStatus
from roadmaps.models import MeetingDecision, RoadmapOperation, RoadmapVersion
from roadmaps.services import Decision, NewOperation
from tests import factories
from tests.factories import make_dossier, make_draft, make_session, make_user
from workflows import services as lifecycle
from workflows.enums import DossierState, Role

D = Decimal
S = DossierState
pytestmark = pytest.mark.django_db


def new_operation(title="Maison de santé", cost="500000", support="150000", year=2027):
    return NewOperation(
        title=title,
        theme=factories.theme(),
        estimated_cost=D(cost),
        expected_support=D(support),
        expected_year=year,
        axis="Axe 1 — Services",
    )


@pytest.fixture
def roadmap(contract):
    return services.roadmap_for_contract(contract)


def operation_for(roadmap, officer, dossier):
    operation = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation())
    return services.operation_link_dossier(operation=operation, dossier=dossier, actor=officer)


def status_of(operation):
    return RoadmapOperation.objects.get(pk=operation.pk).status


def test_the_dossiers_lifecycle_moves_its_operation_through_the_statuses(roadmap, contract, officer, secretary):
    sponsor_dossier = make_draft(contract=contract)
    operation = operation_for(roadmap, officer, sponsor_dossier)
    assert status_of(operation) == OperationStatus.UNDER_CONSTRUCTION
    lifecycle.dossier_submit(dossier=sponsor_dossier, actor=sponsor_dossier.created_by)
    assert status_of(operation) == OperationStatus.FILED

    scheduled = make_dossier(S.SCHEDULED, contract=contract, session=make_session(sits_on=timezone.localdate()))
    voted = operation_for(roadmap, officer, scheduled)
    assert status_of(voted) == OperationStatus.FILED
    lifecycle.dossier_approve(dossier=scheduled, actor=secretary, amount=D("60000.00"))
    assert status_of(voted) == OperationStatus.FUNDED

    in_payment = make_dossier(S.IN_PAYMENT, contract=contract)
    paid = operation_for(roadmap, officer, in_payment)
    assert status_of(paid) == OperationStatus.FUNDED
    lifecycle.dossier_mark_paid(dossier=in_payment, actor=make_user(Role.FINANCE), final_amount=D("80000.00"))
    assert status_of(paid) == OperationStatus.COMPLETED


def test_a_lapsed_dossier_marks_its_operation_abandoned(roadmap, contract, officer):
    dossier = make_dossier(S.NOTIFIED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=add_months(timezone.localdate(), -13))
    operation = operation_for(roadmap, officer, dossier)
    assert status_of(operation) == OperationStatus.FUNDED
    lifecycle.dossier_lapse(dossier=dossier, actor=officer)
    assert status_of(operation) == OperationStatus.ABANDONED


def test_a_withdrawn_dossier_marks_its_operation_abandoned(roadmap, contract, officer):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    operation = operation_for(roadmap, officer, dossier)
    lifecycle.dossier_withdraw(dossier=dossier, actor=dossier.created_by, reason="Projet abandonné")
    assert status_of(operation) == OperationStatus.ABANDONED


def test_a_refused_transition_leaves_the_operation_as_it_was(roadmap, contract, officer):
    dossier = make_dossier(S.NOTIFIED, contract=contract)  # notified 30 days ago: too early to lapse
    operation = operation_for(roadmap, officer, dossier)
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.dossier_lapse(dossier=dossier, actor=officer)
    assert status_of(operation) == OperationStatus.FUNDED


def test_meeting_decisions_create_a_new_version_and_keep_the_old_one_intact(roadmap, officer):
    kept = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation("Tiers-lieu", year=2026))
    postponed = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation("Voie verte", year=2026))
    before = RoadmapVersion.objects.get(roadmap=roadmap, number=2)
    before_snapshot = (before.operations, before.changes, before.meeting_id)
    meeting = services.meeting_create(
        roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20), participants=[officer]
    )

    version = services.meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[
            Decision(DecisionKind.POSTPONE, "Comité de suivi", postponed, {"expected_year": 2028}),
            Decision(
                DecisionKind.ADD,
                "Président du PETR",
                details={"operation": new_operation("Piscine", "900000", "200000")},
            ),
        ],
    )

    assert (version.number, version.meeting) == (3, meeting)
    assert [(op["title"], op["expected_year"]) for op in version.operations] == [
        ("Tiers-lieu", 2026),
        ("Voie verte", 2028),
        ("Piscine", 2027),
    ]
    assert [change["kind"] for change in version.changes] == ["postpone", "add"]
    assert version.changes[0]["before"] == {"expected_year": 2026}
    old = RoadmapVersion.objects.get(pk=before.pk)
    assert (old.operations, old.changes, old.meeting_id) == before_snapshot
    assert [(op["title"], op["expected_year"]) for op in old.operations] == [("Tiers-lieu", 2026), ("Voie verte", 2026)]
    assert MeetingDecision.objects.filter(meeting=meeting, version=version).count() == 2
    assert RoadmapOperation.objects.get(pk=kept.pk).expected_year == 2026
    with pytest.raises(ValueError):
        old.save()


def test_a_refused_decision_refuses_the_whole_meeting_record(roadmap, officer):
    abandoned = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation(year=2027))
    postponed = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation(year=2027))
    meeting = services.meeting_create(roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20))
    with pytest.raises(ValidationError) as refusal:
        services.meeting_record_decisions(
            meeting=meeting,
            actor=officer,
            decisions=[
                Decision(DecisionKind.ABANDON, "Comité", abandoned, {"reason": "Plus de porteur"}),
                Decision(DecisionKind.POSTPONE, "Comité", postponed, {"expected_year": 2026}),
            ],
        )
    assert refusal.value.code == "invalid_year"
    assert status_of(abandoned) == OperationStatus.IDENTIFIED
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 2
    assert not MeetingDecision.objects.exists()


def test_a_funded_operation_is_no_longer_changed_by_a_meeting(roadmap, contract, officer):
    operation = operation_for(roadmap, officer, make_dossier(S.APPROVED, contract=contract))
    meeting = services.meeting_create(roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20))
    with pytest.raises(ValidationError) as refusal:
        services.meeting_record_decisions(
            meeting=meeting, actor=officer, decisions=[Decision(DecisionKind.ABANDON, "Comité", operation)]
        )
    assert refusal.value.code == "settled"


def test_only_the_territorys_officers_edit_its_roadmap(roadmap, other_territory):
    stranger = make_user(Role.OFFICER, territory=other_territory)
    with pytest.raises(PermissionDenied):
        services.operation_add(roadmap=roadmap, actor=stranger, operation=new_operation())
    assert not RoadmapOperation.objects.exists()


def test_a_dossier_of_another_contract_cannot_realise_the_operation(roadmap, officer):
    operation = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation())
    with pytest.raises(ValidationError) as refusal:
        services.operation_link_dossier(operation=operation, dossier=make_dossier(S.SUBMITTED), actor=officer)
    assert refusal.value.code == "other_contract"


def test_expected_support_above_the_cost_is_refused(roadmap, officer):
    with pytest.raises(ValidationError) as refusal:
        services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation(cost="1000", support="2000"))
    assert refusal.value.code == "invalid_amounts"


def test_a_meeting_takes_only_the_territorys_officers_and_representatives(roadmap, officer, other_territory):
    representative = make_user(Role.REPRESENTATIVE, territory=roadmap.contract.territory)
    outsider = make_user(Role.OFFICER, territory=other_territory)
    with pytest.raises(ValidationError) as refused:
        services.meeting_create(
            roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20), participants=[officer, outsider]
        )
    assert refused.value.code == "participant_outside"
    assert not roadmap.meetings.exists()
    meeting = services.meeting_create(
        roadmap=roadmap, actor=representative, held_on=date(2026, 11, 20), participants=[officer, representative]
    )
    assert set(meeting.participants.all()) == {officer, representative}
