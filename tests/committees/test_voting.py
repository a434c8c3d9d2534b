"""The session itself (committees/voting.py): attendance, quorum, déport, votes item by item and en
bloc with exceptions, amendments, deferrals, and the closing that applies every result to its
dossier with deliberation numbers in the agenda's order."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum

from committees.models import AgendaItem, ItemResult, MemberInterest, SessionStatus, Vote, VoteChoice
from committees.voting import (
    item_defer,
    item_record_votes,
    session_close,
    session_record_attendance,
    session_record_block_vote,
)
from documents.models import DocumentJob
from dossiers.models import Dossier
from dossiers.money import format_eur
from tests.factories import make_dossier, make_session, make_user, snapshot
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent

S = DossierState
D = Decimal
FOR, AGAINST, ABSTAIN, OUT = VoteChoice.FOR, VoteChoice.AGAINST, VoteChoice.ABSTENTION, VoteChoice.NOT_TAKING_PART
pytestmark = pytest.mark.django_db


@pytest.fixture
def members(db):
    return [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr", "Dan")]


@pytest.fixture
def session(members, secretary):
    """A held session of four members, three of them present (quorum by default: 3)."""
    session = make_session(members=members, status=SessionStatus.HELD)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members[:3]])
    return session


def on_agenda(session, contract, count=1):
    items = []
    for _ in range(count):
        dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
        items.append(AgendaItem.objects.get(dossier=dossier))
    return items if count > 1 else items[0]


def everyone(members, choice=FOR, overrides=None):
    """The three present members' votes: `choice` for each, unless `overrides` (member → choice)."""
    votes = {member.pk: choice for member in members[:3]}
    votes.update({member.pk: value for member, value in (overrides or {}).items()})
    return votes


def vote_record(item):
    item = AgendaItem.objects.get(pk=item.pk)
    votes = sorted(item.votes.values_list("member__first_name", "choice"))
    return item.outcome, item.amended_amount, item.outcome_reason, votes


# Attendance and quorum --------------------------------------------------------------------------------


def test_attendance_is_recorded_for_every_member(session, members):
    rows = dict(session.attendances.values_list("member__first_name", "is_present"))
    assert rows == {"Ana": True, "Bea": True, "Cyr": True, "Dan": False}


def test_attendance_of_someone_who_is_not_a_member_is_refused(session, secretary):
    stranger = make_user(Role.COMMITTEE_MEMBER)
    with pytest.raises(ValidationError) as error:
        session_record_attendance(session=session, actor=secretary, present=[stranger.pk])
    assert error.value.code == "not_a_member"
    assert session.attendances.filter(is_present=True).count() == 3


def test_attendance_is_not_recorded_before_the_session_is_convened(members, secretary):
    session = make_session(members=members)
    with pytest.raises(ValidationError):
        session_record_attendance(session=session, actor=secretary, present=[members[0].pk])
    assert not session.attendances.exists()


def test_quorum_not_reached_refuses_the_vote_and_records_nothing(session, members, secretary, contract):
    item = on_agenda(session, contract)
    session_record_attendance(session=session, actor=secretary, present=[members[0].pk, members[1].pk])

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes={members[0].pk: FOR, members[1].pk: FOR})

    assert error.value.code == "quorum_not_reached"
    assert "2" in error.value.messages[0] and "3" in error.value.messages[0]
    assert vote_record(item) == ("", None, "", [])


def test_a_configured_quorum_replaces_the_majority_of_members(session, members, secretary, contract):
    session.quorum = 2
    session.save()
    item = on_agenda(session, contract)
    session_record_attendance(session=session, actor=secretary, present=[members[0].pk, members[1].pk])

    item_record_votes(item=item, actor=secretary, votes={members[0].pk: FOR, members[1].pk: FOR})

    assert vote_record(item)[0] == ItemResult.APPROVED


def test_the_quorum_does_not_count_a_withdrawn_member(session, members, secretary, contract):
    item = on_agenda(session, contract)
    MemberInterest.objects.create(member=members[2], organisation=item.dossier.organisation)

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes={members[0].pk: FOR, members[1].pk: FOR})

    assert error.value.code == "quorum_not_reached"
    assert not Vote.objects.exists()


def test_a_deferral_needs_the_quorum_too(session, members, secretary, contract):
    item = on_agenda(session, contract)
    session_record_attendance(session=session, actor=secretary, present=[members[0].pk])

    with pytest.raises(ValidationError) as error:
        item_defer(item=item, actor=secretary, reason="Pièces à compléter")

    assert error.value.code == "quorum_not_reached"
    assert vote_record(item) == ("", None, "", [])


