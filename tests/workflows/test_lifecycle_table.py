"""Every (state, transition, role): the allowed ones succeed and record one transition event; every
other one is refused, leaves the dossier exactly as it was, records no transition and one refusal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dossiers.models import Dossier
from tests.factories import EnvelopeFactory, make_dossier, make_session, make_user, snapshot
from workflows import services
from workflows.enums import AuditKind, DossierState, Role
from workflows.lifecycle import TRANSITIONS
from workflows.models import AuditEvent

FSM_TRANSITIONS = list(Dossier._meta.get_field("state").get_all_transitions(Dossier))


def sources(name):
    return {t.source for t in FSM_TRANSITIONS if t.name == name}


def target(name, source):
    return next(t.target for t in FSM_TRANSITIONS if t.name == name and t.source == source)


SERVICES = {name: getattr(services, f"dossier_{name}") for name in TRANSITIONS}
PAYLOADS = {
    "withdraw": {"reason": "Projet abandonné"},
    "declare_incomplete": {"missing": "La délibération"},
    "declare_inadmissible": {"reason": "Hors contrat"},
    "complete_review": {"eligible_base": Decimal("200000.00"), "proposed_amount": Decimal("80000.00")},
    "defer": {"reason": "Pièces à préciser"},
    "approve": {"amount": Decimal("80000.00")},
    "reject": {"reason": "Non prioritaire"},
    "sign_agreement": {"signed_on": timezone.localdate()},
    "mark_paid": {"final_amount": Decimal("60000.00")},
}
# Input that lives in the database, made in the test's transaction.
DATABASE_PAYLOADS = {"schedule": lambda: {"session": make_session()}}
# Data that lets each transition's own guards pass, so the table tests roles and states alone.
SETUP = {
    "sign_agreement": {"convention": True},
    "lapse": {"notified_days_ago": 4 * 366},
}


def test_lifecycle_table_matches_the_fsm():
    assert {t.name for t in FSM_TRANSITIONS} == set(TRANSITIONS)
    reachable = {DossierState.DRAFT} | {t.target for t in FSM_TRANSITIONS}
    assert reachable == set(DossierState.values)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_every_state_transition_and_role(name, role):
    contract = EnvelopeFactory(amount=Decimal("10000000.00")).contract
    staff = {
        Role.OFFICER: make_user(Role.OFFICER, territory=contract.territory),
        Role.COMMITTEE_SECRETARY: make_user(Role.COMMITTEE_SECRETARY),
        Role.COMMITTEE_MEMBER: make_user(Role.COMMITTEE_MEMBER),
        Role.FINANCE: make_user(Role.FINANCE),
        Role.ADVISER: make_user(Role.ADVISER),
        # The territory's elected representative reads its dossiers and fires nothing.
        Role.REPRESENTATIVE: make_user(Role.REPRESENTATIVE, territory=contract.territory),
        Role.ADMINISTRATOR: make_user(Role.ADMINISTRATOR),
    }
    payload = PAYLOADS.get(name) or DATABASE_PAYLOADS.get(name, dict)()
    for state in DossierState.values:
        dossier = make_dossier(state, contract=contract, **SETUP.get(name, {}))
        actor = dossier.created_by if role == Role.SPONSOR else staff[role]
        before = snapshot(dossier.pk)
        allowed = state in sources(name) and role in TRANSITIONS[name].roles
        if allowed:
            result = SERVICES[name](dossier=dossier, actor=actor, **payload)
            assert result.state == target(name, state), (state, name, role)
            assert Dossier.objects.get(pk=dossier.pk).state == target(name, state)
            events = AuditEvent.objects.filter(dossier=dossier)
            assert [(e.kind, e.transition, e.from_state, e.to_state) for e in events] == [
                (AuditKind.TRANSITION, name, state, target(name, state))
            ]
        else:
            with pytest.raises(services.TransitionRefused) as refused:
                SERVICES[name](dossier=dossier, actor=actor, **payload)
            assert refused.value.code in {"forbidden", "invalid_state"}, (
                state,
                name,
                role,
                refused.value.message,
            )
            assert snapshot(dossier.pk) == before, (state, name, role)
            events = list(AuditEvent.objects.filter(dossier=dossier))
            assert [(e.kind, e.transition, e.from_state) for e in events] == [(AuditKind.REFUSAL, name, state)]
            assert events[0].reason


def test_lapse_table_setup_is_past_every_deadline():
    # The table's lapse setup must be beyond the completion deadline (36 months) to test roles only.
    assert timedelta(days=SETUP["lapse"]["notified_days_ago"]) > timedelta(days=36 * 31)
