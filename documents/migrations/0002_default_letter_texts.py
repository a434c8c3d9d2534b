"""Version 1 of every document type's letter text (free paragraphs and signatory), which the
administrators then adapt from the admin site, each change making a new version."""

from django.db import migrations

SIGNATORY_NAME = "Claire Mercier"  # fictitious: the administrators set the real signatory
SIGNATORY_TITLE = (
    "Pour le Président du Conseil régional et par délégation, la Directrice de la contractualisation territoriale"
)
POLITENESS = "<p>Je vous prie d'agréer, Madame, Monsieur, l'expression de ma considération distinguée.</p>"

DEFAULTS = {
    "acknowledgement": ("<p>Madame, Monsieur,</p>", POLITENESS),
    "pieces_request": (
        "<p>Madame, Monsieur,</p><p>Votre dossier {{ reference }} ne peut pas encore être instruit.</p>",
        "<p>Votre chargé de mission territorial reste à votre disposition pour toute précision.</p>" + POLITENESS,
    ),
    "session_report": ("", ""),
    "deliberation_extract": ("", ""),
    "award_notification": (
        "<p>Madame, Monsieur,</p>",
        "<p>Je vous adresse mes félicitations pour ce projet et vous prie d'agréer, Madame, Monsieur, l'expression de "
        "ma considération distinguée.</p>",
    ),
    "refusal_letter": ("<p>Madame, Monsieur,</p>", POLITENESS),
    "convention": ("", ""),
    "payment_certificate": ("", ""),
}


def create(apps, schema_editor):
    LetterTemplate = apps.get_model("documents", "LetterTemplate")
    for kind, (opening, closing) in DEFAULTS.items():
        LetterTemplate.objects.get_or_create(
            scope_key=f"{kind}||",
            version=1,
            defaults={
                "kind": kind,
                "opening": opening,
                "closing": closing,
                "signatory_name": SIGNATORY_NAME,
                "signatory_title": SIGNATORY_TITLE,
                "note": "Version initiale",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
