"""The committee's transitions of a dossier and its agenda items: put on a session's agenda while the
agenda is open, taken off it, deferred, approved or rejected with a deliberation number. A refusal
changes nothing: neither the dossier nor the agenda."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees.models import AgendaItem, DeliberationSequence, ItemResult, SessionStatus
from committees.selectors import decision_item, pending_item
from dossiers.models import Dossier
from tests.factories import EnvelopeFactory, make_dossier, make_session
from tests.workflows.test_guards import assert_fired, assert_refused
from workflows import services
from workflows.enums import DossierState

S = DossierState
D = Decimal
pytestmark = pytest.mark.django_db


def agenda(session):
    return list(session.items.order_by("position").values_list("dossier_id", "position", "result"))


# Putting on and taking off the agenda ---------------------------------------------------------------


def test_scheduling_puts_the_dossier_last_on_the_agenda_with_the_proposal_as_it_stands(secretary, contract):
    session = make_session()
    first = make_dossier(S.SCHEDULED, contract=contract, session=session)
    dossier = make_dossier(S.REVIEWED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(proposed_amount=D("75000.00"), eligible_base=D("190000.00"))

    result = services.dossier_schedule(dossier=dossier, actor=secretary, session=session)

    assert_fired(result, dossier, "schedule", S.SCHEDULED)
    assert agenda(session) == [(first.pk, 1, ""), (dossier.pk, 2, "")]
    item = pending_item(dossier)
    assert (item.session, item.proposed_amount, item.eligible_base) == (session, D("75000.00"), D("190000.00"))
    assert item.added_at == result.state_changed_at


@pytest.mark.parametrize("status", [SessionStatus.PREPARATION, SessionStatus.CONVENED])
def test_a_dossier_can_be_put_on_a_session_in_preparation_or_convened(secretary, contract, status):
    session = make_session(status=status)
    dossier = make_dossier(S.REVIEWED, contract=contract)

    services.dossier_schedule(dossier=dossier, actor=secretary, session=session)

    assert agenda(session) == [(dossier.pk, 1, "")]


@pytest.mark.parametrize("status", [SessionStatus.HELD, SessionStatus.CLOSED])
def test_scheduling_on_a_session_whose_agenda_is_closed_is_refused_and_changes_nothing(secretary, contract, status):
    session = make_session(status=status, sits_on=date(2026, 6, 8))
    dossier = make_dossier(S.REVIEWED, contract=contract)

    refusal = assert_refused(
        services.dossier_schedule, dossier=dossier, actor=secretary, session=session, code="session_closed_for_agenda"
    )

    assert "08/06/2026" in refusal.message
    assert not AgendaItem.objects.exists()


def test_a_dossier_does_not_go_twice_on_the_same_session(secretary, contract):
    session = make_session()
    dossier = make_dossier(S.REVIEWED, contract=contract)
    AgendaItem.objects.create(session=session, dossier=dossier, position=1, result=ItemResult.DEFERRED)

    assert_refused(
        services.dossier_schedule, dossier=dossier, actor=secretary, session=session, code="already_on_session"
    )
    later = make_session(sits_on=timezone.localdate() + timedelta(days=45))
    services.dossier_schedule(dossier=dossier, actor=secretary, session=later)
    assert pending_item(dossier).session == later


def test_unscheduling_takes_the_dossier_off_the_agenda(secretary, contract):
    session = make_session(status=SessionStatus.CONVENED)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    other = make_dossier(S.SCHEDULED, contract=contract, session=session)

    result = services.dossier_unschedule(dossier=dossier, actor=secretary)

    assert_fired(result, dossier, "unschedule", S.REVIEWED)
    assert agenda(session) == [(other.pk, 2, "")]
    assert pending_item(dossier) is None


def test_unscheduling_is_refused_once_the_session_is_held(secretary, contract):
    session = make_session()
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    session.status = SessionStatus.HELD
    session.save()

    assert_refused(services.dossier_unschedule, dossier=dossier, actor=secretary, code="session_closed_for_agenda")

    assert agenda(session) == [(dossier.pk, 1, "")]


# Decisions ------------------------------------------------------------------------------------------


def test_approval_records_the_result_the_amount_voted_and_a_deliberation_number(secretary, contract):
    session = make_session(sits_on=date(2026, 6, 8), status=SessionStatus.HELD)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)

    result = services.dossier_approve(dossier=dossier, actor=secretary, amount=D("75000.00"))

    assert_fired(result, dossier, "approve", S.APPROVED)
    item = decision_item(dossier)
    assert (item.session, item.result, item.voted_amount) == (session, ItemResult.APPROVED, D("75000.00"))
    assert item.deliberation_number == "CP-2026-06-0001"
    assert item.decided_at == result.decided_at
    assert pending_item(dossier) is None


def test_rejection_records_the_result_and_a_deliberation_number(secretary, contract):
    session = make_session(sits_on=date(2026, 6, 8), status=SessionStatus.HELD)
    approved = make_dossier(S.SCHEDULED, contract=contract, session=session)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    services.dossier_approve(dossier=approved, actor=secretary, amount=D("80000.00"))

    result = services.dossier_reject(dossier=dossier, actor=secretary, reason="Non prioritaire")

    assert_fired(result, dossier, "reject", S.REJECTED)
    item = decision_item(dossier)
    assert (item.result, item.voted_amount, item.deliberation_number) == (
        ItemResult.REJECTED,
        None,
        "CP-2026-06-0002",
    )


def test_deferral_records_the_result_without_a_number_and_sends_the_dossier_back_to_review(secretary, contract):
    session = make_session(status=SessionStatus.HELD)
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)

    result = services.dossier_defer(dossier=dossier, actor=secretary, reason="Pièces à préciser")

    assert_fired(result, dossier, "defer", S.REVIEWED)
    item = AgendaItem.objects.get(dossier=dossier)
    assert (item.result, item.deliberation_number, item.decided_at) == (
        ItemResult.DEFERRED,
        None,
        result.state_changed_at,
    )
    assert decision_item(dossier) is None
    assert not DeliberationSequence.objects.exists()


@pytest.mark.parametrize(
    ("service", "payload"),
    [
        (services.dossier_approve, {"amount": D("80000.00")}),
        (services.dossier_reject, {"reason": "Non prioritaire"}),
        (services.dossier_defer, {"reason": "Pièces à préciser"}),
        (services.dossier_unschedule, {}),
    ],
)
def test_a_decision_needs_the_dossier_on_an_agenda(secretary, contract, service, payload):
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    AgendaItem.objects.filter(dossier=dossier).delete()

    assert_refused(service, dossier=dossier, actor=secretary, code="not_on_agenda", **payload)

    assert not DeliberationSequence.objects.exists()


def test_a_refused_approval_leaves_the_item_pending_and_takes_no_number(secretary, territory):
    envelope = EnvelopeFactory(contract__territory=territory, amount=D("10000.00"))
    dossier = make_dossier(S.SCHEDULED, contract=envelope.contract)

    assert_refused(
        services.dossier_approve, dossier=dossier, actor=secretary, amount=D("20000.00"), code="envelope_exceeded"
    )

    assert pending_item(dossier) is not None
    assert not DeliberationSequence.objects.exists()


def test_a_failure_after_the_decision_rolls_the_number_back(secretary, contract, monkeypatch):
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=make_session(sits_on=date(2026, 6, 8)))

    def refuse_late(event):
        raise services.TransitionRefused.single("late", "Refused after the transition")

    monkeypatch.setattr(services, "schedule_side_effects", refuse_late)
    assert_refused(services.dossier_approve, dossier=dossier, actor=secretary, amount=D("80000.00"), code="late")
    monkeypatch.undo()

    assert pending_item(dossier) is not None
    assert services.dossier_approve(dossier=dossier, actor=secretary, amount=D("80000.00")).state == S.APPROVED
    assert decision_item(dossier).deliberation_number == "CP-2026-06-0001"


# Selectors and factories ----------------------------------------------------------------------------


def test_the_decision_item_is_the_latest_numbered_decision(secretary, contract):
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=make_session(sits_on=date(2026, 5, 11)))
    services.dossier_defer(dossier=dossier, actor=secretary, reason="Pièces à préciser")
    june = make_session(sits_on=date(2026, 6, 8))
    services.dossier_schedule(dossier=dossier, actor=secretary, session=june)

    assert decision_item(dossier) is None
    assert pending_item(dossier).session == june
    services.dossier_approve(dossier=dossier, actor=secretary, amount=D("80000.00"))
    assert (decision_item(dossier).session, decision_item(dossier).deliberation_number) == (june, "CP-2026-06-0001")


@pytest.mark.parametrize("state", [S.APPROVED, S.NOTIFIED, S.IN_PAYMENT, S.CLOSED, S.LAPSED, S.REJECTED])
def test_the_factory_gives_decided_dossiers_their_numbered_decision(contract, state):
    dossier = make_dossier(state, contract=contract)

    item = decision_item(dossier)
    assert item.result == (ItemResult.REJECTED if state == S.REJECTED else ItemResult.APPROVED)
    assert item.deliberation_number.startswith(f"CP-{item.session.sits_on:%Y-%m}-")
    assert item.decided_at == dossier.decided_at
    assert item.session.status == SessionStatus.CLOSED
    assert item.voted_amount == (None if state == S.REJECTED else dossier.granted_amount)


def test_the_factory_puts_a_scheduled_dossier_on_an_open_agenda(contract):
    dossier = make_dossier(S.SCHEDULED, contract=contract)

    assert pending_item(dossier).session.is_open_for_agenda
    assert decision_item(dossier) is None


def test_a_scheduled_dossier_withdrawn_by_its_sponsor_leaves_the_agenda(contract):
    session = make_session()
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)

    services.dossier_withdraw(dossier=dossier, actor=dossier.created_by, reason="Projet abandonné.")

    assert Dossier.objects.get(pk=dossier.pk).state == S.WITHDRAWN
    assert agenda(session) == []
