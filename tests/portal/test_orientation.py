"""The public orientation page: before any account, a visitor sees which territory and contract apply to
a commune, whom to contact, the pieces to prepare and the rules of their legal form; the autocomplete
gives at most 20 communes, escaped."""

import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils.html import escape

from dossiers.enums import ContractStatus, Generation, LegalForm
from dossiers.models import Commune, PieceType
from dossiers.money import format_eur, format_rate
from dossiers.services import ruleset_publish
from tests.factories import CommuneFactory, ContractFactory, EpciFactory, make_user
from tests.portal.helpers import french
from workflows.enums import Role


def orientation(client, **params):
    return client.get(reverse("portal:orientation"), params)


@pytest.fixture
def officers(contract):
    return [
        make_user(Role.OFFICER, territory=contract.territory, first_name="Camille", last_name="Instructrice"),
        make_user(Role.OFFICER, territory=contract.territory, first_name="Dominique", last_name="Instructeur"),
    ]


@pytest.mark.django_db
def test_the_orientation_page_is_public_and_asks_for_commune_theme_and_legal_form(client):
    response = client.get(reverse("portal:orientation"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("commune", "theme", "legal_form"):
        assert f'name="{name}"' in html
    assert 'for="id_commune"' in html
    assert response.context["result"] is None


@pytest.mark.django_db
def test_a_commune_gives_its_territory_signed_contract_and_officers(client, contract, commune, officers):
    outsider = make_user(Role.OFFICER, first_name="Autre", last_name="Territoire")
    # In the officers' group without the officer role: not a contact.
    former = make_user(Role.SPONSOR, first_name="Ancien", last_name="Membre")
    former.groups.add(contract.territory.officers_group)

    response = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.COMMUNE)

    result = response.context["result"]
    assert result.territory == contract.territory
    assert result.contract == contract
    assert set(result.officers) == set(officers)
    html = response.content.decode()
    assert contract.territory.name in html
    assert contract.name in html
    for officer in officers:
        assert officer.get_full_name() in html
        assert f'href="mailto:{officer.email}"' in html
    assert outsider.email not in html
    assert former.email not in html


@pytest.mark.django_db
def test_only_a_signed_contract_is_proposed(client, territory):
    commune = Commune.objects.filter(epci__territory=territory).first()
    ContractFactory(territory=territory, generation=Generation.G2018_2021, status=ContractStatus.CLOSED)
    signed = ContractFactory(territory=territory, generation=Generation.G2023_2025, status=ContractStatus.SIGNED)

    result = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.COMMUNE).context["result"]

    assert result.contract == signed


def shown(message: str) -> str:
    """A text of a template as the page shows it: in French ({% translate %} does not escape it)."""
    return french(message)


@pytest.mark.django_db
def test_a_territory_without_a_signed_contract_says_so_and_offers_no_filing(client, territory):
    ContractFactory(territory=territory, status=ContractStatus.IN_PREPARATION)
    commune = Commune.objects.filter(epci__territory=territory).first()

    response = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.COMMUNE)

    assert response.context["result"].contract is None
    html = response.content.decode()
    no_contract = (
        "This territory has no signed contract open to new dossiers at the moment: "
        "ask its officers when the next one opens."
    )
    assert shown(no_contract) in html
    assert reverse("portal:dossier_new") not in html


@pytest.mark.django_db
def test_a_commune_whose_epci_belongs_to_no_territory_is_told_so_clearly(client, contract):
    lonely = CommuneFactory(name="Isolée", epci=EpciFactory(name="CC hors contrat"))

    response = orientation(client, commune_insee=lonely.insee, legal_form=LegalForm.COMMUNE)

    result = response.context["result"]
    assert result.territory is None
    assert result.contract is None
    html = response.content.decode()
    assert "CC hors contrat" in html
    assert shown("No territory:") in html
    assert reverse("portal:dossier_new") not in html


@pytest.mark.django_db
@pytest.mark.parametrize("legal_form", [LegalForm.COMMUNE, LegalForm.ASSOCIATION, LegalForm.COMPANY])
def test_the_pieces_shown_are_those_of_the_legal_form_mandatory_or_not(client, commune, legal_form):
    response = orientation(client, commune_insee=commune.insee, legal_form=legal_form)

    expected = [t for t in PieceType.objects.all() if not t.legal_forms or legal_form in t.legal_forms]
    assert response.context["result"].pieces == expected
    html = response.content.decode()
    for piece_type in PieceType.objects.all():
        assert (escape(piece_type.label) in html) == (piece_type in expected)
    assert shown("mandatory") in html and shown("optional") in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("legal_form", "rules"),
    [
        (LegalForm.COMMUNE, {"Self-financing"}),
        (LegalForm.EPCI, {"Self-financing"}),
        (LegalForm.ASSOCIATION, {"Convention"}),
        (LegalForm.FOUNDATION, {"Convention"}),
        (LegalForm.COMPANY, {"De minimis aid", "Convention"}),
        (LegalForm.SEM, {"De minimis aid", "Convention"}),
    ],
)
def test_each_rule_is_shown_only_when_it_applies_to_the_legal_form(client, commune, legal_form, rules):
    response = orientation(client, commune_insee=commune.insee, legal_form=legal_form)

    assert {str(rule.title) for rule in response.context["result"].rules} == {french(rule) for rule in rules}


