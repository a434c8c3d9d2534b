"""The demonstration's diagnostics: one per territory for 2018 and 2022, classified with the method
version 1, the former regional capitals overridden to the attractiveness and solidarity contract.
Seeding again adds nothing."""

from collections import Counter

import pytest

from diagnostics.demo import seed_demo_diagnostics
from diagnostics.models import Classification, Diagnostic, ProposalOverride
from dossiers.demo import seed_logins, seed_territories
from dossiers.enums import ContractType, Generation
from dossiers.loaders import load_reference_data
from dossiers.models import Contract, Territory

pytestmark = pytest.mark.django_db


def test_the_demo_diagnostics_are_classified_and_the_capitals_overridden():
    load_reference_data()
    seed_territories()
    seed_logins()
    created = seed_demo_diagnostics()
    territories = Territory.objects.count()
    assert created == Diagnostic.objects.count() == 2 * territories
    assert Classification.objects.count() == 2 * territories
    assert set(Classification.objects.values_list("method__version", flat=True)) == {1}
    capitals = Contract.objects.filter(
        generation=Generation.G2018_2021, contract_type=ContractType.ATTRACTIVITE_SOLIDARITE
    ).values_list("territory_id", flat=True)
    assert sorted(ProposalOverride.objects.values_list("diagnostic__territory_id", flat=True)) == sorted(
        list(capitals) * 2
    )
    # The 2018 proposals mostly agree with the types the 2018–2021 contracts were given.
    actual = dict(
        Contract.objects.filter(generation=Generation.G2018_2021).values_list("territory_id", "contract_type")
    )
    agreement = Counter(
        actual[territory_id] == proposed
        for territory_id, proposed in Classification.objects.filter(diagnostic__vintage=2018)
        .exclude(diagnostic__territory_id__in=capitals)
        .values_list("diagnostic__territory_id", "proposed_contract_type")
    )
    assert agreement[True] > agreement[False]
    assert seed_demo_diagnostics() == 0
    assert Classification.objects.count() == 2 * territories
