"""The Commission permanente through the API: the secretariat runs a session (creates it, builds and
orders its agenda, moves it on, records the attendance and the votes, closes it) through the web UI's
services, and the dossiers end approved with the amount voted; members read but do not act (403);
everyone else gets 404; scenarios and declared interests as on their pages; constant queries on lists."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from committees.models import AgendaItem, CommitteeSession, ItemResult, MemberInterest, Scenario, SessionStatus, Vote
from committees.services import session_set_status
from committees.voting import session_record_attendance
from dossiers.models import Dossier
from tests.factories import make_dossier, make_session, make_user
from workflows.enums import DossierState, Role
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db

S = DossierState
SESSIONS = "/api/v1/committee-sessions/"


@pytest.fixture
def members(db):
    return [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr")]


@pytest.fixture
def held(members, secretary):
    """A held session of three members, all present."""
    session = make_session(members=members, status=SessionStatus.HELD)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    return session


def session_url(session, verb=None):
    return f"{SESSIONS}{session.pk}/{verb}/" if verb else f"{SESSIONS}{session.pk}/"


def items_url(session, item=None, verb=None):
    base = f"{SESSIONS}{session.pk}/items/"
    if item is not None:
        base += f"{item.pk}/"
    return f"{base}{verb}/" if verb else base


def on_agenda(session, contract):
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    return AgendaItem.objects.get(dossier=dossier)


def votes(members, choice="for"):
    return [{"member": member.pk, "choice": choice} for member in members]


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def session_state(session):
    """What a refusal must leave as it was: the session, its items and their votes."""
    return (
        CommitteeSession.objects.filter(pk=session.pk).values().get(),
        list(AgendaItem.objects.filter(session=session).values()),
        list(Vote.objects.filter(item__session=session).values()),
    )


# The whole session -----------------------------------------------------------------------------------


def test_the_secretary_runs_a_session_and_the_dossiers_end_approved_with_the_amount_voted(
    api, secretary, members, contract
):
    client = api(secretary)
    first = make_dossier(S.REVIEWED, contract=contract)
    second = make_dossier(S.REVIEWED, contract=contract)
    sits_on = (timezone.localdate() + timedelta(days=20)).isoformat()

    response = client.post(SESSIONS, {"sits_on": sits_on, "place": "Bordeaux"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["place"], body["next_status"]) == (SessionStatus.PREPARATION, "Bordeaux", "convened")
    assert {m["id"] for m in body["members"]} == {m.pk for m in members}  # every member by default
    session = CommitteeSession.objects.get(pk=body["id"])

    for dossier in (first, second):
        response = client.post(items_url(session), {"dossier": dossier.pk}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["dossier"]["id"] == dossier.pk
    assert Dossier.objects.get(pk=first.pk).state == S.SCHEDULED
    assert AuditEvent.objects.filter(dossier=first, transition="schedule", actor=secretary).exists()

    items = client.get(items_url(session)).json()["results"]
    response = client.post(
        items_url(session, verb="reorder"), {"items": [items[1]["id"], items[0]["id"]]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert [row["dossier"]["id"] for row in response.json()] == [second.pk, first.pk]

    for status in ("convened", "held"):
        response = client.post(session_url(session, "status"), {"status": status}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    response = client.post(session_url(session, "attendance"), {"present": [m.pk for m in members]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["present"] == sorted(m.pk for m in members)

    first_item = AgendaItem.objects.get(session=session, dossier=first)
    response = client.post(
        items_url(session, first_item, "vote"), {"votes": votes(members), "amended_amount": "50000.00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["outcome"], response.json()["amended_amount"]) == (ItemResult.APPROVED, "50000.00")
    assert response.json()["votes"]["for"] == 3
    response = client.post(session_url(session, "block-vote"), {"votes": votes(members)}, format="json")
    assert response.status_code == 200, response.content

    response = client.post(session_url(session, "close"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == SessionStatus.CLOSED
    first, second = Dossier.objects.get(pk=first.pk), Dossier.objects.get(pk=second.pk)
    assert (first.state, first.granted_amount) == (S.APPROVED, Decimal("50000.00"))
    assert (second.state, second.granted_amount) == (S.APPROVED, second.proposed_amount)
    rows = {row["dossier"]["id"]: row for row in client.get(session_url(session)).json()["items"]}
    assert rows[first.pk]["result"] == ItemResult.APPROVED
    assert rows[first.pk]["voted_amount"] == "50000.00"
    assert rows[first.pk]["deliberation_number"]
    assert AuditEvent.objects.get(dossier=first, transition="approve").actor == secretary


def test_a_rejection_needs_a_reason_and_a_deferral_sends_the_dossier_back(api, secretary, members, held, contract):
    rejected, deferred = on_agenda(held, contract), on_agenda(held, contract)
    client = api(secretary)
    before = session_state(held)
    response = client.post(items_url(held, rejected, "vote"), {"votes": votes(members, "against")}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    assert session_state(held) == before
    response = client.post(
        items_url(held, rejected, "vote"), {"votes": votes(members, "against"), "reason": "Hors cadre"}, format="json"
    )
    assert response.json()["outcome"] == ItemResult.REJECTED
    response = client.post(items_url(held, deferred, "defer"), {"reason": "Plus tard"}, format="json")
    assert response.json()["outcome"] == ItemResult.DEFERRED
    assert client.post(session_url(held, "close")).json()["status"] == SessionStatus.CLOSED
    assert Dossier.objects.get(pk=rejected.dossier_id).state == S.REJECTED
    assert Dossier.objects.get(pk=deferred.dossier_id).state == S.REVIEWED


# Refusals ---------------------------------------------------------------------------------------------


def test_state_refusals_are_409_with_the_services_codes_and_change_nothing(api, secretary, members, contract):
    session = make_session(members=members)
    item = on_agenda(session, contract)
    client = api(secretary)
    before = session_state(session)
    response = client.post(session_url(session, "status"), {"status": "held"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_status")
    response = client.post(items_url(session, item, "vote"), {"votes": votes(members)}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_session_status")
    response = client.post(session_url(session, "close"))
    assert (response.status_code, response.json()["code"]) == (409, "invalid_session_status")
    assert session_state(session) == before
    session_set_status(session=session, actor=secretary, status=SessionStatus.CONVENED)
    session_set_status(session=session, actor=secretary, status=SessionStatus.HELD)
    response = client.post(session_url(session, "close"))
    assert (response.status_code, response.json()["code"]) == (409, "items_without_vote")
    response = client.post(items_url(session, verb="reorder"), {"order_by": "theme"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "agenda_closed")
    response = client.post(items_url(session), {"dossier": make_dossier(S.REVIEWED, contract=contract).pk})
    assert response.status_code == 409


def test_a_vote_of_a_member_not_present_or_a_missing_vote_is_a_400(api, secretary, members, held, contract):
    item = on_agenda(held, contract)
    session_record_attendance(session=held, actor=secretary, present=[m.pk for m in members[:2]])
    client = api(secretary)
    before = session_state(held)
    response = client.post(items_url(held, item, "vote"), {"votes": votes(members)}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "not_present")
    response = client.post(items_url(held, item, "vote"), {"votes": votes(members[:1])}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "vote_missing")
    assert session_state(held) == before


def test_a_member_reads_the_session_but_cannot_act(api, members, held, contract):
    item = on_agenda(held, contract)
    client = api(members[0])
    assert ids(client.get(SESSIONS)) == [held.pk]
    assert client.get(session_url(held)).status_code == 200
    before = session_state(held)
    for path, payload in (
        (items_url(held, item, "vote"), {"votes": votes(members)}),
        (items_url(held, item, "defer"), {"reason": "x"}),
        (session_url(held, "block-vote"), {"votes": votes(members)}),
        (session_url(held, "close"), {}),
        (session_url(held, "status"), {"status": "held"}),
        (session_url(held, "attendance"), {"present": []}),
        (items_url(held, verb="reorder"), {"order_by": "theme"}),
        (SESSIONS, {"sits_on": timezone.localdate().isoformat()}),
    ):
        response = client.post(path, payload, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), path
    assert client.delete(items_url(held, item)).status_code == 403
    assert session_state(held) == before


@pytest.mark.parametrize("role", [Role.OFFICER, Role.SPONSOR, Role.FINANCE, Role.REPRESENTATIVE])
def test_a_session_is_a_404_for_everyone_else(api, role, members, held, contract, territory):
    item = on_agenda(held, contract)
    user = make_user(role, territory=territory)
    client = api(user)
    before = session_state(held)
    assert ids(client.get(SESSIONS)) == []
    assert client.get(session_url(held)).status_code == 404
    assert client.get(items_url(held)).status_code == 404
    assert client.get(items_url(held, item)).status_code == 404
    for path, payload in (
        (items_url(held, item, "vote"), {"votes": votes(members)}),
        (items_url(held, item, "defer"), {"reason": "x"}),
        (items_url(held), {"dossier": item.dossier_id}),
        (session_url(held, "block-vote"), {"votes": votes(members)}),
        (session_url(held, "close"), {}),
        (session_url(held, "status"), {"status": "held"}),
    ):
        assert client.post(path, payload, format="json").status_code == 404, path
    assert client.delete(items_url(held, item)).status_code == 404
    assert client.post(SESSIONS, {"sits_on": timezone.localdate().isoformat()}, format="json").status_code == 403
    assert session_state(held) == before


def test_a_session_in_the_past_is_refused_with_its_code(api, secretary):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = api(secretary).post(SESSIONS, {"sits_on": yesterday}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "past_date")
    assert not CommitteeSession.objects.exists()


def test_the_procedures_fields_cannot_be_written(api, secretary, members, held, contract):
    item = on_agenda(held, contract)
    client = api(secretary)
    for method in ("put", "patch"):
        assert getattr(client, method)(session_url(held), {"status": "closed"}, format="json").status_code == 405
        response = getattr(client, method)(items_url(held, item), {"result": "approved"}, format="json")
        assert response.status_code == 405
    assert CommitteeSession.objects.get(pk=held.pk).status == SessionStatus.HELD


def test_taking_a_dossier_off_the_agenda(api, secretary, contract):
    session = make_session()
    item = on_agenda(session, contract)
    response = api(secretary).delete(items_url(session, item))
    assert response.status_code == 204, response.content
    assert Dossier.objects.get(pk=item.dossier_id).state == S.REVIEWED
    assert not AgendaItem.objects.filter(pk=item.pk).exists()


# Lists ------------------------------------------------------------------------------------------------


def test_the_lists_run_a_constant_number_of_queries(api, secretary, members, contract, django_assert_num_queries):
    client = api(secretary)
    session = make_session(members=members)
    on_agenda(session, contract)
    client.get(SESSIONS)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(SESSIONS))) == 1
    with CaptureQueriesContext(connection) as few_items:
        assert len(ids(client.get(items_url(session)))) == 1
    with CaptureQueriesContext(connection) as detail:
        assert len(client.get(session_url(session)).json()["items"]) == 1
    for _ in range(4):
        make_session(members=members)
        on_agenda(session, contract)
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get(SESSIONS))) == 5
    with django_assert_num_queries(len(few_items)):
        assert len(ids(client.get(items_url(session)))) == 5
    with django_assert_num_queries(len(detail)):
        assert len(client.get(session_url(session)).json()["items"]) == 5


# Scenarios --------------------------------------------------------------------------------------------


def test_a_scenario_is_saved_read_and_turned_into_an_agenda(api, officer, secretary, contract):
    envelope = contract.envelopes.get()
    dossiers = [make_dossier(S.REVIEWED, contract=contract) for _ in range(2)]
    lines = [{"dossier": d.pk, "eligible_base": "100000.00", "amount": "40000.00"} for d in dossiers]
    client = api(officer)
    response = client.post(
        "/api/v1/scenarios/", {"envelope": envelope.pk, "name": "Hypothèse A", "lines": lines}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["figures"]["total"], body["line_count"]) == ("80000.00", 2)
    assert Decimal(body["figures"]["remaining"]) == envelope.amount - Decimal("80000.00")
    scenario = Scenario.objects.get(pk=body["id"])
    assert [row["id"] for row in client.get("/api/v1/scenarios/").json()["results"]] == [scenario.pk]

    too_much = [{**lines[0], "amount": "150000.00"}]
    response = client.put(
        f"/api/v1/scenarios/{scenario.pk}/", {"envelope": envelope.pk, "name": "B", "lines": too_much}, format="json"
    )
    assert response.status_code == 400
    assert Scenario.objects.get(pk=scenario.pk).name == "Hypothèse A"

    session = make_session()
    refused = client.post(f"/api/v1/scenarios/{scenario.pk}/agenda/", {"session": session.pk}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    response = api(secretary).post(f"/api/v1/scenarios/{scenario.pk}/agenda/", {"session": session.pk}, format="json")
    assert response.status_code == 200, response.content
    assert sorted(response.json()["scheduled"]) == sorted(d.pk for d in dossiers)
    assert set(AgendaItem.objects.filter(session=session).values_list("proposed_amount", flat=True)) == {
        Decimal("40000.00")
    }
    again = api(secretary).post(f"/api/v1/scenarios/{scenario.pk}/agenda/", {"session": session.pk}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_turned")


def test_another_territorys_scenarios_are_a_404(api, officer, stranger, contract):
    envelope = contract.envelopes.get()
    dossier = make_dossier(S.REVIEWED, contract=contract)
    line = {"dossier": dossier.pk, "eligible_base": "100000.00", "amount": "40000.00"}
    scenario_id = (
        api(officer)
        .post("/api/v1/scenarios/", {"envelope": envelope.pk, "name": "A", "lines": [line]}, format="json")
        .json()["id"]
    )
    client = api(stranger)
    assert ids(client.get("/api/v1/scenarios/")) == []
    assert client.get(f"/api/v1/scenarios/{scenario_id}/").status_code == 404
    assert client.delete(f"/api/v1/scenarios/{scenario_id}/").status_code == 404
    response = client.post("/api/v1/scenarios/", {"envelope": envelope.pk, "name": "B", "lines": [line]}, format="json")
    assert response.status_code == 400
    assert Scenario.objects.count() == 1


# Declared interests -----------------------------------------------------------------------------------


def test_a_member_declares_and_removes_an_interest_and_withdraws_from_its_items(
    api, secretary, members, held, contract
):
    item = on_agenda(held, contract)
    client = api(members[0])
    response = client.post("/api/v1/interests/", {"territory": contract.territory_id}, format="json")
    assert response.status_code == 201, response.content
    again = client.post("/api/v1/interests/", {"territory": contract.territory_id}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_interest")
    both = client.post(
        "/api/v1/interests/", {"territory": contract.territory_id, "organisation": item.dossier.organisation_id}
    )
    assert (both.status_code, both.json()["code"]) == (400, "organisation_or_territory")
    assert ids(client.get("/api/v1/interests/")) == [response.json()["id"]]

    # Withdrawn (déport): the vote of the two others is enough (quorum 2 of 3) and the member's is not counted.
    result = api(secretary).post(items_url(held, item, "vote"), {"votes": votes(members[1:])}, format="json")
    assert result.status_code == 200, result.content
    assert result.json()["votes"]["withdrawn"] == 1

    interest = MemberInterest.objects.get(member=members[0])
    refused = api(members[0]).delete(f"/api/v1/interests/{interest.pk}/")
    assert (refused.status_code, refused.json()["code"]) == (409, "session_held")
    assert ids(api(members[1]).get("/api/v1/interests/")) == []
    assert api(members[1]).delete(f"/api/v1/interests/{interest.pk}/").status_code == 404
    forbidden = api(secretary).post("/api/v1/interests/", {"territory": contract.territory_id}, format="json")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")


def test_the_scenarios_list_runs_a_constant_number_of_queries(api, secretary, contract, django_assert_num_queries):
    from committees.scenarios import scenario_save

    envelope = contract.envelopes.get()

    def save(count):
        for _ in range(count):
            dossier = make_dossier(S.REVIEWED, contract=contract)
            line = (dossier.pk, Decimal("100000.00"), Decimal("40000.00"))
            scenario_save(actor=secretary, envelope=envelope, name="Hypothèse", lines=[line])

    client = api(secretary)
    save(1)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/scenarios/"))) == 1
    save(4)
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/scenarios/"))) == 5
