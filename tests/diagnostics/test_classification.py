from decimal import Decimal

import pytest
from django.urls import reverse

from diagnostics import scoring
from diagnostics.enums import Dimension, Direction, VulnerabilityClass, generation_for_vintage
from diagnostics.models import Classification
from diagnostics.services import method_publish, vintage_classify
from dossiers.enums import ContractType, Generation
from tests.diagnostics.helpers import FAVOURABLE, MIDDLE, VULNERABLE, make_diagnostic

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(admin):
    return {
        "vulnerable": make_diagnostic(admin, VULNERABLE, name="Territoire fragile"),
        "middle": make_diagnostic(admin, MIDDLE, name="Territoire moyen"),
        "favourable": make_diagnostic(admin, FAVOURABLE, name="Territoire dynamique"),
    }


def test_a_configured_method_classifies_three_known_territories_strong_relative_and_not_vulnerable(admin, region):
    method = method_publish(
        actor=admin,
        note="Relatifs en contrat d'attractivité",
        strong_threshold=Decimal("0.5"),
        relative_threshold=Decimal("-0.5"),
        relative_contract_type=ContractType.ATTRACTIVITE,
    )
    vintage_classify(actor=admin, vintage=2022)
    results = {name: diagnostic.classifications.get() for name, diagnostic in region.items()}

    assert {name: (r.score, r.vulnerability_class, r.proposed_contract_type) for name, r in results.items()} == {
        "vulnerable": (Decimal("1.2247"), VulnerabilityClass.STRONG, ContractType.DYNAMISATION_COHESION),
        "middle": (Decimal("0.0000"), VulnerabilityClass.RELATIVE, ContractType.ATTRACTIVITE),
        "favourable": (Decimal("-1.2247"), VulnerabilityClass.NOT_VULNERABLE, ContractType.ATTRACTIVITE),
    }
    assert all(result.method == method for result in results.values())
    reasons = results["vulnerable"].reasons
    assert [reason["dimension"] for reason in reasons] == Dimension.values
    for reason in reasons:
        assert (reason["score"], reason["weight"], reason["contribution"]) == ("1.2247", "1.000", "0.2449")
        assert all(row["z"] == "1.2247" for row in reason["indicators"])


def test_a_relatively_vulnerable_territory_gets_the_dynamisation_contract_when_the_method_says_so(admin, region):
    method_publish(actor=admin, note="x", relative_contract_type=ContractType.DYNAMISATION_COHESION)
    vintage_classify(actor=admin, vintage=2022)
    assert region["middle"].classifications.get().proposed_contract_type == ContractType.DYNAMISATION_COHESION


def test_the_weights_decide_each_dimensions_share_of_the_score(admin, region):
    # The vulnerable territory becomes favourable on education only: with education weighing 3 of 7, its
    # score is (4 × 1.2247 − 3 × 1.2247) / 7.
    diagnostic = region["vulnerable"]
    diagnostic.values.filter(indicator__code="no_diploma_share").update(value=Decimal("21"))
    diagnostic.values.filter(indicator__code="higher_education_share").update(value=Decimal("31"))
    region["favourable"].values.filter(indicator__dimension=Dimension.EDUCATION).update(value=Decimal("28"))
    region["favourable"].values.filter(indicator__code="higher_education_share").update(value=Decimal("24"))
    region["middle"].values.filter(indicator__code="no_diploma_share").update(value=Decimal("35"))
    region["middle"].values.filter(indicator__code="higher_education_share").update(value=Decimal("17"))
    method_publish(actor=admin, note="Éducation renforcée", weight_education=Decimal("3"))
    vintage_classify(actor=admin, vintage=2022)
    result = diagnostic.classifications.get()
    education = next(reason for reason in result.reasons if reason["dimension"] == Dimension.EDUCATION)
    assert (education["score"], education["weight"], education["contribution"]) == ("-1.2247", "3.000", "-0.5249")
    assert result.score == Decimal("0.1750")
    assert result.vulnerability_class == VulnerabilityClass.RELATIVE


def test_a_higher_value_counts_as_more_or_less_vulnerable_by_the_indicators_direction():
    mean, deviation = Decimal("10"), Decimal("2")
    assert scoring.signed_z(Decimal("14"), mean, deviation, Direction.HIGHER_MORE_VULNERABLE) == Decimal("2.0000")
    assert scoring.signed_z(Decimal("14"), mean, deviation, Direction.HIGHER_LESS_VULNERABLE) == Decimal("-2.0000")
    assert scoring.signed_z(Decimal("14"), mean, Decimal("0"), Direction.HIGHER_MORE_VULNERABLE) == Decimal("0.0000")


def test_each_vintage_is_compared_with_its_own_vintage_only(admin, region):
    lonely = make_diagnostic(admin, VULNERABLE, vintage=2018, territory=region["favourable"].territory)
    vintage_classify(actor=admin, vintage=2018)
    # Alone in its vintage, every indicator is at the mean.
    assert lonely.classifications.get().score == Decimal("0.0000")
    assert not Classification.objects.filter(diagnostic__vintage=2022).exists()


def test_a_vintage_prepares_the_next_generation_of_contracts():
    assert generation_for_vintage(2018) == Generation.G2018_2021
    assert generation_for_vintage(2019) == Generation.G2018_2021
    assert generation_for_vintage(2022) == Generation.G2023_2025


def test_the_diagnostic_page_shows_the_proposal_its_reasons_and_the_contracts_actual_type(admin, region, client):
    vintage_classify(actor=admin, vintage=2022)
    client.force_login(admin)
    response = client.get(reverse("diagnostics:detail", args=[region["vulnerable"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="proposed-contract" data-type="{ContractType.DYNAMISATION_COHESION}"' in page
    assert f'id="actual-contract" data-type="{ContractType.DEVELOPPEMENT_TRANSITIONS}"' in page
    assert page.count('class="reason"') == 5
    assert response.context["reasons"][0]["weight"] == "1.000"
