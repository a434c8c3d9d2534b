"""The financing plan step: expense and funding lines saved as a whole, the amount requested following the
Region's line, and the Region's rules (balance, eligible expenses, CGCT L1111-10 self-financing for
public-law owners) checked again on the server with their figures, using DOMAIN.md's worked examples."""

from decimal import Decimal

import pytest
from django.urls import reverse

from dossiers.enums import FunderKind, FundingStatus, LegalForm, SelfFinancingExemption
from dossiers.models import Dossier
from dossiers.money import format_eur, format_rate
from tests.factories import OrganisationFactory, make_draft, make_user
from tests.portal.helpers import french, snapshot
from workflows.enums import Role

R, STATE, DEP, OWN, PRIVATE = (
    FunderKind.REGION,
    FunderKind.STATE,
    FunderKind.DEPARTMENT,
    FunderKind.OWN,
    FunderKind.PRIVATE,
)


def plan_data(expenses, funding, **extra):
    """The POST of the step: `expenses` as (label, amount, eligible), `funding` as (kind, amount)."""
    data = {
        "expenses-TOTAL_FORMS": str(len(expenses)),
        "expenses-INITIAL_FORMS": "0",
        "funding-TOTAL_FORMS": str(len(funding)),
        "funding-INITIAL_FORMS": "0",
        "tax_basis": "HT",
        **extra,
    }
    for index, (label, amount, eligible) in enumerate(expenses):
        data[f"expenses-{index}-label"] = label
        data[f"expenses-{index}-amount"] = amount
        if eligible:
            data[f"expenses-{index}-is_eligible"] = "on"
    for index, (kind, amount) in enumerate(funding):
        data[f"funding-{index}-funder_kind"] = kind
        data[f"funding-{index}-funder_name"] = ""
        data[f"funding-{index}-amount"] = amount
        data[f"funding-{index}-status"] = FundingStatus.REQUESTED
    return data


def step_url(dossier, step="financement"):
    return reverse("portal:dossier_step", args=[dossier.pk, step])


@pytest.fixture
def draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor)


def codes(response):
    return [problem.code for problem in response.context["problems"]]


@pytest.mark.django_db
def test_the_step_shows_the_saved_plan_in_its_formsets_and_totals_in_french(sponsor_client, draft):
    response = sponsor_client.get(step_url(draft))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Travaux"' in html
    assert 'name="expenses-0-amount" value="200000,00"' in html
    assert format_eur(Decimal("200000.00")) in html  # 200 000,00 €
    assert "data-plan" in html and 'data-min-rate="0.2000"' in html
    assert codes(response) == []


@pytest.mark.django_db
def test_a_balanced_plan_is_saved_as_a_whole_and_the_request_follows_the_regions_line(sponsor_client, draft):
    response = sponsor_client.post(
        step_url(draft),
        plan_data(
            [("Études", "20 000", True), ("Travaux", "170 000,50", True), ("Mobilier", "9 999,50", False)],
            [(R, "60 000"), (STATE, "60 000"), (DEP, "40 000"), (OWN, "40 000")],
        ),
    )

    assert response.status_code == 302
    assert response.url == step_url(draft, "pieces")
    draft.refresh_from_db()
    assert list(draft.expense_lines.values_list("label", "amount", "is_eligible")) == [
        ("Études", Decimal("20000.00"), True),
        ("Travaux", Decimal("170000.50"), True),
        ("Mobilier", Decimal("9999.50"), False),
    ]
    assert draft.funding_lines.count() == 4
    assert draft.requested_amount == Decimal("60000.00")


@pytest.mark.django_db
def test_an_unbalanced_plan_is_saved_but_the_step_says_by_how_much(sponsor_client, draft):
    response = sponsor_client.post(
        step_url(draft), plan_data([("Travaux", "200000", True)], [(R, "80000"), (OWN, "60000")]), follow=True
    )

    assert response.redirect_chain == [(step_url(draft), 302)]
    assert "unbalanced_plan" in codes(response)
    html = response.content.decode()
    assert format_eur(Decimal("140000")) in html and format_eur(Decimal("200000")) in html
    assert (
        french("Not balanced: %(amount)s of resources are missing.") % {"amount": format_eur(Decimal("60000"))} in html
    )
    assert Dossier.objects.get(pk=draft.pk).funding_lines.count() == 2


@pytest.mark.django_db
def test_a_commune_whose_own_share_is_15_percent_is_told_the_figure(sponsor_client, draft):
    """DOMAIN.md: Region 80,000 + State 60,000 + Département 30,000 + own 30,000 → 15 % → refused."""
    response = sponsor_client.post(
        step_url(draft),
        plan_data([("Travaux", "200000", True)], [(R, "80000"), (STATE, "60000"), (DEP, "30000"), (OWN, "30000")]),
        follow=True,
    )

    assert codes(response) == ["self_financing"]
    html = response.content.decode()
    assert format_rate(Decimal("0.15")) in html  # 15 %
    assert format_rate(Decimal("0.2")) in html
    status = response.context["status"]
    assert any(format_rate(Decimal("0.15")) in line for line in status)


