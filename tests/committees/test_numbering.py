"""Deliberation numbers: `CP-<year>-<month>-<number>`, sequential per body and year, never handed out twice."""

import re
from datetime import date

import pytest

from committees.models import Body, DeliberationSequence
from committees.services import allocate_deliberation_number, deliberation_numbers_take
from tests.factories import make_session

pytestmark = pytest.mark.django_db


def test_the_number_gives_the_body_the_year_and_month_of_the_session_and_four_digits():
    session = make_session(sits_on=date(2026, 6, 8))

    assert allocate_deliberation_number(session) == "CP-2026-06-0001"
    assert allocate_deliberation_number(session) == "CP-2026-06-0002"


def test_numbers_run_through_the_year_across_sessions_and_restart_each_year():
    june, july = make_session(sits_on=date(2026, 6, 8)), make_session(sits_on=date(2026, 7, 13))
    january = make_session(sits_on=date(2027, 1, 11))

    numbers = [allocate_deliberation_number(s) for s in (june, july, june, january, july)]

    assert numbers == ["CP-2026-06-0001", "CP-2026-07-0002", "CP-2026-06-0003", "CP-2027-01-0001", "CP-2026-07-0004"]
    assert set(DeliberationSequence.objects.values_list("body", "year", "last_number")) == {
        ("CP", 2026, 4),
        ("CP", 2027, 1),
    }


def test_each_body_has_its_own_sequence():
    committee = make_session(sits_on=date(2026, 6, 8))
    plenary = make_session(sits_on=date(2026, 6, 25), body=Body.PLENARY)

    assert allocate_deliberation_number(committee) == "CP-2026-06-0001"
    assert allocate_deliberation_number(plenary) == "AP-2026-06-0001"
    assert allocate_deliberation_number(committee) == "CP-2026-06-0002"


def test_a_number_is_never_handed_out_again():
    session = make_session(sits_on=date(2026, 6, 8))
    taken = [allocate_deliberation_number(session) for _ in range(30)]
    taken += [f"CP-2026-06-{n:04}" for n in deliberation_numbers_take(body="CP", year=2026, count=5)]

    assert len(set(taken)) == len(taken) == 35
    assert all(re.fullmatch(r"CP-2026-06-\d{4}", number) for number in taken)
    assert DeliberationSequence.objects.get(body="CP", year=2026).last_number == 35
