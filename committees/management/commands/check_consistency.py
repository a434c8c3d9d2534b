import sys

from django.core.management.base import BaseCommand

from committees.consistency import consistency_problems


class Command(BaseCommand):
    help = (
        "Checks that every envelope's commitments are the sum of their dossiers and stay within its amount, "
        "that each commitment has its vote, and that no numbering sequence lags; prints any drift."
    )

    def handle(self, *args, **options):
        problems = consistency_problems()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            self.stderr.write(f"{len(problems)} inconsistencies.")
            sys.exit(1)
        self.stdout.write("Envelopes, votes and numbering are consistent.")
