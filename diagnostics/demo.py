"""The demonstration's diagnostics: one per demo territory for the vintages 2018 (which prepared the
2018–2021 contracts) and 2022 (the 2023–2025 ones), with deterministic values shaped by the type of the
territory's 2018–2021 contract (a vulnerable profile for the dynamisation and cohesion contracts, a
middling one for the former regional capitals, a favourable one otherwise, each nudged by a checksum
of the territory's code), classified with the current method (version 1, seeded by migration). The
former regional capitals get the administrator's override to the attractiveness and solidarity
contract, with its comment. Seeding again adds nothing."""

import zlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from diagnostics.models import Diagnostic, Indicator, IndicatorValue, ProposalOverride
from diagnostics.services import classify_vintage, current_method
from dossiers.enums import ContractType, Generation
from dossiers.models import Contract
from workflows.enums import Role

VINTAGES = (2018, 2022)
SOURCE = "INSEE, données de démonstration"
# Indicator code → (favourable value, vulnerable value): a territory's profile lies between them.
PROFILES = {
    "employment_growth": ("0.9", "-0.6"),
    "median_income": ("23500", "19200"),
    "unemployment_rate": ("8.5", "14.5"),
    "population_change": ("1.0", "-0.3"),
    "net_migration_rate": ("1.1", "0.1"),
    "poverty_rate": ("11.0", "18.5"),
    "single_parent_families": ("13.0", "17.5"),
    "neet_youth": ("12.0", "20.0"),
    "no_diploma_share": ("22.0", "35.0"),
    "higher_education_share": ("30.0", "17.0"),
    "services_travel_time": ("4.0", "9.5"),
    "gp_density": ("10.5", "7.0"),
}
# Where each 2018–2021 contract type puts the territory between favourable (0) and vulnerable (1).
POSITION = {
    ContractType.ATTRACTIVITE: Decimal("0.25"),
    ContractType.ATTRACTIVITE_SOLIDARITE: Decimal("0.45"),
    ContractType.DYNAMISATION_COHESION: Decimal("0.80"),
}
CAPITALS_COMMENT = (
    "Territoire de l'ancienne capitale régionale : contrat d'attractivité et de solidarité, "
    "décidé par le Conseil régional hors classement."
)


def _value(code: str, position: Decimal, territory_code: str, vintage: int) -> Decimal:
    favourable, vulnerable = (Decimal(text) for text in PROFILES[code])
    # A deterministic nudge of −0.10 to +0.10 per territory, indicator and vintage.
    nudge = Decimal(zlib.crc32(f"{territory_code}:{code}:{vintage}".encode()) % 21 - 10) / 100
    share = min(max(position + nudge, Decimal(0)), Decimal(1))
    return (favourable + (vulnerable - favourable) * share).quantize(Decimal("0.01"))


def seed_demo_diagnostics() -> int:
    """Creates the missing demo diagnostics, classifies their vintages and records the capitals'
    overrides. Returns how many diagnostics were created."""
    admin = get_user_model().objects.filter(groups__name=Role.ADMINISTRATOR).order_by("pk").first()
    indicators = {indicator.code: indicator for indicator in Indicator.objects.filter(code__in=PROFILES)}
    old_contracts = {
        contract.territory_id: contract
        for contract in Contract.objects.filter(generation=Generation.G2018_2021).select_related("territory")
    }
    created = 0
    with transaction.atomic():
        for vintage in VINTAGES:
            done = set(Diagnostic.objects.filter(vintage=vintage).values_list("territory_id", flat=True))
            new = [
                Diagnostic(territory_id=territory_id, vintage=vintage, created_by=admin)
                for territory_id in sorted(old_contracts)
                if territory_id not in done
            ]
            if not new:
                continue
            Diagnostic.objects.bulk_create(new)
            created += len(new)
            diagnostics = Diagnostic.objects.filter(vintage=vintage, territory_id__in=[d.territory_id for d in new])
            IndicatorValue.objects.bulk_create(
                [
                    IndicatorValue(
                        diagnostic=diagnostic,
                        indicator=indicators[code],
                        value=_value(
                            code,
                            POSITION.get(old_contracts[diagnostic.territory_id].contract_type, Decimal("0.5")),
                            old_contracts[diagnostic.territory_id].territory.code,
                            vintage,
                        ),
                        source=SOURCE,
                        year=vintage - 2,
                    )
                    for diagnostic in diagnostics
                    for code in sorted(indicators)
                ]
            )
            classifications = classify_vintage(vintage=vintage, method=current_method(), actor=admin)
            capitals = {
                territory_id
                for territory_id, contract in old_contracts.items()
                if contract.contract_type == ContractType.ATTRACTIVITE_SOLIDARITE
            }
            territory_of = dict(Diagnostic.objects.filter(vintage=vintage).values_list("pk", "territory_id"))
            if admin is not None:
                ProposalOverride.objects.bulk_create(
                    [
                        ProposalOverride(
                            diagnostic_id=classification.diagnostic_id,
                            classification=classification,
                            contract_type=ContractType.ATTRACTIVITE_SOLIDARITE,
                            comment=CAPITALS_COMMENT,
                            decided_by=admin,
                        )
                        for classification in classifications
                        if territory_of[classification.diagnostic_id] in capitals
                    ]
                )
    return created
