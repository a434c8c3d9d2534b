"""Roadmaps and follow-up meetings through the API, with the web UI's services and scope: the territory's
officers and elected representatives read a contract's roadmap with its figures, add and change its
operations and link their dossiers, prepare meetings and record their decisions as one new version;
everyone else gets a 404 on every address and changes nothing; the lists cost the same whatever their
length."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.enums import Generation
from dossiers.services import territory_assign_officer
from roadmaps import services
from roadmaps.enums import OperationStatus
from roadmaps.models import FollowUpMeeting, MeetingDecision, RoadmapOperation, RoadmapVersion
from roadmaps.services import NewOperation
from tests import factories
from tests.factories import ContractFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

S = DossierState
OPERATIONS = "/api/v1/roadmap-operations/"
MEETINGS = "/api/v1/follow-up-meetings/"


def new_operation(title="Voie verte", year=2026, cost="500000", support="150000"):
    return NewOperation(
        title=title,
        theme=factories.theme(),
        estimated_cost=Decimal(cost),
        expected_support=Decimal(support),
        expected_year=year,
        axis="Axe 1",
    )


@pytest.fixture
def roadmap(contract):
    return services.roadmap_for_contract(contract)


@pytest.fixture
def greenway(roadmap, officer):
    return services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation())


@pytest.fixture
def meeting(roadmap, officer, representative, greenway):
    return services.meeting_create(
        roadmap=roadmap, actor=representative, held_on=date(2026, 11, 20), participants=[officer, representative]
    )


@pytest.fixture
def outsiders(stranger, other_territory, contract):
    """An officer and a representative of another territory, a sponsor of the contract, finance."""
    return [
        stranger,
        make_user(Role.REPRESENTATIVE, territory=other_territory),
        make_dossier(S.SUBMITTED, contract=contract).created_by,
        make_user(Role.FINANCE),
    ]


def versions(roadmap):
    return list(RoadmapVersion.objects.filter(roadmap=roadmap).values_list("number", flat=True))


# Scope --------------------------------------------------------------------------------------------------


def test_the_territorys_officer_and_representative_read_the_roadmap_with_its_figures(
    api, contract, roadmap, greenway, officer, representative
):
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    services.operation_link_dossier(operation=greenway, dossier=dossier, actor=officer)
    for user in (officer, representative):
        listed = api(user).get("/api/v1/roadmaps/").json()["results"]
        assert [(row["contract"], row["version"]) for row in listed] == [(contract.pk, 2)]
        assert listed[0]["totals"]["planned"] == "150000.00"
        body = api(user).get(f"/api/v1/roadmaps/{contract.pk}/").json()
        [operation] = body["operations"]
        assert (operation["status"], operation["dossier_reference"]) == (OperationStatus.FILED, dossier.reference)
        assert operation["filed_amount"] == str(dossier.requested_amount)
        assert body["summary"]["total"]["filed"] == str(dossier.requested_amount)
        assert body["summary"]["by_axis"][0]["axis"] == "Axe 1"


def test_outside_the_territory_every_roadmap_address_is_a_404_and_nothing_changes(
    api, contract, roadmap, greenway, meeting, outsiders
):
    before = (versions(roadmap), list(RoadmapOperation.objects.values()), FollowUpMeeting.objects.count())
    for user in outsiders:
        client = api(user)
        assert client.get("/api/v1/roadmaps/").json()["results"] == []
        assert client.get(OPERATIONS).json()["results"] == []
        assert client.get(MEETINGS).json()["results"] == []
        for path in (f"/api/v1/roadmaps/{contract.pk}/", f"{OPERATIONS}{greenway.pk}/", f"{MEETINGS}{meeting.pk}/"):
            assert client.get(path).status_code == 404, (user, path)
        writes = [
            client.patch(f"{OPERATIONS}{greenway.pk}/", {"title": "Autre"}, format="json"),
            client.post(f"{OPERATIONS}{greenway.pk}/link-dossier/", {"dossier": 1}, format="json"),
            client.patch(f"{MEETINGS}{meeting.pk}/", {"agenda": "x"}, format="json"),
            client.post(f"{MEETINGS}{meeting.pk}/decisions/", {"decisions": []}, format="json"),
            client.post(f"{MEETINGS}{meeting.pk}/minutes/"),
        ]
        for response in writes:
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), user
        payload = {"contract": contract.pk, "title": "Intrus", "theme": factories.theme().pk}
        payload |= {"estimated_cost": "10", "expected_support": "5", "expected_year": 2027}
        assert client.post(OPERATIONS, payload, format="json").status_code == 404
        assert (
            client.post(MEETINGS, {"contract": contract.pk, "held_on": "2026-12-01"}, format="json").status_code == 404
        )
    assert (versions(roadmap), list(RoadmapOperation.objects.values()), FollowUpMeeting.objects.count()) == before


# Operations ---------------------------------------------------------------------------------------------


def test_an_officer_adds_changes_and_links_an_operation_each_change_a_new_version(api, contract, roadmap, officer):
    client = api(officer)
    payload = {
        "contract": contract.pk,
        "title": "Maison de santé",
        "theme": factories.theme().pk,
        "estimated_cost": "500000.00",
        "expected_support": "150000.00",
        "expected_year": 2027,
        "status": "completed",  # not the adder's to set
    }
    response = client.post(OPERATIONS, payload, format="json")
    assert response.status_code == 201, response.content
    operation = response.json()
    assert (operation["number"], operation["status"]) == (1, OperationStatus.IDENTIFIED)
    response = client.patch(f"{OPERATIONS}{operation['id']}/", {"expected_year": 2028}, format="json")
    assert (response.status_code, response.json()["expected_year"]) == (200, 2028)
    response = client.patch(f"{OPERATIONS}{operation['id']}/", {"expected_year": 2028}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "unchanged")
    response = client.patch(f"{OPERATIONS}{operation['id']}/", {"expected_support": "900000"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_amounts")
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    response = client.post(f"{OPERATIONS}{operation['id']}/link-dossier/", {"dossier": dossier.pk}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["dossier"], response.json()["status"]) == (dossier.pk, OperationStatus.FILED)
    response = client.patch(f"{OPERATIONS}{operation['id']}/", {"status": "identified"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "status_locked")
    response = client.post(f"{OPERATIONS}{operation['id']}/link-dossier/", {"dossier": dossier.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_linked")
    assert versions(roadmap) == [3, 2, 1]


def test_a_dossier_of_another_contract_or_outside_ones_scope_is_not_linked(api, contract, greenway, officer):
    other_contract = ContractFactory(territory=contract.territory, generation=Generation.G2018_2021)
    elsewhere = make_dossier(S.SUBMITTED, contract=other_contract)
    response = api(officer).post(f"{OPERATIONS}{greenway.pk}/link-dossier/", {"dossier": elsewhere.pk}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "other_contract")
    hidden = make_dossier(S.SUBMITTED, contract=ContractFactory(territory=factories.make_territory("Ailleurs")))
    response = api(officer).post(f"{OPERATIONS}{greenway.pk}/link-dossier/", {"dossier": hidden.pk}, format="json")
    assert response.status_code == 400
    assert "dossier" in response.json()["errors"]
    assert RoadmapOperation.objects.get(pk=greenway.pk).dossier is None


# Follow-up meetings -------------------------------------------------------------------------------------


def test_a_representative_prepares_a_meeting_and_records_its_decisions_as_one_version(
    api, contract, roadmap, greenway, officer, representative, stranger
):
    client = api(representative)
    payload = {"contract": contract.pk, "held_on": "2026-11-20", "participants": [officer.pk, representative.pk]}
    response = client.post(MEETINGS, payload, format="json")
    assert response.status_code == 201, response.content
    meeting = response.json()
    assert {person["id"] for person in meeting["participants"]} == {officer.pk, representative.pk}
    decisions = [
        {"kind": "postpone", "operation": greenway.pk, "expected_year": 2028, "decided_by": "Le comité"},
        {
            "kind": "add",
            "title": "Tiers-lieu",
            "theme": factories.theme().pk,
            "estimated_cost": "200000",
            "expected_support": "60000",
            "expected_year": 2027,
            "decided_by": "Le comité",
        },
    ]
    response = client.post(f"{MEETINGS}{meeting['id']}/decisions/", {"decisions": decisions}, format="json")
    assert response.status_code == 200, response.content
    assert [(item["kind"], item["version"]) for item in response.json()["decisions"]] == [("postpone", 2), ("add", 2)]
    assert versions(roadmap) == [2, 1]
    assert RoadmapOperation.objects.get(pk=greenway.pk).expected_year == 2028
    # A participant from another territory is refused, and nothing changes.
    response = client.patch(f"{MEETINGS}{meeting['id']}/", {"participants": [stranger.pk]}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "participant_outside")


def test_one_refused_decision_refuses_them_all(api, roadmap, greenway, meeting, representative):
    decisions = [
        {"kind": "modify_estimate", "operation": greenway.pk, "decided_by": "Le comité"},  # figures missing
    ]
    response = api(representative).post(f"{MEETINGS}{meeting.pk}/decisions/", {"decisions": decisions}, format="json")
    assert response.status_code == 400
    decisions = [
        {"kind": "postpone", "operation": greenway.pk, "expected_year": 2030, "decided_by": "Le comité"},
        {"kind": "postpone", "operation": greenway.pk, "expected_year": 2020, "decided_by": "Le comité"},
    ]
    response = api(representative).post(f"{MEETINGS}{meeting.pk}/decisions/", {"decisions": decisions}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_year")
    assert versions(roadmap) == [1]
    assert not MeetingDecision.objects.exists()
    assert RoadmapOperation.objects.get(pk=greenway.pk).expected_year == 2026


def test_the_minutes_are_written_then_issued(api, meeting, officer):
    client = api(officer)
    response = client.post(f"{MEETINGS}{meeting.pk}/minutes/")
    assert (response.status_code, response.json()["code"]) == (400, "minutes_empty")
    response = client.patch(f"{MEETINGS}{meeting.pk}/", {"minutes": "Le comité examine l'avancement."}, format="json")
    assert (response.status_code, response.json()["minutes"]) == (200, "Le comité examine l'avancement.")
    response = client.post(f"{MEETINGS}{meeting.pk}/minutes/")
    assert response.status_code == 202, response.content
    assert response.json()["number"].startswith("CRS-")


# Lists' cost --------------------------------------------------------------------------------------------


def test_the_roadmaps_lists_run_a_constant_number_of_queries(
    api, contract, roadmap, officer, representative, django_assert_num_queries
):
    client = api(officer)

    def add_everything():
        other = ContractFactory(territory=factories.make_territory(f"Territoire {RoadmapOperation.objects.count()}"))
        territory_assign_officer(territory=other.territory, user=officer)
        actor = type(officer).objects.get(pk=officer.pk)  # a new instance: its territories read again
        services.operation_add(roadmap=services.roadmap_for_contract(other), actor=actor, operation=new_operation())
        operation = services.operation_add(roadmap=roadmap, actor=officer, operation=new_operation())
        services.operation_link_dossier(
            operation=operation, dossier=make_dossier(S.SUBMITTED, contract=contract), actor=officer
        )
        services.meeting_create(roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20), participants=[officer])

    add_everything()
    paths = ("/api/v1/roadmaps/", OPERATIONS, MEETINGS, f"/api/v1/roadmaps/{contract.pk}/")
    counts = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as few:
            assert client.get(path).status_code == 200
        counts[path] = len(few)
    for _ in range(3):
        add_everything()
    for path in paths:
        with django_assert_num_queries(counts[path]):
            assert client.get(path).status_code == 200
