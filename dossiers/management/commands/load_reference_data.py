from django.core.management.base import BaseCommand

from dossiers.loaders import load_reference_data


class Command(BaseCommand):
    help = "Loads (or refreshes) the departments, EPCIs and communes of Nouvelle-Aquitaine. Idempotent."

    def handle(self, *args, **options):
        counts = load_reference_data()
        self.stdout.write(
            f"Reference data: {counts['departments']} departments, {counts['epcis']} EPCIs, "
            f"{counts['communes']} communes (Source : INSEE, DGCL — Etalab, découpage administratif 2026)."
        )