# Votes item by item ------------------------------------------------------------------------------------


def test_more_votes_for_than_against_approves_the_item(session, members, secretary, contract):
    item = on_agenda(session, contract)

    item_record_votes(item=item, actor=secretary, votes=everyone(members, overrides={members[2]: AGAINST}))

    assert vote_record(item) == (
        ItemResult.APPROVED,
        None,
        "",
        [("Ana", FOR), ("Bea", FOR), ("Cyr", AGAINST)],
    )
    assert Dossier.objects.get(pk=item.dossier_id).state == S.SCHEDULED  # applied at the closing only


def test_a_tie_or_a_majority_against_rejects_the_item_and_needs_a_reason(session, members, secretary, contract):
    item = on_agenda(session, contract)
    votes = everyone(members, overrides={members[0]: AGAINST, members[1]: ABSTAIN})

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes=votes)
    assert error.value.code == "reason_required"
    assert vote_record(item) == ("", None, "", [])

    item_record_votes(item=item, actor=secretary, votes=votes, reason="Projet hors cadre")
    assert vote_record(item)[0::2] == (ItemResult.REJECTED, "Projet hors cadre")


def test_every_present_member_needs_a_vote_and_absent_ones_cannot_vote(session, members, secretary, contract):
    item = on_agenda(session, contract)

    with pytest.raises(ValidationError) as missing:
        item_record_votes(item=item, actor=secretary, votes={members[0].pk: FOR, members[1].pk: FOR})
    with pytest.raises(ValidationError) as absent:
        item_record_votes(item=item, actor=secretary, votes=everyone(members) | {members[3].pk: FOR})

    assert (missing.value.code, absent.value.code) == ("vote_missing", "not_present")
    assert "Cyr" in missing.value.messages[0] and "Dan" in absent.value.messages[0]
    assert not Vote.objects.exists()


def test_a_member_not_taking_part_or_abstaining_is_recorded_but_decides_nothing(session, members, secretary, contract):
    item = on_agenda(session, contract)

    item_record_votes(
        item=item, actor=secretary, votes=everyone(members, overrides={members[1]: OUT, members[2]: ABSTAIN})
    )

    assert vote_record(item)[0] == ItemResult.APPROVED
    assert item.votes.filter(choice=OUT).count() == 1


def test_recording_an_item_again_replaces_its_votes(session, members, secretary, contract):
    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members))

    item_record_votes(item=item, actor=secretary, votes=everyone(members, AGAINST), reason="Revote")

    assert vote_record(item)[0] == ItemResult.REJECTED
    assert item.votes.count() == 3


def test_votes_are_recorded_only_while_the_session_is_held(members, secretary, contract):
    session = make_session(members=members, status=SessionStatus.CONVENED)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members[:3]])
    item = on_agenda(session, contract)

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes=everyone(members))

    assert error.value.code == "invalid_session_status"
    assert not Vote.objects.exists()


def test_a_member_cannot_record_votes(session, members, contract):
    item = on_agenda(session, contract)
    with pytest.raises(PermissionDenied):
        item_record_votes(item=item, actor=members[0], votes=everyone(members))
    assert not Vote.objects.exists()


# Déport -----------------------------------------------------------------------------------------------


def test_a_withdrawn_members_vote_is_refused(session, members, secretary, contract):
    item = on_agenda(session, contract)
    MemberInterest.objects.create(
        member=members[0], organisation=item.dossier.organisation, description="Président de l'association"
    )
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes={m.pk: FOR for m in members})

    assert error.value.code == "member_withdrawn"
    assert "Ana" in error.value.messages[0] and item.dossier.organisation.name in error.value.messages[0]
    assert vote_record(item) == ("", None, "", [])


def test_a_withdrawn_member_is_recorded_as_such_and_not_counted(session, members, secretary, contract):
    item = on_agenda(session, contract)
    MemberInterest.objects.create(member=members[0], territory=item.dossier.territory)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])

    # Without Ana (withdrawn), 2 for and 1 against approve; her vote would not be counted anyway.
    item_record_votes(
        item=item, actor=secretary, votes={members[1].pk: FOR, members[2].pk: FOR, members[3].pk: AGAINST}
    )

    outcome, _amount, _reason, votes = vote_record(item)
    assert outcome == ItemResult.APPROVED
    assert ("Ana", VoteChoice.WITHDRAWN) in votes


