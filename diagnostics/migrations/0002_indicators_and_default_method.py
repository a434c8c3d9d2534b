"""The indicators of the five dimensions (reference data, in French like the other reference tables) and
version 1 of the classification method: every dimension weighs the same; a score (mean of the signed
z-scores) of 0.5 or more is strong vulnerability, 0 or more relative vulnerability (see
`diagnostics.scoring`)."""

from decimal import Decimal

from django.db import migrations

MORE = "higher_more_vulnerable"
LESS = "higher_less_vulnerable"

INDICATORS = [
    # code, label, dimension, unit, direction
    ("employment_growth", "Évolution annuelle de l'emploi sur 5 ans", "economic_dynamism", "% par an", LESS),
    ("median_income", "Revenu disponible médian par unité de consommation", "economic_dynamism", "€", LESS),
    ("unemployment_rate", "Taux de chômage (recensement, 15–64 ans)", "economic_dynamism", "%", MORE),
    ("population_change", "Évolution annuelle de la population sur 5 ans", "attractiveness", "% par an", LESS),
    ("net_migration_rate", "Solde migratoire apparent annuel", "attractiveness", "% par an", LESS),
    ("poverty_rate", "Taux de pauvreté (seuil de 60 %)", "social_cohesion", "%", MORE),
    ("single_parent_families", "Part des familles monoparentales", "social_cohesion", "%", MORE),
    ("neet_youth", "Part des 15–24 ans ni en emploi ni en formation", "social_cohesion", "%", MORE),
    ("no_diploma_share", "Part des 25–64 ans sans diplôme qualifiant", "education", "%", MORE),
    ("higher_education_share", "Part des 25–64 ans diplômés du supérieur", "education", "%", LESS),
    (
        "services_travel_time",
        "Temps d'accès médian aux services de la vie courante",
        "everyday_services",
        "minutes",
        MORE,
    ),
    ("gp_density", "Médecins généralistes pour 10 000 habitants", "everyday_services", "pour 10 000 hab.", LESS),
]


def seed(apps, schema_editor):
    Indicator = apps.get_model("diagnostics", "Indicator")
    ClassificationMethod = apps.get_model("diagnostics", "ClassificationMethod")
    for position, (code, label, dimension, unit, direction) in enumerate(INDICATORS, start=1):
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "dimension": dimension,
                "unit": unit,
                "direction": direction,
                "position": position,
            },
        )
    if not ClassificationMethod.objects.exists():
        ClassificationMethod.objects.create(
            version=1,
            note="Méthode initiale : dimensions de poids égal, seuils 0,5 (forte) et 0 (relative).",
            weight_economic_dynamism=Decimal("1"),
            weight_attractiveness=Decimal("1"),
            weight_social_cohesion=Decimal("1"),
            weight_education=Decimal("1"),
            weight_everyday_services=Decimal("1"),
            strong_threshold=Decimal("0.5"),
            relative_threshold=Decimal("0"),
            relative_contract_type="dynamisation_cohesion",
        )


class Migration(migrations.Migration):
    dependencies = [("diagnostics", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
