"""Sends the webhook deliveries due: first attempts a worker has not sent yet and retries (README):

    * * * * * cd /srv/contrats && .venv/bin/python manage.py send_webhooks

Safe to run twice at once: each delivery is claimed before it is sent (`webhooks.delivery`), so two runs,
or a run and a task, never send it twice.
"""

from django.core.management.base import BaseCommand

from webhooks.delivery import BATCH_SIZE, deliveries_send_due
from webhooks.enums import DeliveryStatus


class Command(BaseCommand):
    help = "Sends the webhook deliveries due (first attempts and retries)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=BATCH_SIZE, help="at most this many deliveries per batch")

    def handle(self, *args, limit=BATCH_SIZE, **options):
        counts = dict.fromkeys(DeliveryStatus.values, 0)
        while outcomes := deliveries_send_due(limit=limit):
            for outcome in outcomes:
                counts[outcome.status] += 1
            if len(outcomes) < limit:
                break
        self.stdout.write(
            f"{counts['succeeded']} delivered, {counts['pending']} to retry, {counts['failed']} failed for good"
        )
