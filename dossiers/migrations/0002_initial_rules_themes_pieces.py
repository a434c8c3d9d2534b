"""Version 1 of the Region's rules (DOMAIN.md defaults, with their legal sources), the themes funded by
the contracts and the checklist of pieces. All three are edited later by administrators, not here."""

from decimal import Decimal

from django.db import migrations

PUBLIC = ["commune", "epci", "departement", "syndicat", "etablissement_public"]
PRIVATE_BODIES = ["association", "entreprise", "sem", "fondation"]

THEMES = [
    ("mobilite", "Mobilités du quotidien"),
    ("tiers-lieux", "Tiers-lieux"),
    ("sante", "Maisons de santé et accès aux soins"),
    ("revitalisation", "Revitalisation des centres-villes et centres-bourgs"),
    ("tourisme-economie", "Tourisme et économie locale"),
    ("agriculture", "Agriculture et installation d'agriculteurs"),
    ("equipements-sportifs", "Équipements sportifs"),
    ("equipements-culturels", "Équipements culturels"),
    ("numerique", "Numérique"),
    ("transition-ecologique", "Transition écologique et énergétique"),
    ("formation-emploi", "Formation et emploi"),
    ("logement", "Logement"),
    ("services-proximite", "Services de proximité"),
    ("ingenierie", "Ingénierie territoriale"),
]

PIECES = [
    # code, label, legal forms (empty: all), mandatory
    ("lettre-demande", "Lettre de demande de subvention signée", [], True),
    ("attestation-non-commencement", "Attestation de non-commencement des travaux", [], True),
    ("devis", "Devis ou estimation détaillée des dépenses", [], True),
    (
        "deliberation",
        "Délibération de l'organe délibérant approuvant le projet et son plan de financement",
        PUBLIC,
        True,
    ),
    ("statuts", "Statuts à jour", PRIVATE_BODIES, True),
    ("kbis", "Extrait Kbis de moins de trois mois", ["entreprise", "sem"], True),
    (
        "attestation-de-minimis",
        "Attestation des aides de minimis perçues sur trois ans",
        ["entreprise", "sem"],
        True,
    ),
    (
        "composition-bureau",
        "Composition du bureau ou du conseil d'administration",
        ["association", "fondation"],
        True,
    ),
    ("comptes", "Derniers comptes annuels approuvés", PRIVATE_BODIES, False),
    ("rib", "Relevé d'identité bancaire", [], False),
    ("autre", "Autre pièce utile à l'instruction", [], False),
]


def forwards(apps, schema_editor):
    RuleSet = apps.get_model("dossiers", "RuleSet")
    Theme = apps.get_model("dossiers", "Theme")
    PieceType = apps.get_model("dossiers", "PieceType")
    RuleSet.objects.create(
        version=1,
        note="Règles par défaut : CGCT L1111-10 (autofinancement 20 %), loi 2000-321 art. 10 et décret "
        "2001-495 (convention au-delà de 23 000 €), règlement (UE) 2023/2831 (de minimis 300 000 € sur "
        "3 ans), décret 2018-514 (avance 30 %, acomptes 80 %), caducité 12 et 36 mois, prorogation unique "
        "de 12 mois, complétude sous 2 mois.",
        self_financing_min_rate=Decimal("0.2000"),
        convention_threshold=Decimal("23000.00"),
        de_minimis_cap=Decimal("300000.00"),
        de_minimis_years=3,
        advance_max_rate=Decimal("0.3000"),
        interim_max_rate=Decimal("0.8000"),
        start_delay_months=12,
        completion_delay_months=36,
        extension_months=12,
        completeness_delay_months=2,
    )
    for position, (code, label) in enumerate(THEMES):
        Theme.objects.create(code=code, label=label, position=position)
    for position, (code, label, forms, mandatory) in enumerate(PIECES):
        PieceType.objects.create(code=code, label=label, legal_forms=forms, is_mandatory=mandatory, position=position)


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
