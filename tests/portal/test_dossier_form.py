"""The dossier form's first steps: the draft is created from the project, its communes and its dates (the
territory and the signed contract follow from the communes), then each step saves the draft; a refused
step changes nothing and shows the user's input again with the error on its field."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.enums import FunderKind, LegalForm
from dossiers.models import Commune, Dossier, Theme
from dossiers.services import membership_add
from tests.factories import (
    CommuneFactory,
    ContractFactory,
    EnvelopeFactory,
    EpciFactory,
    OrganisationFactory,
    make_dossier,
    make_draft,
    make_user,
)
from tests.portal.helpers import french, snapshot
from workflows.enums import DossierState, Role
from workflows.services import dossier_declare_incomplete

S = DossierState
TODAY = timezone.localdate()


def step_url(dossier, step):
    return reverse("portal:dossier_step", args=[dossier.pk, step])


def new_dossier_data(commune, organisation, **overrides):
    return {
        "organisation": organisation.pk,
        "title": "Maison de santé de Garazi",
        "object": "Construction d'une maison de santé pluriprofessionnelle",
        "description": "Six cabinets, une salle de soins.",
        "theme": Theme.objects.get(code="sante").pk,
        "requested_amount": "80 000,00",
        "communes": [commune.insee],
        "communes_add": "",
        "communes_add_insee": "",
        "planned_start": (TODAY + timedelta(days=30)).isoformat(),
        "planned_end": (TODAY + timedelta(days=400)).isoformat(),
        **overrides,
    }


@pytest.fixture
def other_contract(other_territory):
    return EnvelopeFactory(contract=ContractFactory(territory=other_territory)).contract


@pytest.fixture
def draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor)


# Creating the draft (steps a, b, c) -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_new_dossier_page_is_prefilled_with_the_orientation_choices(sponsor_client, sponsor, commune):
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    membership_add(organisation=association, user=sponsor)

    response = sponsor_client.get(
        reverse("portal:dossier_new"), {"commune": commune.insee, "theme": "sante", "legal_form": "association"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<input type="checkbox" name="communes" value="{commune.insee}" id="id_communes_0" checked>' in html
    assert response.context["project"]["organisation"].value() == association.pk
    assert response.context["project"]["theme"].value() == Theme.objects.get(code="sante").pk


@pytest.mark.django_db
def test_a_sponsor_without_organisation_registers_one_first_keeping_the_choices(client):
    user = make_user(Role.SPONSOR)
    client.force_login(user)
    url = f"{reverse('portal:dossier_new')}?commune=64102&legal_form=commune"

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("portal:organisation_new"))
    form_page = client.get(response.url)
    assert form_page.context["next"] == url
    assert form_page.context["form"].initial["legal_form"] == "commune"


@pytest.mark.django_db
def test_the_draft_is_created_under_the_signed_contract_of_the_communes_territory(
    sponsor_client, sponsor, organisation, commune, contract
):
    response = sponsor_client.post(reverse("portal:dossier_new"), new_dossier_data(commune, organisation))

    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response.url == step_url(dossier, "financement")
    assert dossier.state == S.DRAFT
    assert (dossier.contract, dossier.territory, dossier.organisation) == (contract, contract.territory, organisation)
    assert dossier.created_by == sponsor
    assert dossier.title == "Maison de santé de Garazi"
    assert dossier.requested_amount == Decimal("80000.00")
    assert list(dossier.communes.all()) == [commune]
    assert list(dossier.funding_lines.values_list("funder_kind", "amount")) == [
        (FunderKind.REGION, Decimal("80000.00"))
    ]


@pytest.mark.django_db
def test_communes_of_different_territories_are_refused_with_a_clear_message(
    sponsor_client, organisation, commune, contract, other_contract
):
    elsewhere = Commune.objects.filter(epci__territory=other_contract.territory).first()

    response = sponsor_client.post(
        reverse("portal:dossier_new"),
        new_dossier_data(commune, organisation, communes=[commune.insee, elsewhere.insee]),
    )

    assert response.status_code == 200
    assert not Dossier.objects.exists()
    errors = response.context["place"].errors["communes"]
    assert len(errors) == 1
    assert contract.territory.name in errors[0] and other_contract.territory.name in errors[0]
    message = french(
        "A dossier falls under one contract, hence one territory; these communes belong to different "
        "territories: %(territories)s. File one dossier per territory."
    )
    assert errors[0].startswith(message.split("%(")[0])
    assert commune.name in errors[0] and elsewhere.name in errors[0]
    html = response.content.decode()
    assert 'value="Maison de santé de Garazi"' in html  # nothing typed is lost
    assert f'value="{elsewhere.insee}"' in html
    assert 'id="id_communes_error"' in html


@pytest.mark.django_db
def test_a_commune_outside_every_territory_is_refused(sponsor_client, organisation, contract):
    lonely = CommuneFactory(name="Isolée", epci=EpciFactory())

    response = sponsor_client.post(
        reverse("portal:dossier_new"), new_dossier_data(lonely, organisation, communes=[lonely.insee])
    )

    assert not Dossier.objects.exists()
    assert "Isolée" in response.context["place"].errors["communes"][0]


@pytest.mark.django_db
def test_a_territory_without_signed_contract_is_refused(client, territory):
    ContractFactory(territory=territory, status="in_preparation")
    commune = Commune.objects.filter(epci__territory=territory).first()
    organisation = OrganisationFactory()
    client.force_login(make_user(Role.SPONSOR, organisation=organisation))

    response = client.post(reverse("portal:dossier_new"), new_dossier_data(commune, organisation))

    assert not Dossier.objects.exists()
    assert territory.name in response.context["place"].errors["communes"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "form", "field"),
    [
        ({"object": "x" * 257}, "project", "object"),
        ({"title": ""}, "project", "title"),
        ({"requested_amount": "0"}, "project", "requested_amount"),
        ({"requested_amount": "beaucoup"}, "project", "requested_amount"),
        ({"planned_start": (TODAY - timedelta(days=1)).isoformat()}, "dates", "planned_start"),
        (
            {"planned_end": TODAY.isoformat(), "planned_start": (TODAY + timedelta(days=5)).isoformat()},
            "dates",
            "planned_end",
        ),
        ({"communes": []}, "place", "communes"),
    ],
)
def test_refused_creation_shows_the_error_on_its_field_and_keeps_the_input(
    sponsor_client, organisation, commune, contract, overrides, form, field
):
    response = sponsor_client.post(reverse("portal:dossier_new"), new_dossier_data(commune, organisation, **overrides))

    assert response.status_code == 200
    assert not Dossier.objects.exists()
    assert field in response.context[form].errors
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert "Six cabinets, une salle de soins." in html
    assert f'href="#id_{field}"' in html  # the error summary links to the field


@pytest.mark.django_db
def test_without_javascript_a_commune_typed_is_added_to_the_list_and_nothing_is_lost(
    sponsor_client, organisation, commune, contract
):
    second = CommuneFactory(name="Baigorri", postcodes="99430", epci=contract.territory.epcis.first())

    response = sponsor_client.post(
        reverse("portal:dossier_new"),
        new_dossier_data(commune, organisation, communes_add="Baigorri", add_commune="1"),
    )

    assert response.status_code == 200
    assert not Dossier.objects.exists()
    html = response.content.decode()
    assert f'value="{second.insee}"' in html and f'value="{commune.insee}"' in html
    assert 'value="Maison de santé de Garazi"' in html
    assert "error" not in response.context["project"].errors


# Editing the draft step by step --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_project_step_saves_title_object_theme_and_description(sponsor_client, draft):
    theme = Theme.objects.get(code="mobilite")

    response = sponsor_client.post(
        step_url(draft, "projet"),
        {
            "organisation": draft.organisation_id,
            "title": "Pôle d'échanges",
            "object": "Aménager un pôle d'échanges multimodal",
            "description": "",
            "theme": theme.pk,
        },
    )

    assert response.status_code == 302
    assert response.url == step_url(draft, "lieu")
    draft.refresh_from_db()
    assert (draft.title, draft.object, draft.theme) == (
        "Pôle d'échanges",
        "Aménager un pôle d'échanges multimodal",
        theme,
    )


@pytest.mark.django_db
def test_a_refused_project_step_changes_nothing_and_keeps_the_input(sponsor_client, draft):
    before = snapshot(draft)

    response = sponsor_client.post(
        step_url(draft, "projet"),
        {"organisation": draft.organisation_id, "title": "Nouveau titre", "object": "y" * 300, "theme": draft.theme_id},
    )

    assert response.status_code == 200
    assert "object" in response.context["form"].errors
    assert 'value="Nouveau titre"' in response.content.decode()
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_the_sponsor_can_only_choose_among_their_organisations(sponsor_client, draft):
    foreign = OrganisationFactory()
    before = snapshot(draft)

    response = sponsor_client.post(
        step_url(draft, "projet"),
        {"organisation": foreign.pk, "title": "T", "object": "O", "theme": draft.theme_id},
    )

    assert "organisation" in response.context["form"].errors
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_the_place_step_moves_a_draft_to_the_signed_contract_of_its_new_territory(
    sponsor_client, draft, other_contract
):
    elsewhere = Commune.objects.filter(epci__territory=other_contract.territory).first()

    response = sponsor_client.post(step_url(draft, "lieu"), {"communes": [elsewhere.insee]})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.contract, draft.territory) == (other_contract, other_contract.territory)
    assert list(draft.communes.all()) == [elsewhere]


@pytest.mark.django_db
def test_unticking_a_commune_removes_it_and_adding_one_keeps_the_step_open(sponsor_client, draft, contract):
    epci = contract.territory.epcis.first()
    added = CommuneFactory(name="Ossès", postcodes="99780", epci=epci)
    kept = draft.communes.get()

    response = sponsor_client.post(
        step_url(draft, "lieu"), {"communes": [kept.insee], "communes_add": "99780", "add_commune": "1"}
    )

    assert response.url == step_url(draft, "lieu")
    assert set(draft.communes.all()) == {kept, added}
    sponsor_client.post(step_url(draft, "lieu"), {"communes": [added.insee]})
    assert list(draft.communes.all()) == [added]


@pytest.mark.django_db
def test_an_incomplete_dossier_stays_in_its_territory(sponsor_client, contract, organisation, sponsor, other_contract):
    dossier = make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor)
    officer = make_user(Role.OFFICER, territory=contract.territory)
    dossier_declare_incomplete(dossier=dossier, actor=officer, missing="Délibération")
    elsewhere = Commune.objects.filter(epci__territory=other_contract.territory).first()
    before = snapshot(dossier)

    response = sponsor_client.post(step_url(dossier, "lieu"), {"communes": [elsewhere.insee]})

    assert response.status_code == 200
    assert contract.territory.name in response.context["form"].errors["communes"][0]
    assert snapshot(dossier) == before


@pytest.mark.django_db
def test_the_dates_step_saves_the_planned_dates(sponsor_client, draft):
    start, end = TODAY + timedelta(days=60), TODAY + timedelta(days=700)

    response = sponsor_client.post(
        step_url(draft, "calendrier"), {"planned_start": start.isoformat(), "planned_end": end.isoformat()}
    )

    assert response.url == step_url(draft, "financement")
    draft.refresh_from_db()
    assert (draft.planned_start, draft.planned_end) == (start, end)


@pytest.mark.django_db
def test_dates_in_french_format_are_accepted(sponsor_client, draft):
    start = TODAY + timedelta(days=10)

    sponsor_client.post(
        step_url(draft, "calendrier"),
        {"planned_start": start.strftime("%d/%m/%Y"), "planned_end": (start + timedelta(days=1)).strftime("%d/%m/%Y")},
    )

    draft.refresh_from_db()
    assert draft.planned_start == start


@pytest.mark.django_db
def test_a_start_in_the_past_is_refused_because_work_must_not_start_before_submission(sponsor_client, draft):
    before = snapshot(draft)

    response = sponsor_client.post(
        step_url(draft, "calendrier"),
        {"planned_start": (TODAY - timedelta(days=3)).isoformat(), "planned_end": TODAY.isoformat()},
    )

    assert response.context["form"].errors["planned_start"] == [
        french("Work must not start before the dossier is submitted: choose today or a later date.")
    ]
    assert snapshot(draft) == before


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.SUBMITTED, S.UNDER_REVIEW, S.APPROVED])
def test_a_dossier_no_longer_editable_sends_the_steps_back_to_its_page(
    sponsor_client, contract, organisation, sponsor, state
):
    dossier = make_dossier(state, contract=contract, organisation=organisation, creator=sponsor)
    before = snapshot(dossier)

    get = sponsor_client.get(step_url(dossier, "projet"))
    post = sponsor_client.post(
        step_url(dossier, "projet"),
        {"organisation": organisation.pk, "title": "X", "object": "Y", "theme": dossier.theme_id},
    )

    for response in (get, post):
        assert response.status_code == 302
        assert response.url == reverse("portal:dossier_detail", args=[dossier.pk])
    assert snapshot(dossier) == before


@pytest.mark.django_db
def test_an_unknown_step_is_not_found(sponsor_client, draft):
    assert sponsor_client.get(step_url(draft, "nimportequoi")).status_code == 404


@pytest.mark.django_db
def test_every_step_page_shows_the_steps_and_which_are_to_complete(sponsor_client, contract, organisation, sponsor):
    dossier = make_draft(contract=contract, organisation=organisation, creator=sponsor, pieces=False)

    for step in ("projet", "lieu", "calendrier", "financement", "pieces", "recapitulatif"):
        response = sponsor_client.get(step_url(dossier, step))
        assert response.status_code == 200, step
        html = response.content.decode()
        assert f'href="{step_url(dossier, step)}" aria-current="step"' in html
    statuses = {item["step"].value: item["status"] for item in response.context["steps"]}
    assert statuses == {
        "projet": "done",
        "lieu": "done",
        "calendrier": "done",
        "financement": "done",
        "pieces": "to_complete",
        "recapitulatif": "",
    }


@pytest.mark.django_db
def test_the_new_dossier_page_proposes_the_territory_and_contract_of_the_communes(sponsor_client, commune, contract):
    response = sponsor_client.get(reverse("portal:dossier_new"), {"commune": commune.insee})

    preview = response.context["place_preview"]
    assert (preview.territory, preview.contract) == (contract.territory, contract)
    assert contract.name in response.content.decode()
