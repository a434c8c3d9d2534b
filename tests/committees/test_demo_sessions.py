"""The demonstration's Commission permanente: a closed session every month (second Monday) up to the
upcoming one in preparation, an agenda item for every passage of a dossier before the committee, with
the result, the date and the deliberation number its history says."""

import re
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from committees.models import AgendaItem, CommitteeSession, DeliberationSequence, ItemResult, SessionStatus
from dossiers.loaders import load_reference_data
from dossiers.models import Dossier
from workflows.enums import AuditKind, DossierState
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db
RESULTS = {"approve": ItemResult.APPROVED, "reject": ItemResult.REJECTED, "defer": ItemResult.DEFERRED}


def seed(dossiers):
    call_command("seed_demo", dossiers=dossiers, instructions=0, stdout=StringIO())


@pytest.fixture
def seeded():
    load_reference_data()
    seed(250)


def committee_steps():
    """Per dossier, its committee transitions in order: (name, time)."""
    steps = defaultdict(list)
    events = AuditEvent.objects.filter(kind=AuditKind.TRANSITION, transition__in=["schedule", *RESULTS]).order_by(
        "dossier_id", "created_at", "pk"
    )
    for dossier_id, name, at in events.values_list("dossier_id", "transition", "created_at"):
        steps[dossier_id].append((name, at))
    return steps


def test_every_passage_before_the_committee_has_its_agenda_item(seeded):
    steps = committee_steps()
    items = defaultdict(list)
    for item in AgendaItem.objects.select_related("session").order_by("added_at", "pk"):
        items[item.dossier_id].append(item)
    assert set(items) == set(steps)
    assert any(item.result == ItemResult.DEFERRED for each in items.values() for item in each)
    decided = Dossier.objects.in_bulk(list(items))
    for dossier_id, history in steps.items():
        passages = [
            (at, history[i + 1] if i + 1 < len(history) else None)
            for i, (name, at) in enumerate(history)
            if name == "schedule"
        ]
        assert len(passages) == len(items[dossier_id])
        for (added_at, decision), item in zip(passages, items[dossier_id], strict=True):
            assert item.added_at == added_at
            if decision is None:
                assert item.result == ItemResult.PENDING and item.decided_at is None
                assert decided[dossier_id].state == DossierState.SCHEDULED
                continue
            assert (item.result, item.decided_at) == (RESULTS[decision[0]], decision[1])
            assert timezone.localdate(item.decided_at) == item.session.sits_on
            assert item.session.sits_on >= timezone.localdate(item.added_at) + timedelta(days=7)
        dossier = decided[dossier_id]
        last = items[dossier_id][-1]
        if last.result in (ItemResult.APPROVED, ItemResult.REJECTED):
            assert dossier.decided_at == last.decided_at
        if last.result == ItemResult.APPROVED:
            assert last.voted_amount == dossier.granted_amount
        assert last.proposed_amount == dossier.proposed_amount and last.eligible_base == dossier.eligible_base


def test_sessions_sit_every_month_closed_up_to_the_upcoming_one_in_preparation(seeded):
    today = timezone.localdate()
    sessions = list(CommitteeSession.objects.order_by("sits_on"))
    days = [session.sits_on for session in sessions]
    assert all(day.weekday() == 0 and 8 <= day.day <= 14 for day in days)
    months = [day.year * 12 + day.month for day in days]
    assert months == list(range(months[0], months[-1] + 1))
    assert [s.status for s in sessions if s.sits_on <= today] == [SessionStatus.CLOSED] * (len(sessions) - 1)
    upcoming = sessions[-1]
    assert upcoming.sits_on > today and upcoming.status == SessionStatus.PREPARATION
    pending = AgendaItem.objects.filter(result=ItemResult.PENDING)
    assert pending.exists() and set(pending.values_list("session", flat=True)) == {upcoming.pk}
    assert pending.count() == Dossier.objects.filter(state=DossierState.SCHEDULED).count()
    members = {"elu", "elu-martin", "elu-etcheverry", "elu-durand", "elu-lacoste"}
    assert all(set(s.members.values_list("username", flat=True)) == members for s in sessions)


def test_decided_items_carry_the_attendance_and_votes_they_came_from(seeded):
    from committees.models import Attendance, Vote, VoteChoice

    decided = AgendaItem.objects.filter(result__in=[ItemResult.APPROVED, ItemResult.REJECTED]).select_related(
        "dossier__territory", "session"
    )
    assert decided.exists()
    present = defaultdict(set)
    for session_id, member_id in Attendance.objects.filter(is_present=True).values_list("session_id", "member_id"):
        present[session_id].add(member_id)
    votes = defaultdict(dict)
    for item_id, username, member_id, choice in Vote.objects.values_list(
        "item_id", "member__username", "member_id", "choice"
    ):
        votes[item_id][member_id] = (username, choice)
    withdrawals = 0
    for item in decided:
        assert item.outcome == item.result
        assert set(votes[item.pk]) == present[item.session_id] and len(present[item.session_id]) == 4
        expected = VoteChoice.FOR if item.result == ItemResult.APPROVED else VoteChoice.AGAINST
        for username, choice in votes[item.pk].values():
            if username == "elu" and item.dossier.territory.code == "pays-basque":
                assert choice == VoteChoice.WITHDRAWN
                withdrawals += 1
            else:
                assert choice == expected
    assert withdrawals > 0


def test_agenda_positions_and_deliberation_numbers_are_consistent(seeded):
    for session in CommitteeSession.objects.all():
        positions = list(session.items.order_by("position").values_list("position", flat=True))
        assert positions == list(range(1, len(positions) + 1))
    numbered = AgendaItem.objects.filter(result__in=[ItemResult.APPROVED, ItemResult.REJECTED]).select_related(
        "session"
    )
    assert numbered.exists()
    assert not AgendaItem.objects.exclude(result__in=[ItemResult.APPROVED, ItemResult.REJECTED]).filter(
        deliberation_number__isnull=False
    )
    by_year = defaultdict(list)
    for item in numbered:
        match = re.fullmatch(r"CP-(\d{4})-(\d{2})-(\d{4})", item.deliberation_number)
        assert match and match.group(1, 2) == (f"{item.session.sits_on:%Y}", f"{item.session.sits_on:%m}")
        by_year[item.session.sits_on.year].append(int(match.group(3)))
    sequences = dict(DeliberationSequence.objects.filter(body="CP").values_list("year", "last_number"))
    assert sequences == {year: len(numbers) for year, numbers in by_year.items()}
    assert all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in by_year.values())


def test_seeding_again_adds_no_session_and_more_dossiers_continue_the_numbers(seeded):
    def counts():
        return (
            CommitteeSession.objects.count(),
            AgendaItem.objects.count(),
            list(DeliberationSequence.objects.order_by("year").values_list("year", "last_number")),
        )

    before = counts()
    seed(250)
    assert counts() == before

    seed(400)
    assert CommitteeSession.objects.values("sits_on").distinct().count() == CommitteeSession.objects.count()
    numbered = AgendaItem.objects.exclude(deliberation_number=None)
    assert numbered.values("deliberation_number").distinct().count() == numbered.count()
    for year, last in DeliberationSequence.objects.values_list("year", "last_number"):
        assert numbered.filter(session__sits_on__year=year).count() == last
    assert AgendaItem.objects.aggregate(last=Max("position"))["last"] <= AgendaItem.objects.count()


def test_the_demonstration_passes_the_consistency_check(seeded):
    from committees.consistency import consistency_problems

    assert consistency_problems() == []
