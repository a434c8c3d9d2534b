"""The deadlines' daily job, run here (the same code as the `payments.tasks.run_deadlines` task):

    manage.py run_deadlines                    # as of today: reminders due, then the grants to lapse
    manage.py run_deadlines --date 2026-03-01  # as of an earlier day (never a later one)

Idempotent and safe to run twice at once: run it daily from cron or a systemd timer (README).
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from payments.deadlines import deadlines_run


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: {value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Sends the deadline reminders due and lapses the grants past their deadline with no extension pending."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_day, help="run as of this day (YYYY-MM-DD, today or earlier)")

    def handle(self, *args, date=None, **options):
        if date is not None and date > timezone.localdate():
            raise CommandError("--date: the job cannot run as of a day after today")
        reminders, lapsed = deadlines_run(today=date)
        self.stdout.write(f"{reminders} reminders sent, {len(lapsed)} dossiers lapsed")
