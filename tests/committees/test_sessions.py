"""Sessions are created by the committee's secretariat (or an administrator) and move on one step at a
time: in preparation → convened → held → closed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from committees.models import Body, CommitteeSession, SessionStatus
from committees.services import session_create, session_set_status
from tests.factories import make_session, make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.ADMINISTRATOR])
def test_the_secretariat_and_administrators_create_sessions_in_preparation(role):
    sits_on = timezone.localdate() + timedelta(days=20)

    session = session_create(actor=make_user(role), body=Body.PERMANENT_COMMITTEE, sits_on=sits_on, place="Limoges")

    assert (session.body, session.sits_on, session.place, session.status) == (
        Body.PERMANENT_COMMITTEE,
        sits_on,
        "Limoges",
        SessionStatus.PREPARATION,
    )


def test_a_session_without_a_place_sits_at_the_hotel_de_region():
    session = session_create(
        actor=make_user(Role.COMMITTEE_SECRETARY), body="CP", sits_on=timezone.localdate(), place="  "
    )

    assert session.place == "Hôtel de Région, Bordeaux"


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.OFFICER, Role.FINANCE, Role.SPONSOR])
def test_other_roles_cannot_create_a_session(role):
    with translation.override("en"), pytest.raises(PermissionDenied, match="secretariat"):
        session_create(actor=make_user(role), body="CP", sits_on=timezone.localdate(), place="")

    assert not CommitteeSession.objects.exists()


def test_a_new_session_cannot_be_in_the_past():
    with pytest.raises(ValidationError) as error:
        session_create(
            actor=make_user(Role.COMMITTEE_SECRETARY),
            body="CP",
            sits_on=timezone.localdate() - timedelta(days=1),
            place="",
        )

    assert error.value.code == "past_date"
    assert not CommitteeSession.objects.exists()


def test_a_session_moves_on_one_step_at_a_time_up_to_held():
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    session = make_session()

    for status in (SessionStatus.CONVENED, SessionStatus.HELD):
        session = session_set_status(session=session, actor=secretary, status=status)
        assert CommitteeSession.objects.get(pk=session.pk).status == status
    assert session.next_status == SessionStatus.CLOSED


def test_a_held_session_is_closed_only_by_applying_its_results():
    session = make_session(status=SessionStatus.HELD)

    with pytest.raises(ValidationError) as error:
        session_set_status(session=session, actor=make_user(Role.COMMITTEE_SECRETARY), status=SessionStatus.CLOSED)

    assert error.value.code == "close_with_results"
    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.HELD


@pytest.mark.parametrize(
    ("current", "status"),
    [
        (SessionStatus.PREPARATION, SessionStatus.HELD),  # skips the convocation
        (SessionStatus.CONVENED, SessionStatus.PREPARATION),  # back
        (SessionStatus.CLOSED, SessionStatus.HELD),  # back
        (SessionStatus.PREPARATION, "cancelled"),
    ],
)
def test_a_session_never_goes_back_nor_skips_a_step(current, status):
    session = make_session(status=current)

    with pytest.raises(ValidationError) as error:
        session_set_status(session=session, actor=make_user(Role.ADMINISTRATOR), status=status)

    assert error.value.code == "invalid_status"
    assert CommitteeSession.objects.get(pk=session.pk).status == current


def test_a_committee_member_cannot_move_a_session_on():
    session = make_session()

    with pytest.raises(PermissionDenied):
        session_set_status(session=session, actor=make_user(Role.COMMITTEE_MEMBER), status=SessionStatus.CONVENED)

    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.PREPARATION


def test_a_session_is_created_with_its_members_and_quorum():
    members = [make_user(Role.COMMITTEE_MEMBER) for _ in range(5)]
    in_a_week = timezone.localdate() + timedelta(days=7)

    session = session_create(
        actor=make_user(Role.COMMITTEE_SECRETARY), sits_on=in_a_week, members=members[:4], quorum=2
    )

    assert set(session.members.all()) == set(members[:4])
    assert (session.quorum, session.quorum_required) == (2, 2)
    default = session_create(actor=make_user(Role.COMMITTEE_SECRETARY), sits_on=in_a_week, members=members)
    assert default.quorum_required == 3  # more than half of five


def test_a_quorum_above_the_number_of_members_is_refused():
    members = [make_user(Role.COMMITTEE_MEMBER) for _ in range(2)]

    with pytest.raises(ValidationError) as error:
        session_create(
            actor=make_user(Role.COMMITTEE_SECRETARY),
            sits_on=timezone.localdate() + timedelta(days=7),
            members=members,
            quorum=3,
        )

    assert error.value.code == "invalid_quorum"
    assert not CommitteeSession.objects.exists()


def test_the_creation_form_ticks_every_committee_member_and_takes_a_quorum(client):
    from django.urls import reverse

    members = [make_user(Role.COMMITTEE_MEMBER, first_name=f"Élu{n}") for n in range(3)]
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))
    url = reverse("sessions:session_create")
    html = client.get(url).content.decode()
    for member in members:
        assert f'value="{member.pk}"' in html and "checked" in html.split(f'value="{member.pk}"')[1][:40]

    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    refused = client.post(url, {"body": "CP", "sits_on": day, "members": [members[0].pk], "quorum": 2})
    assert refused.status_code == 200 and refused.context["form"].errors["quorum"]
    client.post(url, {"body": "CP", "sits_on": day, "members": [m.pk for m in members[:2]], "quorum": 2})

    session = CommitteeSession.objects.get()
    assert set(session.members.all()) == set(members[:2]) and session.quorum == 2
