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


def _held_session_with_votes(sits_on, contract, count, members, secretary, reject_every=3):
    from committees.voting import item_record_votes, session_record_attendance

    session = make_session(sits_on=sits_on, status=SessionStatus.HELD, members=members)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    for index in range(count):
        dossier = make_dossier(DossierState.SCHEDULED, contract=contract, session=session)
        choice = "against" if index % reject_every == 0 else "for"
        item_record_votes(
            item=AgendaItem.objects.get(dossier=dossier),
            actor=secretary,
            votes={m.pk: choice for m in members},
            reason="Non prioritaire" if choice == "against" else "",
        )
    return session


def test_concurrent_closings_of_two_sessions_number_without_gaps_or_duplicates(territory, settings):
    # The letters' rendering is not what this test is about: the dummy backend keeps the tasks.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from committees.models import CommitteeSession
    from committees.voting import session_close

    contract = EnvelopeFactory(contract__territory=territory, amount=Decimal("100000000.00")).contract
    members = [make_user(Role.COMMITTEE_MEMBER) for _ in range(3)]
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    june = _held_session_with_votes(date(2026, 6, 8), contract, 12, members, secretary)
    july = _held_session_with_votes(date(2026, 7, 6), contract, 12, members, secretary)
    # Both closings run at once, each twice (the second attempt of each must be refused cleanly).
    secretaries = fresh_users(secretary, 4)
    closings = [
        partial(session_close, session=session, actor=actor)
        for session, actor in zip((june, july, june, july), secretaries, strict=True)
    ]

    successes, errors = successes_and_errors(run_together(closings))

    assert len(successes) == 2 and all(report.closed and report.applied == 12 for report in successes)
    assert len(errors) == 2 and {error.code for error in errors} <= {"closing", "invalid_session_status"}
    assert set(CommitteeSession.objects.values_list("status", flat=True)) == {SessionStatus.CLOSED}
    numbers = list(AgendaItem.objects.values_list("deliberation_number", flat=True))
    sequence = sorted(int(number[-4:]) for number in numbers)
    assert sequence == list(range(1, 25))  # one sequence for the body's year: no gap, no duplicate
    for session in (june, july):
        # Within a session the numbers follow the agenda's order, whatever the other closing took.
        ordered = session.items.order_by("position").values_list("deliberation_number", flat=True)
        assert list(ordered) == sorted(ordered)
        assert all(number.startswith(f"CP-2026-{session.sits_on.month:02}-") for number in ordered)
    assert DeliberationSequence.objects.get(body="CP", year=2026).last_number == 24