@pytest.mark.django_db
def test_a_commune_at_20_percent_of_public_funding_goes_on(sponsor_client, draft):
    """DOMAIN.md: Region 80,000 + State 60,000 + Département 20,000 + own 40,000 → 20 % → allowed."""
    response = sponsor_client.post(
        step_url(draft),
        plan_data([("Travaux", "200000", True)], [(R, "80000"), (STATE, "60000"), (DEP, "20000"), (OWN, "40000")]),
    )

    assert response.url == step_url(draft, "pieces")


@pytest.mark.django_db
def test_private_money_is_outside_the_self_financing_calculation(sponsor_client, draft):
    """DOMAIN.md: Region 90,000 + State 50,000 + private 25,000 + own 35,000 → public 175,000, own 20 %."""
    response = sponsor_client.post(
        step_url(draft),
        plan_data(
            [("Travaux", "200000", True)],
            [(R, "90000"), (STATE, "50000"), (PRIVATE, "25000"), (OWN, "35000")],
        ),
    )

    assert response.url == step_url(draft, "pieces")


@pytest.mark.django_db
def test_the_self_financing_rule_does_not_apply_to_an_association(client, contract):
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    user = make_user(Role.SPONSOR, organisation=association)
    dossier = make_draft(contract=contract, organisation=association, creator=user)
    client.force_login(user)

    page = client.get(step_url(dossier))
    response = client.post(
        step_url(dossier), plan_data([("Travaux", "100000", True)], [(R, "50000"), (STATE, "50000")])
    )

    assert "self_financing_exemption" not in page.context["options"].fields
    assert response.url == step_url(dossier, "pieces")


@pytest.mark.django_db
def test_a_public_owner_claiming_an_exemption_is_not_held_to_the_20_percent(sponsor_client, draft):
    response = sponsor_client.post(
        step_url(draft),
        plan_data(
            [("Restauration de l'église classée", "200000", True)],
            [(R, "100000"), (STATE, "100000")],
            self_financing_exemption=SelfFinancingExemption.LISTED_MONUMENT,
        ),
    )

    assert response.url == step_url(draft, "pieces")
    assert Dossier.objects.get(pk=draft.pk).self_financing_exemption == SelfFinancingExemption.LISTED_MONUMENT


@pytest.mark.django_db
def test_the_region_cannot_be_asked_more_than_the_eligible_expenses(sponsor_client, draft):
    response = sponsor_client.post(
        step_url(draft),
        plan_data(
            [("Travaux", "100000", True), ("Frais", "100000", False)],
            [(R, "150000"), (OWN, "50000")],
        ),
        follow=True,
    )

    assert "requested_above_eligible" in codes(response)


@pytest.mark.django_db
def test_a_plan_without_the_regions_line_keeps_the_request_and_asks_for_the_line(sponsor_client, draft):
    requested = draft.requested_amount

    response = sponsor_client.post(
        step_url(draft), plan_data([("Travaux", "100000", True)], [(STATE, "50000"), (OWN, "50000")]), follow=True
    )

    assert codes(response)[0] == "no_region_line"
    assert "requested_mismatch" not in codes(response)
    assert Dossier.objects.get(pk=draft.pk).requested_amount == requested


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["abc", "-100", "0", "12,345,6", "1e5"])
def test_a_wrong_amount_is_refused_on_its_field_changes_nothing_and_keeps_the_input(sponsor_client, draft, amount):
    before = snapshot(draft)

    response = sponsor_client.post(
        step_url(draft),
        plan_data([("Nouvelle ligne tapée", amount, True)], [(R, "80000"), (OWN, "120000")]),
    )

    assert response.status_code == 200
    assert response.context["expenses"].forms[0].errors["amount"]
    html = response.content.decode()
    assert 'id="id_expenses-0-amount_error"' in html
    assert 'aria-describedby="id_expenses-0-amount_error"' in html
    assert 'value="Nouvelle ligne tapée"' in html
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_line_marked_for_removal_is_removed(sponsor_client, draft):
    data = plan_data(
        [("Travaux", "200000", True), ("Ligne à supprimer", "5000", True)],
        [(R, "80000"), (OWN, "120000")],
    )
    data["expenses-1-DELETE"] = "on"

    sponsor_client.post(step_url(draft), data)

    assert list(Dossier.objects.get(pk=draft.pk).expense_lines.values_list("label", flat=True)) == ["Travaux"]


@pytest.mark.django_db
def test_blank_extra_lines_are_ignored(sponsor_client, draft):
    data = plan_data([("Travaux", "200000", True), ("", "", True)], [(R, "80000"), (OWN, "120000"), ("", "")])

    response = sponsor_client.post(step_url(draft), data)

    assert response.url == step_url(draft, "pieces")
    assert Dossier.objects.get(pk=draft.pk).expense_lines.count() == 1
    assert Dossier.objects.get(pk=draft.pk).funding_lines.count() == 2
