import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from diagnostics.demo import seed_demo_diagnostics
from documents.demo import seed_demo_letters
from dossiers.demo import seed_dossiers, seed_instructions, seed_logins, seed_territories, seed_territory_officers
from engineering.demo import seed_demo_engineering
from opendata.services import open_data_publish
from payments.demo import seed_demo_payments
from roadmaps.demo import seed_demo_roadmaps


class Command(BaseCommand):
    help = (
        "Loads the demonstration data (51 territories and their contracts, one login per role, sponsors and "
        "dossiers in every state, the Commission permanente's sessions and agendas, bank details and payments, "
        "engineering posts, roadmaps and a follow-up meeting) and "
        "prints the logins. Idempotent: only what is missing is added."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dossiers",
            type=int,
            default=400,
            help="Number of demonstration dossiers to reach (default 400).",
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed, for reproducible data.")
        parser.add_argument(
            "--letters",
            type=int,
            default=8,
            help="The PDF letters of this many of the demo sponsor's dossiers are issued (default 8; 0: none).",
        )
        parser.add_argument(
            "--instructions",
            type=int,
            default=2000,
            help="At most this many dossiers in instruction get their process and tasks (default 2,000).",
        )

    def handle(self, *args, dossiers, seed, **options):
        if settings.PRODUCTION:
            raise CommandError("Demonstration data and its known passwords are refused in production.")
        started = time.monotonic()
        created = seed_territories()
        logins = seed_logins()

        def progress(done, total):
            self.stdout.write(f"  {done}/{total} dossiers", ending="\r")
            self.stdout.flush()

        added = seed_dossiers(dossiers, seed=seed, progress=progress if self.stdout.isatty() else None)
        seed_territory_officers()
        instructions = seed_instructions(options["instructions"])
        payments = seed_demo_payments()
        engineering = seed_demo_engineering()
        roadmaps = seed_demo_roadmaps()
        diagnostics = seed_demo_diagnostics()
        letters = seed_demo_letters(limit=options["letters"]) if options["letters"] else 0
        self.stdout.write(
            f"Demo data: {created} territories created, {added} dossiers added, {instructions} instructions "
            f"started, {payments} payment requests added, {engineering} engineering posts, "
            f"{roadmaps} roadmaps written, {diagnostics} territorial diagnostics, "
            f"{letters} letters issued "
            f"({time.monotonic() - started:.1f} s)."
        )
        publication = open_data_publish()
        self.stdout.write(f"Open data: {publication.status}, {publication.rows} grants.")
        self.stdout.write("")
        self.stdout.write("Logins (local demonstration only):")
        width = max(len(login.role.label) for login in logins)
        for login in logins:
            self.stdout.write(
                f"  {str(login.role.label).ljust(width)}  {login.username:<12} {login.password:<18} {login.scope}"
            )
        self.stdout.write("")
