"""Deliberation numbers and agenda positions under concurrent requests, on a real PostgreSQL server
(skipped on SQLite; see tests/workflows/test_postgresql.py for how to run them)."""

from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from django.db import transaction

from committees.models import AgendaItem, DeliberationSequence, SessionStatus
from committees.services import allocate_deliberation_number
from tests.factories import EnvelopeFactory, make_dossier, make_session, make_user
from tests.workflows.test_postgresql import fresh_users, run_together, successes_and_errors, transactional
from workflows import services
from workflows.enums import DossierState, Role

pytestmark = [pytest.mark.postgresql, transactional]


def allocate(session):
    with transaction.atomic():
        return allocate_deliberation_number(session)


def test_concurrent_allocations_give_distinct_consecutive_numbers():
    session = make_session(sits_on=date(2026, 6, 8))
    allocate(session)  # the year's sequence exists: every thread waits on its row lock

    successes, errors = successes_and_errors(run_together([partial(allocate, session) for _ in range(12)]))

    assert errors == []
    assert sorted(successes) == [f"CP-2026-06-{n:04}" for n in range(2, 14)]
    assert DeliberationSequence.objects.get(body="CP", year=2026).last_number == 13


def test_concurrent_first_allocations_of_a_year_create_one_sequence():
    session = make_session(sits_on=date(2031, 1, 13))

    successes, errors = successes_and_errors(run_together([partial(allocate, session) for _ in range(8)]))

    assert errors == []
    assert sorted(successes) == [f"CP-2031-01-{n:04}" for n in range(1, 9)]
    assert list(DeliberationSequence.objects.values_list("year", "last_number")) == [(2031, 8)]


def test_concurrent_votes_on_one_session_get_distinct_numbers(territory):
    envelope = EnvelopeFactory(contract__territory=territory, amount=Decimal("10000000.00"))
    session = make_session(sits_on=date(2026, 6, 8), status=SessionStatus.HELD)
    dossiers = [make_dossier(DossierState.SCHEDULED, contract=envelope.contract, session=session) for _ in range(6)]
    secretaries = fresh_users(make_user(Role.COMMITTEE_SECRETARY), len(dossiers))
    votes = [
        partial(services.dossier_approve, dossier=dossier, actor=secretary, amount=Decimal("10000.00"))
        if index % 2
        else partial(services.dossier_reject, dossier=dossier, actor=secretary, reason="Non prioritaire")
        for index, (dossier, secretary) in enumerate(zip(dossiers, secretaries, strict=True))
    ]

    successes, errors = successes_and_errors(run_together(votes))

    assert errors == [] and len(successes) == 6
    numbers = sorted(AgendaItem.objects.filter(session=session).values_list("deliberation_number", flat=True))
    assert numbers == [f"CP-2026-06-{n:04}" for n in range(1, 7)]


def test_concurrent_scheduling_on_one_session_gives_distinct_positions(territory):
    contract = EnvelopeFactory(contract__territory=territory).contract
    session = make_session()
    dossiers = [make_dossier(DossierState.REVIEWED, contract=contract) for _ in range(6)]
    secretaries = fresh_users(make_user(Role.COMMITTEE_SECRETARY), len(dossiers))

    successes, errors = successes_and_errors(
        run_together(
            [
                partial(services.dossier_schedule, dossier=dossier, actor=secretary, session=session)
                for dossier, secretary in zip(dossiers, secretaries, strict=True)
            ]
        )
    )

    assert errors == [] and len(successes) == 6
    assert sorted(session.items.values_list("position", flat=True)) == [1, 2, 3, 4, 5, 6]