def test_an_interest_in_another_sponsor_withdraws_nobody(session, members, secretary, contract):
    item = on_agenda(session, contract)
    other = make_dossier(S.DRAFT)
    MemberInterest.objects.create(member=members[0], organisation=other.organisation)

    item_record_votes(item=item, actor=secretary, votes=everyone(members))

    assert ("Ana", FOR) in vote_record(item)[3]


# Amendments and deferrals ------------------------------------------------------------------------------


def test_an_amendment_sets_the_amount_put_to_the_vote(session, members, secretary, contract):
    item = on_agenda(session, contract)

    item_record_votes(item=item, actor=secretary, votes=everyone(members), amended_amount=D("65000.00"))

    item.refresh_from_db()
    assert (item.amended_amount, item.amount_put_to_vote) == (D("65000.00"), D("65000.00"))


@pytest.mark.parametrize("amount", [D("80000.01"), D("120000"), D("0"), D("-5")])
def test_an_amendment_above_the_request_or_not_positive_is_refused(session, members, secretary, contract, amount):
    item = on_agenda(session, contract)  # requested: 80 000,00 €

    with pytest.raises(ValidationError) as error:
        item_record_votes(item=item, actor=secretary, votes=everyone(members), amended_amount=amount)

    assert error.value.code == ("amount_above_request" if amount > 0 else "invalid_amount")
    assert vote_record(item) == ("", None, "", [])


def test_an_amendment_equal_to_the_request_is_accepted(session, members, secretary, contract):
    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members), amended_amount=D("80000.00"))
    assert vote_record(item)[:2] == (ItemResult.APPROVED, D("80000.00"))


def test_a_deferral_needs_a_reason_and_clears_earlier_votes(session, members, secretary, contract):
    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members))

    with pytest.raises(ValidationError):
        item_defer(item=item, actor=secretary, reason="  ")
    item_defer(item=item, actor=secretary, reason="Attendre l'avis de l'ABF")

    assert vote_record(item) == (ItemResult.DEFERRED, None, "Attendre l'avis de l'ABF", [])


# En bloc ----------------------------------------------------------------------------------------------


def test_en_bloc_votes_every_item_except_the_listed_exceptions(session, members, secretary, contract):
    items = on_agenda(session, contract, count=4)

    result = session_record_block_vote(
        session=session, actor=secretary, votes=everyone(members), exceptions=[items[1].pk]
    )

    assert [item.pk for item in result.items] == [items[0].pk, items[2].pk, items[3].pk]
    assert [vote_record(item)[0] for item in items] == [ItemResult.APPROVED, "", ItemResult.APPROVED] * 1 + [
        ItemResult.APPROVED
    ]
    assert AgendaItem.objects.filter(voted_en_bloc=True).count() == 3
    assert Vote.objects.filter(item=items[1]).count() == 0
    assert Vote.objects.count() == 9


def test_en_bloc_leaves_items_already_voted_one_by_one(session, members, secretary, contract):
    items = on_agenda(session, contract, count=2)
    item_record_votes(item=items[0], actor=secretary, votes=everyone(members), amended_amount=D("50000"))

    result = session_record_block_vote(session=session, actor=secretary, votes=everyone(members))

    assert [item.pk for item in result.items] == [items[1].pk]
    assert vote_record(items[0])[1] == D("50000.00")


def test_en_bloc_records_a_withdrawal_instead_of_the_interested_members_vote(session, members, secretary, contract):
    items = on_agenda(session, contract, count=2)
    MemberInterest.objects.create(member=members[0], organisation=items[1].dossier.organisation)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])

    result = session_record_block_vote(session=session, actor=secretary, votes={m.pk: FOR for m in members})

    assert result.withdrawals == 1
    assert ("Ana", FOR) in vote_record(items[0])[3]
    assert ("Ana", VoteChoice.WITHDRAWN) in vote_record(items[1])[3]


def test_en_bloc_refuses_the_whole_block_when_one_item_lacks_the_quorum(session, members, secretary, contract):
    items = on_agenda(session, contract, count=3)
    # Two of the three present members have an interest in the last item's territory: no quorum there.
    for member in members[:2]:
        MemberInterest.objects.create(member=member, organisation=items[2].dossier.organisation)

    with pytest.raises(ValidationError) as error:
        session_record_block_vote(session=session, actor=secretary, votes=everyone(members))

    assert error.value.code == "quorum_not_reached"
    assert not Vote.objects.exists()
    assert not AgendaItem.objects.exclude(outcome="").exists()


