"""Publishes the grants' open data (SCDL subventions 2.1.1), the same code as the task
`opendata.tasks.publish_open_data`:

    manage.py publish_open_data

Prints the number of rows and exits with 0 when the file is published; prints the faulty rows and
exits with 1 when the publication is refused (the previous valid file stays online). Run it daily from
cron, e.g. `30 2 * * * cd /srv/contrats && .venv/bin/python manage.py publish_open_data`: cron mails
the output of a refusal.
"""

from django.core.management.base import BaseCommand, CommandError

from opendata.enums import PublicationStatus
from opendata.services import open_data_publish


class Command(BaseCommand):
    help = "Publishes the grants above the threshold in the SCDL subventions 2.1.1 format (exit 1 when refused)."

    def handle(self, *args, **options):
        publication = open_data_publish()
        if publication.status == PublicationStatus.PUBLISHED:
            self.stdout.write(f"{publication.rows} rows published (sha256 {publication.sha256})")
            return
        for problem in publication.errors:
            row = problem["row"] if problem["row"] is not None else "header"
            self.stderr.write(
                f"row {row} ({problem['reference'] or '-'}, dossier {problem['dossier'] or '-'}), "
                f"{problem['column'] or '-'}: {problem['message']}"
            )
        raise CommandError(
            f"publication refused: {len(publication.errors)} problems in {publication.rows} rows; "
            "the previous file stays published",
            returncode=1,
        )
