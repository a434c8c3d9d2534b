"""Times the lists people work from, per demo login, on an already seeded database: the staff's dossier
list, queue and inbox, the sponsor's home.

Usage: DATABASE_URL=... python scripts/bench_home.py [repeats]
Prints, per page and login, the median and worst time and the number of queries.
"""

import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from dossiers.models import Dossier  # noqa: E402


def main(repeats: int) -> None:
    setup_test_environment()
    settings.DEBUG = True  # records the queries
    print(f"{Dossier.objects.count()} dossiers, {connection.vendor}")
    pages = [
        ("instructeur", "/region/instruction/dossiers/"),
        ("instructeur", "/region/instruction/queue/"),
        ("instructeur", "/region/instruction/inbox/"),
        ("porteur", "/porteur/"),
        ("secretariat", "/region/instruction/dossiers/"),
        ("finances", "/region/instruction/dossiers/"),
        ("admin", "/region/instruction/dossiers/"),
    ]
    for username, url in pages:
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        timings, queries = [], 0
        for _ in range(repeats):
            reset_queries()
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            queries = len(connection.queries)
            assert response.status_code == 200, (url, response.status_code)
        print(
            f"{username:<12} {url:<32} median {statistics.median(timings):6.1f} ms  "
            f"worst {max(timings):6.1f} ms  {queries} queries"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