def test_en_bloc_with_every_item_excepted_is_refused(session, members, secretary, contract):
    item = on_agenda(session, contract)
    with pytest.raises(ValidationError) as error:
        session_record_block_vote(session=session, actor=secretary, votes=everyone(members), exceptions=[item.pk])
    assert error.value.code == "empty_block"


# Closing ----------------------------------------------------------------------------------------------


def test_closing_applies_every_result_in_the_agendas_order(
    session, members, secretary, contract, django_capture_on_commit_callbacks
):
    approved, amended, rejected, deferred = on_agenda(session, contract, count=4)
    item_record_votes(item=approved, actor=secretary, votes=everyone(members))
    item_record_votes(item=amended, actor=secretary, votes=everyone(members), amended_amount=D("61234.56"))
    item_record_votes(item=rejected, actor=secretary, votes=everyone(members, AGAINST), reason="Hors cadre")
    item_defer(item=deferred, actor=secretary, reason="À revoir")

    with django_capture_on_commit_callbacks(execute=False):
        report = session_close(session=session, actor=secretary)

    assert report.closed and report.applied == 4 and not report.refused
    states = {d.pk: (d.state, d.granted_amount) for d in Dossier.objects.all()}
    assert states[approved.dossier_id] == (S.APPROVED, D("80000.00"))
    assert states[amended.dossier_id] == (S.APPROVED, D("61234.56"))
    assert states[rejected.dossier_id][0] == S.REJECTED
    assert states[deferred.dossier_id][0] == S.REVIEWED
    year, month = session.sits_on.year, session.sits_on.month
    numbers = list(AgendaItem.objects.order_by("position").values_list("result", "voted_amount", "deliberation_number"))
    assert numbers == [
        (ItemResult.APPROVED, D("80000.00"), f"CP-{year}-{month:02}-0001"),
        (ItemResult.APPROVED, D("61234.56"), f"CP-{year}-{month:02}-0002"),
        (ItemResult.REJECTED, None, f"CP-{year}-{month:02}-0003"),
        (ItemResult.DEFERRED, None, None),
    ]
    rejection = AuditEvent.objects.get(kind=AuditKind.TRANSITION, transition="reject")
    assert rejection.comment == "Hors cadre"
    # The letters of the three decisions, in one batch, rendered by one task after the closing.
    assert report.letters == DocumentJob.objects.count() == 6
    assert set(DocumentJob.objects.values_list("batch", flat=True)) == {report.batch.pk}


def test_closing_is_refused_while_an_item_has_no_vote(session, members, secretary, contract):
    voted, waiting = on_agenda(session, contract, count=2)
    item_record_votes(item=voted, actor=secretary, votes=everyone(members))

    with pytest.raises(ValidationError) as error:
        session_close(session=session, actor=secretary)

    assert error.value.code == "items_without_vote"
    assert str(waiting.position) in error.value.messages[0]
    session.refresh_from_db()
    assert (session.status, session.closing_since) == (SessionStatus.HELD, None)
    assert Dossier.objects.filter(state=S.SCHEDULED).count() == 2


def test_an_item_the_envelope_cannot_take_is_refused_alone_and_the_session_stays_held(
    session, members, secretary, contract
):
    envelope = contract.envelopes.get()
    envelope.amount = D("100000.00")
    envelope.save()
    _first, second, third = on_agenda(session, contract, count=3)
    session_record_block_vote(session=session, actor=secretary, votes=everyone(members), exceptions=[third.pk])
    item_record_votes(item=third, actor=secretary, votes=everyone(members), amended_amount=D("10000.00"))
    before = snapshot(second.dossier_id)

    report = session_close(session=session, actor=secretary)

    # 80 000 € then 10 000 € fit in the 100 000 € envelope; the second 80 000 € does not.
    assert not report.closed and report.applied == 2
    assert [(item.pk, format_eur(D("80000")) in message) for item, message in report.refused] == [(second.pk, True)]
    assert snapshot(second.dossier_id) == before
    assert AgendaItem.objects.get(pk=second.pk).apply_error
    assert Dossier.objects.get(pk=third.dossier_id).state == S.APPROVED
    assert Dossier.objects.filter(envelope=envelope).aggregate(total=Sum("granted_amount"))["total"] == D("90000.00")
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD

    # The committee lowers the amount; the closing is run again and only applies what is left.
    item_record_votes(item=second, actor=secretary, votes=everyone(members), amended_amount=D("10000.00"))
    report = session_close(session=session, actor=secretary)
    assert report.closed and report.applied == 1
    assert not AgendaItem.objects.get(pk=second.pk).apply_error
    numbers = AgendaItem.objects.order_by("deliberation_number").values_list("position", "deliberation_number")
    assert [(position, number[-4:]) for position, number in numbers] == [(1, "0001"), (3, "0002"), (2, "0003")]


