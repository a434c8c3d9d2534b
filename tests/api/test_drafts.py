"""Drafts through the API, as the sponsor portal makes them: created for one of the caller's organisations
with the portal's first step's rules, edited through the portal's services while a draft (or incomplete),
the financing plan replaced as a whole, then submitted. A sponsor filing by API only ends with the very
dossier the portal produces; read-only fields are ignored; a refusal changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dossiers.enums import FunderKind, FundingStatus, LegalForm, SelfFinancingExemption
from dossiers.models import Commune, Dossier, PieceType, Theme
from tests.api.helpers import comparable
from tests.factories import (
    CommuneFactory,
    ContractFactory,
    EnvelopeFactory,
    OrganisationFactory,
    make_dossier,
    make_draft,
    make_user,
    snapshot,
)
from tests.portal.helpers import PDF
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

S = DossierState
TODAY = timezone.localdate()


@pytest.fixture
def commune(contract):
    return Commune.objects.filter(epci__territory=contract.territory).first()


@pytest.fixture
def organisation(commune):
    return OrganisationFactory(commune=commune)


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


@pytest.fixture
def draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor)


def new_draft(commune, organisation, **overrides):
    return {
        "organisation": organisation.pk,
        "title": "Maison de santé de Garazi",
        "object": "Construction d'une maison de santé pluriprofessionnelle",
        "description": "Six cabinets, une salle de soins.",
        "theme": Theme.objects.get(code="sante").pk,
        "requested_amount": "80000.00",
        "communes": [commune.insee],
        "planned_start": (TODAY + timedelta(days=30)).isoformat(),
        "planned_end": (TODAY + timedelta(days=400)).isoformat(),
        **overrides,
    }


PLAN = {
    "tax_basis": "HT",
    "expenses": [
        {"label": "Travaux", "amount": "180000.00", "is_eligible": True},
        {"label": "Mobilier", "amount": "20000.00", "is_eligible": False},
    ],
    "funding": [
        {"funder_kind": "region", "amount": "80000.00"},
        {"funder_kind": "state", "funder_name": "DETR", "amount": "60000.00", "status": "obtained"},
        {"funder_kind": "own", "amount": "60000.00"},
    ],
}


def url(dossier, suffix=""):
    return f"/api/v1/dossiers/{dossier.pk}/{suffix}"


# The whole filing --------------------------------------------------------------------------------------


def file_by_api(client, commune, organisation):
    response = client.post("/api/v1/dossiers/", new_draft(commune, organisation), format="json")
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(pk=response.json()["id"])
    response = client.patch(url(dossier), {"description": "Six cabinets, deux salles de soins."}, format="json")
    assert response.status_code == 200, response.content
    response = client.put(url(dossier, "financing-plan/"), PLAN, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["problems"] == []
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        upload = SimpleUploadedFile("piece.pdf", PDF, content_type="application/pdf")
        response = client.post(url(dossier, "pieces/"), {"piece_type": piece_type.code, "file": upload})
        assert response.status_code == 201, response.content
    response = client.post(url(dossier, "transitions/submit/"), {}, format="json")
    assert response.status_code == 200, response.content
    return dossier


def file_on_the_portal(client, commune, organisation):
    data = new_draft(commune, organisation, requested_amount="80 000,00")
    response = client.post(reverse("portal:dossier_new"), {**data, "communes_add": "", "communes_add_insee": ""})
    assert response.status_code == 302, response.context and response.context["forms"]
    dossier = Dossier.objects.order_by("-pk").first()

    def step(name):
        return reverse("portal:dossier_step", args=[dossier.pk, name])

    project = {key: data[key] for key in ("organisation", "title", "object", "theme")}
    client.post(step("projet"), {**project, "description": "Six cabinets, deux salles de soins."})
    plan = {
        "expenses-TOTAL_FORMS": "2",
        "expenses-INITIAL_FORMS": "0",
        "funding-TOTAL_FORMS": "3",
        "funding-INITIAL_FORMS": "0",
        "tax_basis": "HT",
    }
    for index, line in enumerate(PLAN["expenses"]):
        plan[f"expenses-{index}-label"] = line["label"]
        plan[f"expenses-{index}-amount"] = line["amount"]
        if line["is_eligible"]:
            plan[f"expenses-{index}-is_eligible"] = "on"
    for index, line in enumerate(PLAN["funding"]):
        plan[f"funding-{index}-funder_kind"] = line["funder_kind"]
        plan[f"funding-{index}-funder_name"] = line.get("funder_name", "")
        plan[f"funding-{index}-amount"] = line["amount"]
        plan[f"funding-{index}-status"] = line.get("status", FundingStatus.REQUESTED)
    assert client.post(step("financement"), plan).status_code == 302
    for piece_type in PieceType.objects.mandatory_for(organisation.legal_form):
        target = f"t{piece_type.pk}"
        upload = SimpleUploadedFile("piece.pdf", PDF, content_type="application/pdf")
        assert client.post(step("pieces"), {"target": target, f"{target}-file": upload}).status_code == 302
    assert client.post(step("recapitulatif"), {"certify": "on"}).status_code == 302
    return dossier


def test_a_sponsor_files_and_submits_by_api_only_the_very_dossier_the_portal_produces(
    api, client, commune, organisation, sponsor
):
    by_api = file_by_api(api(sponsor), commune, organisation)
    client.force_login(sponsor)
    on_the_portal = file_on_the_portal(client, commune, organisation)
    assert by_api.pk != on_the_portal.pk
    assert comparable(by_api) == comparable(on_the_portal)
    assert comparable(by_api)[0]["state"] == S.SUBMITTED
    assert comparable(by_api)[0]["requested_amount"] == Decimal("80000.00")


# Creating ----------------------------------------------------------------------------------------------


def test_the_draft_follows_its_communes_to_their_territorys_signed_contract(api, commune, organisation, sponsor):
    response = api(sponsor).post("/api/v1/dossiers/", new_draft(commune, organisation), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    dossier = Dossier.objects.get(pk=body["id"])
    assert (body["state"], body["territory"], body["contract"]) == (
        S.DRAFT,
        commune.epci.territory_id,
        dossier.contract_id,
    )
    assert body["communes"] == [commune.insee]
    assert body["reference"] == dossier.reference
    assert list(dossier.funding_lines.values_list("funder_kind", "amount")) == [(FunderKind.REGION, Decimal("80000"))]


def test_fields_set_by_the_procedure_are_ignored_on_creation(api, commune, organisation, sponsor, other_territory):
    other_contract = ContractFactory(territory=other_territory)
    payload = new_draft(
        commune,
        organisation,
        state=S.APPROVED,
        reference="NA-1999-000001",
        territory=other_territory.pk,
        contract=other_contract.pk,
        granted_amount="999999.00",
        proposed_amount="1.00",
        kind="engineering",
    )
    response = api(sponsor).post("/api/v1/dossiers/", payload, format="json")
    assert response.status_code == 201, response.content
    dossier = Dossier.objects.get(pk=response.json()["id"])
    assert dossier.state == S.DRAFT and dossier.kind == "project"
    assert dossier.reference != "NA-1999-000001"
    assert dossier.territory_id == commune.epci.territory_id and dossier.contract_id != other_contract.pk
    assert dossier.granted_amount is None and dossier.proposed_amount is None


def test_only_sponsors_create_drafts(api, officer, commune, organisation):
    response = api(officer).post("/api/v1/dossiers/", new_draft(commune, organisation), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert not Dossier.objects.exists()


def test_a_draft_is_filed_only_for_one_of_ones_own_organisations(api, commune, sponsor):
    theirs = OrganisationFactory(commune=commune)
    response = api(sponsor).post("/api/v1/dossiers/", new_draft(commune, theirs), format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"planned_start": (TODAY - timedelta(days=1)).isoformat()}, "planned_start"),
        ({"planned_end": (TODAY + timedelta(days=10)).isoformat()}, "planned_end"),
        ({"communes": []}, "communes"),
        ({"communes": ["00000"]}, "communes"),
        ({"requested_amount": "0"}, "requested_amount"),
        ({"object": "x" * 257}, "object"),
    ],
)
def test_the_first_steps_rules_refuse_a_bad_draft(api, commune, organisation, sponsor, overrides, field):
    overrides.setdefault("planned_start", (TODAY + timedelta(days=30)).isoformat())
    response = api(sponsor).post("/api/v1/dossiers/", new_draft(commune, organisation, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Dossier.objects.exists()


def test_communes_of_two_territories_are_refused_with_the_places_code(
    api, commune, organisation, sponsor, other_territory
):
    EnvelopeFactory(contract=ContractFactory(territory=other_territory))
    elsewhere = Commune.objects.filter(epci__territory=other_territory).first()
    payload = new_draft(commune, organisation, communes=[commune.insee, elsewhere.insee])
    response = api(sponsor).post("/api/v1/dossiers/", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "communes_in_several_territories")
    assert not Dossier.objects.exists()


# Editing -----------------------------------------------------------------------------------------------


def test_a_draft_is_edited_step_by_step_through_the_portals_services(api, draft, sponsor, commune):
    second = CommuneFactory(epci=commune.epci)
    payload = {
        "title": "Maison de santé rénovée",
        "communes": [commune.insee, second.insee],
        "planned_end": (TODAY + timedelta(days=500)).isoformat(),
        "tax_basis": "TTC",
    }
    response = api(sponsor).patch(url(draft), payload, format="json")
    assert response.status_code == 200, response.content
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.title == "Maison de santé rénovée"
    assert dossier.object == draft.object
    assert sorted(dossier.communes.values_list("insee", flat=True)) == sorted([commune.insee, second.insee])
    assert dossier.planned_end == TODAY + timedelta(days=500) and dossier.planned_start == draft.planned_start
    assert dossier.tax_basis == "TTC"
    assert list(dossier.expense_lines.values_list("label", "amount")) == [("Travaux", Decimal("200000.00"))]
    assert response.json()["title"] == "Maison de santé rénovée"


def test_writing_the_procedures_fields_has_no_effect(api, draft, sponsor, other_territory):
    before = snapshot(draft.pk)
    other_contract = ContractFactory(territory=other_territory)
    payload = {
        "state": S.APPROVED,
        "reference": "NA-1999-000001",
        "territory": other_territory.pk,
        "contract": other_contract.pk,
        "requested_amount": "1.00",
        "granted_amount": "999999.00",
        "proposed_amount": "5.00",
        "eligible_base": "5.00",
        "submitted_at": timezone.now().isoformat(),
        "kind": "engineering",
        "rule_set": 1,
    }
    response = api(sponsor).patch(url(draft), payload, format="json")
    assert response.status_code == 200, response.content
    assert snapshot(draft.pk) == before
    body = response.json()
    assert (body["state"], body["reference"], body["requested_amount"]) == (S.DRAFT, draft.reference, "80000.00")


def test_an_incomplete_dossier_is_edited_but_stays_in_its_territory(
    api, contract, organisation, sponsor, other_territory
):
    dossier = make_dossier(S.INCOMPLETE, contract=contract, organisation=organisation, creator=sponsor)
    EnvelopeFactory(contract=ContractFactory(territory=other_territory))
    elsewhere = Commune.objects.filter(epci__territory=other_territory).first()
    client = api(sponsor)
    assert client.patch(url(dossier), {"title": "Nouveau titre"}, format="json").status_code == 200
    before = snapshot(dossier.pk)
    response = client.patch(url(dossier), {"title": "Autre", "communes": [elsewhere.insee]}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "territory_locked")
    assert snapshot(dossier.pk) == before  # the title's change went with the refused place


@pytest.mark.parametrize("state", [S.SUBMITTED, S.WITHDRAWN, S.APPROVED])
def test_a_dossier_past_the_draft_is_not_edited(api, contract, organisation, sponsor, state):
    dossier = make_dossier(state, contract=contract, organisation=organisation, creator=sponsor)
    before = snapshot(dossier.pk)
    client = api(sponsor)
    for response in (
        client.patch(url(dossier), {"title": "Changé"}, format="json"),
        client.put(url(dossier, "financing-plan/"), PLAN, format="json"),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert snapshot(dossier.pk) == before


def test_an_officer_who_sees_the_draft_may_not_edit_it(api, officer, draft):
    before = snapshot(draft.pk)
    client = api(officer)
    assert client.get(url(draft)).status_code == 200
    for response in (
        client.patch(url(draft), {"title": "Changé"}, format="json"),
        client.put(url(draft, "financing-plan/"), PLAN, format="json"),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert snapshot(draft.pk) == before


def test_put_and_delete_on_a_dossier_are_not_offered(api, draft, sponsor):
    client = api(sponsor)
    assert client.put(url(draft), {"title": "x"}, format="json").status_code == 405
    assert client.delete(url(draft)).status_code == 405
    assert Dossier.objects.filter(pk=draft.pk).exists()


def test_the_organisation_changes_only_to_another_of_ones_organisations(api, draft, sponsor, commune):
    mine = OrganisationFactory(commune=commune, legal_form=LegalForm.EPCI)
    sponsor.memberships.create(organisation=mine)
    theirs = OrganisationFactory(commune=commune)
    client = api(sponsor)
    assert client.patch(url(draft), {"organisation": theirs.pk}, format="json").status_code == 400
    assert client.patch(url(draft), {"organisation": mine.pk}, format="json").status_code == 200
    assert Dossier.objects.get(pk=draft.pk).organisation == mine


def test_an_engineering_dossiers_dates_and_plan_follow_its_post(api, draft, sponsor):
    Dossier.objects.filter(pk=draft.pk).update(kind="engineering")
    before = snapshot(draft.pk)
    client = api(sponsor)
    for response in (
        client.patch(url(draft), {"planned_end": (TODAY + timedelta(days=900)).isoformat()}, format="json"),
        client.put(url(draft, "financing-plan/"), PLAN, format="json"),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "engineering_post")
    assert snapshot(draft.pk) == before
    assert client.patch(url(draft), {"title": "Poste de chargé de mission"}, format="json").status_code == 200


# Financing plan ----------------------------------------------------------------------------------------


def test_the_plan_is_replaced_as_a_whole_and_the_request_follows_the_regions_lines(api, draft, sponsor):
    response = api(sponsor).put(url(draft, "financing-plan/"), PLAN, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["requested_amount"] == "80000.00"
    assert body["totals"]["total_cost"] == "200000.00" and body["totals"]["is_balanced"] is True
    assert [line["label"] for line in body["expenses"]] == ["Travaux", "Mobilier"]
    dossier = Dossier.objects.get(pk=draft.pk)
    assert dossier.funding_lines.count() == 3
    assert dossier.funding_lines.get(funder_kind="state").status == "obtained"


def test_an_unbalanced_plan_is_saved_with_its_problems_as_on_the_portal(api, draft, sponsor):
    plan = {**PLAN, "funding": [{"funder_kind": "region", "amount": "90000.00"}]}
    response = api(sponsor).put(url(draft, "financing-plan/"), plan, format="json")
    assert response.status_code == 200, response.content
    assert "unbalanced_plan" in {problem["code"] for problem in response.json()["problems"]}
    assert Dossier.objects.get(pk=draft.pk).requested_amount == Decimal("90000.00")
    response = api(sponsor).post(url(draft, "transitions/submit/"), {}, format="json")
    assert response.status_code == 409
    assert Dossier.objects.get(pk=draft.pk).state == S.DRAFT


def test_a_public_owner_short_of_self_financing_is_told_so(api, draft, sponsor):
    plan = {
        "tax_basis": "HT",
        "expenses": [{"label": "Travaux", "amount": "100000.00"}],
        "funding": [
            {"funder_kind": "region", "amount": "50000.00"},
            {"funder_kind": "state", "amount": "40000.00"},
            {"funder_kind": "own", "amount": "10000.00"},
        ],
    }
    body = api(sponsor).put(url(draft, "financing-plan/"), plan, format="json").json()
    assert "self_financing" in {problem["code"] for problem in body["problems"]}
    body = api(sponsor).put(
        url(draft, "financing-plan/"), {**plan, "self_financing_exemption": "disaster"}, format="json"
    )
    assert body.json()["self_financing_exemption"] == SelfFinancingExemption.DISASTER
    assert "self_financing" not in {problem["code"] for problem in body.json()["problems"]}


@pytest.mark.parametrize(
    "plan",
    [
        {**PLAN, "expenses": [{"label": "Travaux", "amount": "-5"}]},
        {**PLAN, "funding": [{"funder_kind": "lottery", "amount": "5"}]},
        {**PLAN, "tax_basis": "XX"},
        {"expenses": PLAN["expenses"]},
    ],
)
def test_a_malformed_plan_is_refused_and_changes_nothing(api, draft, sponsor, plan):
    before = snapshot(draft.pk)
    response = api(sponsor).put(url(draft, "financing-plan/"), plan, format="json")
    assert response.status_code == 400, response.content
    assert snapshot(draft.pk) == before


def test_the_territorys_officer_reads_the_plan(api, officer, draft):
    body = api(officer).get(url(draft, "financing-plan/")).json()
    assert body["totals"]["total_cost"] == "200000.00"
    assert [line["funder_kind"] for line in body["funding"]] == ["region", "own"]


# Scope -------------------------------------------------------------------------------------------------


def test_another_organisations_member_gets_404_on_every_draft_endpoint_and_nothing_changes(api, draft, commune):
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory(commune=commune))
    before = snapshot(draft.pk)
    client = api(outsider)
    upload = SimpleUploadedFile("piece.pdf", PDF, content_type="application/pdf")
    responses = [
        client.get(url(draft)),
        client.patch(url(draft), {"title": "Pris"}, format="json"),
        client.get(url(draft, "financing-plan/")),
        client.put(url(draft, "financing-plan/"), PLAN, format="json"),
        client.post(url(draft, "transitions/submit/"), {}, format="json"),
        client.post(url(draft, "pieces/"), {"piece_type": "deliberation", "file": upload}),
    ]
    for response in responses:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
        assert draft.reference not in response.content.decode()
    assert snapshot(draft.pk) == before