@pytest.mark.django_db
def test_the_rules_come_from_the_current_rule_set_in_french_format(client, commune):
    current = ruleset_publish(
        actor=None, note="test", self_financing_min_rate="0.2500", convention_threshold="30000.00"
    )

    commune_rules = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.COMMUNE).context["result"]
    company_rules = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.COMPANY).context["result"]

    assert format_rate(current.self_financing_min_rate) == "25\u00a0%"
    assert format_rate(current.self_financing_min_rate) in commune_rules.rules[0].text
    texts = " ".join(rule.text for rule in company_rules.rules)
    assert format_eur(current.de_minimis_cap) in texts  # 300 000,00 €
    assert format_eur(current.convention_threshold) in texts  # 30 000,00 €


@pytest.mark.django_db
def test_file_a_dossier_keeps_the_choices_in_the_next_url(client, contract, commune):
    response = orientation(client, commune_insee=commune.insee, legal_form=LegalForm.ASSOCIATION, theme="sante")

    start_url = response.context["start_url"]
    assert urlparse(start_url).path == reverse("portal:dossier_new")
    assert parse_qs(urlparse(start_url).query) == {
        "commune": [commune.insee],
        "legal_form": ["association"],
        "theme": ["sante"],
    }
    signup_url = response.context["signup_url"]
    assert parse_qs(urlparse(signup_url).query)["next"] == [start_url]
    # An anonymous visitor following the link is sent to the login page with the same `next`.
    redirect = client.get(start_url)
    assert redirect.status_code == 302
    assert parse_qs(urlparse(redirect.url).query)["next"] == [start_url]


@pytest.mark.django_db
def test_a_commune_typed_without_javascript_is_found_by_its_name_or_postcode(client, contract):
    unique = CommuneFactory(name="Unique-sur-Mer", postcodes="99123", epci=contract.territory.epcis.first())

    by_name = orientation(client, commune="unique-sur-mer", legal_form=LegalForm.COMMUNE)
    by_postcode = orientation(client, commune="99123", legal_form=LegalForm.COMMUNE)

    assert by_name.context["result"].commune == unique
    assert by_postcode.context["result"].commune == unique


@pytest.mark.django_db
def test_an_ambiguous_commune_offers_a_select_of_the_candidates_without_javascript(client, contract):
    epci = contract.territory.epcis.first()
    first = CommuneFactory(name="Saint-Jean-A", epci=epci)
    second = CommuneFactory(name="Saint-Jean-B", epci=epci)

    response = orientation(client, commune="Saint-Jean", legal_form=LegalForm.COMMUNE)

    assert response.context["result"] is None
    html = response.content.decode()
    assert shown("Several communes match: choose yours") in html
    assert '<select name="commune_insee" id="id_commune_insee"' in html
    assert f'<option value="{first.insee}">' in html and f'<option value="{second.insee}">' in html
    # Picking one of them in the select gives the result.
    chosen = orientation(client, commune="Saint-Jean", commune_insee=second.insee, legal_form=LegalForm.COMMUNE)
    assert chosen.context["result"].commune == second


@pytest.mark.django_db
def test_an_unknown_commune_is_an_error_tied_to_the_field(client):
    response = orientation(client, commune="Atlantide", legal_form=LegalForm.COMMUNE)

    html = response.content.decode()
    assert response.context["result"] is None
    assert 'id="id_commune_error"' in html
    assert 'aria-describedby="id_commune_helptext id_commune_error"' in html
    assert 'aria-invalid="true"' in html


# Autocomplete -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_autocomplete_returns_at_most_20_communes_by_name_prefix(client, contract):
    epci = contract.territory.epcis.first()
    for index in range(25):
        CommuneFactory(name=f"Villeneuve-{index:02d}", epci=epci, population=index)
    CommuneFactory(name="Autreville", epci=epci)

    response = client.get(reverse("portal:commune_search"), {"q": "villen"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    results = json.loads(response.content)["results"]
    assert len(results) == 20
    assert all(result["name"].startswith("Villeneuve-") for result in results)
    assert results[0]["name"] == "Villeneuve-24"  # the most populated first
    assert set(results[0]) == {"insee", "name", "postcodes", "department", "label"}


@pytest.mark.django_db
def test_the_autocomplete_finds_communes_by_any_of_their_postcodes(client, contract):
    epci = contract.territory.epcis.first()
    several = CommuneFactory(name="Deux-Codes", postcodes="99710 99720", epci=epci)

    for query in ("9971", "99720"):
        results = json.loads(client.get(reverse("portal:commune_search"), {"q": query}).content)["results"]
        assert [result["insee"] for result in results] == [several.insee]


@pytest.mark.django_db
def test_the_autocomplete_escapes_what_it_returns(client, contract):
    CommuneFactory(name="<script>alert(1)</script> & co", epci=contract.territory.epcis.first())

    response = client.get(reverse("portal:commune_search"), {"q": "<script>"})

    body = response.content.decode()
    assert "<script>" not in body and "&" not in body.replace("\\u0026", "")
    assert "\\u003cscript\\u003e" in body
    assert json.loads(body)["results"][0]["name"] == "<script>alert(1)</script> & co"


@pytest.mark.django_db
def test_the_autocomplete_needs_two_characters(client, contract):
    results = json.loads(client.get(reverse("portal:commune_search"), {"q": "C"}).content)["results"]

    assert results == []


@pytest.mark.django_db
def test_a_new_commune_typed_without_javascript_replaces_the_one_chosen_before(client, contract):
    epci = contract.territory.epcis.first()
    before = CommuneFactory(name="Ascain", epci=epci)
    after = CommuneFactory(name="Sare", epci=epci)

    response = orientation(client, commune="Sare", commune_insee=before.insee, legal_form=LegalForm.COMMUNE)

    assert response.context["result"].commune == after
