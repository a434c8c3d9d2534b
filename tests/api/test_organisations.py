"""Organisations through the API: a sponsor sees theirs, the Region's staff the sponsors of the dossiers
they may see; a sponsor registers one (SIRET checked, first member) or asks to join one already
registered, whose members answer, all through the portal's services; 404 outside one's scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.enums import LegalForm
from dossiers.models import Membership, Organisation
from portal.enums import MembershipRequestStatus
from portal.models import MembershipRequest
from tests.factories import ContractFactory, OrganisationFactory, make_dossier, make_user, valid_siret
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


def test_a_sponsor_sees_their_organisations_with_their_identifiers(api, sponsor, organisation):
    OrganisationFactory()  # someone else's
    response = api(sponsor).get("/api/v1/organisations/")
    assert ids(response) == {organisation.pk}
    row = response.json()["results"][0]
    assert (row["siret"], row["siren"], row["legal_form"], row["is_member"]) == (
        organisation.siret,
        organisation.siret[:9],
        LegalForm.COMMUNE,
        True,
    )


def test_an_officer_sees_the_sponsors_of_their_territorys_dossiers(api, officer, contract, other_territory):
    mine = make_dossier(DossierState.SUBMITTED, contract=contract)
    make_dossier(DossierState.SUBMITTED, contract=ContractFactory(territory=other_territory))
    OrganisationFactory()
    response = api(officer).get("/api/v1/organisations/")
    assert ids(response) == {mine.organisation_id}
    assert response.json()["results"][0]["is_member"] is False


def test_another_organisation_is_a_404(api, sponsor, stranger, contract):
    theirs = make_dossier(DossierState.SUBMITTED, contract=contract).organisation
    for user in (sponsor, stranger):
        response = api(user).get(f"/api/v1/organisations/{theirs.pk}/")
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert theirs.siret not in response.content.decode()


def test_organisations_are_not_edited_nor_deleted_through_the_api(api, sponsor, organisation):
    client = api(sponsor)
    assert client.patch(f"/api/v1/organisations/{organisation.pk}/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/organisations/{organisation.pk}/").status_code == 405
    assert Organisation.objects.get(pk=organisation.pk).name == organisation.name


def test_a_sponsor_registers_an_organisation_and_becomes_its_first_member(api, sponsor):
    siret = valid_siret()
    payload = {"name": "Association Garazi", "legal_form": "association", "siret": siret, "email": "a@example.test"}
    response = api(sponsor).post("/api/v1/organisations/", payload, format="json")
    assert response.status_code == 201, response.content
    organisation = Organisation.objects.get(pk=response.json()["id"])
    assert (organisation.siret, organisation.name) == (siret, "Association Garazi")
    assert Membership.objects.filter(organisation=organisation, user=sponsor).exists()
    assert response.json()["is_member"] is True


def test_an_association_registers_with_its_rna_number_alone(api, sponsor):
    payload = {"name": "Les Amis", "legal_form": "association", "rna": "w332001234"}
    response = api(sponsor).post("/api/v1/organisations/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["rna"] == "W332001234"


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"legal_form": "commune"}, "identifier_missing"),
        ({"legal_form": "commune", "siret": "12345678901234"}, "siret_checksum"),
        ({"legal_form": "commune", "rna": "W332001234"}, "siret_required"),
        ({"legal_form": "association", "rna": "X1"}, "rna_format"),
    ],
)
def test_a_bad_identifier_is_refused_with_its_code(api, sponsor, payload, code):
    count = Organisation.objects.count()
    response = api(sponsor).post("/api/v1/organisations/", {"name": "Test", **payload}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert Organisation.objects.count() == count


def test_an_organisation_already_registered_is_refused(api, sponsor):
    theirs = OrganisationFactory()
    payload = {"name": "Copie", "legal_form": "commune", "siret": theirs.siret}
    response = api(sponsor).post("/api/v1/organisations/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "siret_taken")


def test_only_sponsors_register_organisations(api, officer):
    payload = {"name": "Commune", "legal_form": "commune", "siret": valid_siret()}
    response = api(officer).post("/api/v1/organisations/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Organisation.objects.filter(name="Commune").exists()


def test_a_sponsor_asks_to_join_and_a_member_accepts(api, sponsor, organisation):
    newcomer = make_user(Role.SPONSOR)
    response = api(newcomer).post(
        "/api/v1/membership-requests/", {"identifier": organisation.siret, "message": "Bonjour"}, format="json"
    )
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert ids(api(newcomer).get("/api/v1/membership-requests/")) == {request_id}
    # The requester does not answer their own request.
    response = api(newcomer).post(f"/api/v1/membership-requests/{request_id}/accept/")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert ids(api(sponsor).get("/api/v1/membership-requests/")) == {request_id}
    response = api(sponsor).post(f"/api/v1/membership-requests/{request_id}/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == MembershipRequestStatus.ACCEPTED
    assert Membership.objects.filter(organisation=organisation, user=newcomer).exists()
    # Answered, it leaves the members' list, as on the portal.
    response = api(sponsor).post(f"/api/v1/membership-requests/{request_id}/refuse/")
    assert response.status_code == 404
    assert MembershipRequest.objects.get(pk=request_id).status == MembershipRequestStatus.ACCEPTED


def test_joining_an_unknown_organisation_is_refused(api, sponsor):
    response = api(sponsor).post("/api/v1/membership-requests/", {"identifier": valid_siret()}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "unknown_organisation")
    assert not MembershipRequest.objects.exists()


def test_another_organisations_requests_are_a_404(api, sponsor):
    theirs = MembershipRequest.objects.create(organisation=OrganisationFactory(), user=make_user(Role.SPONSOR))
    client = api(sponsor)
    assert client.get(f"/api/v1/membership-requests/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/membership-requests/{theirs.pk}/accept/").status_code == 404
    assert MembershipRequest.objects.get(pk=theirs.pk).status == MembershipRequestStatus.PENDING


def test_the_organisations_list_runs_a_constant_number_of_queries(api, officer, contract, django_assert_num_queries):
    client = api(officer)
    make_dossier(DossierState.SUBMITTED, contract=contract)
    client.get("/api/v1/organisations/")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/organisations/"))) == 1
    for _ in range(6):
        make_dossier(DossierState.SUBMITTED, contract=contract)
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/organisations/"))) == 7