def test_a_closed_session_is_not_closed_again(session, members, secretary, contract):
    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members))
    session_close(session=session, actor=secretary)

    with pytest.raises(ValidationError) as error:
        session_close(session=session, actor=secretary)

    assert error.value.code == "invalid_session_status"
    assert AuditEvent.objects.filter(kind=AuditKind.TRANSITION, transition="approve").count() == 1


def test_a_session_being_closed_refuses_votes_and_a_second_closing(session, members, secretary, contract):
    from django.utils import timezone

    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members))
    type(session).objects.filter(pk=session.pk).update(closing_since=timezone.now())

    for call in (
        lambda: session_close(session=session, actor=secretary),
        lambda: item_record_votes(item=item, actor=secretary, votes=everyone(members)),
    ):
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.code == "closing"
    assert Dossier.objects.get(pk=item.dossier_id).state == S.SCHEDULED


def test_a_member_cannot_close_the_session(session, members, secretary, contract):
    item = on_agenda(session, contract)
    item_record_votes(item=item, actor=secretary, votes=everyone(members))
    with pytest.raises(PermissionDenied):
        session_close(session=session, actor=members[0])
    assert Dossier.objects.get(pk=item.dossier_id).state == S.SCHEDULED


def test_a_session_of_500_items_is_closed_in_one_action(
    session, members, secretary, contract, settings, django_capture_on_commit_callbacks
):
    """One en bloc vote, one closing: 500 dossiers decided, numbered in the agenda's order, and their
    letters handed to one background task."""
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    envelope = contract.envelopes.get()
    envelope.amount = D("50000000.00")
    envelope.save()
    first = make_dossier(S.SCHEDULED, contract=contract, session=session)
    for _ in range(499):
        make_dossier(
            S.SCHEDULED,
            contract=contract,
            session=session,
            organisation=first.organisation,
            creator=first.created_by,
            pieces=False,
        )
    rejected = AgendaItem.objects.get(session=session, position=250)
    session_record_block_vote(session=session, actor=secretary, votes=everyone(members), exceptions=[rejected.pk])
    item_record_votes(item=rejected, actor=secretary, votes=everyone(members, AGAINST), reason="Hors cadre")

    with django_capture_on_commit_callbacks(execute=True):
        report = session_close(session=session, actor=secretary)

    assert report.closed and report.applied == 500 and not report.refused
    assert Dossier.objects.filter(state=S.APPROVED).count() == 499
    assert Dossier.objects.get(pk=rejected.dossier_id).state == S.REJECTED
    numbers = list(session.items.order_by("position").values_list("deliberation_number", flat=True))
    assert [int(number[-4:]) for number in numbers] == list(range(1, 501))
    assert report.letters == 1000 == DocumentJob.objects.filter(batch=report.batch).count()
    (rendering,) = [result for result in default_task_backend.results if result.task.name == "render_documents"]
    assert len(rendering.kwargs["job_ids"]) == 1000


def test_a_closing_started_from_the_page_runs_as_a_task(session, members, secretary, contract, settings):
    from committees.voting import closing_progress, session_close_enqueue, session_close_run

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    items = on_agenda(session, contract, count=2)
    session_record_block_vote(session=session, actor=secretary, votes=everyone(members))

    started = session_close_enqueue(session=session, actor=secretary)

    # Begun but not run yet: the session refuses votes, and the page shows 0 of 2 applied.
    assert started.closing_since is not None and started.status == SessionStatus.HELD
    assert closing_progress(started) == {"total": 2, "applied": 0, "refused": 0, "running": True}
    with pytest.raises(ValidationError):
        item_record_votes(item=items[0], actor=secretary, votes=everyone(members))

    report = session_close_run(session_id=session.pk, actor_id=secretary.pk)

    assert report.closed and report.applied == 2
    assert closing_progress(report.session) == {"total": 2, "applied": 2, "refused": 0, "running": False}
    # A task delivered twice does nothing the second time.
    assert session_close_run(session_id=session.pk, actor_id=secretary.pk).applied == 0
    assert AuditEvent.objects.filter(kind=AuditKind.TRANSITION, transition="approve").count() == 2
