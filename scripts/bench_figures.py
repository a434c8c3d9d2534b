"""Times the figures' dashboard (/region/chiffres/) per demo login on an already seeded database: computed
while the user waits (first view: no snapshot, the cache emptied), served stale after a change (the
stamp moved: the last figures at once, the recompute left to the task worker, which the bench's dummy
task backend never runs) and from the cache; and the computation alone (`figures.selectors.
dashboard_figures`, no template) for the region.

Usage: DATABASE_URL=... python scripts/bench_figures.py [repeats]
Prints, per login and filter, the median and worst time and the number of queries.
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
from django.core.cache import cache  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings, setup_test_environment  # noqa: E402

from dossiers.models import Dossier  # noqa: E402
from figures.models import Snapshot  # noqa: E402
from figures.selectors import Filters, dashboard_figures  # noqa: E402

URL = "/region/chiffres/"


def timed(repeats: int, call) -> tuple[list[float], int]:
    timings, queries = [], 0
    for _ in range(repeats):
        reset_queries()
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
        queries = len(connection.queries)
    return timings, queries


def line(label: str, timings: list[float], queries: int) -> str:
    return f"{label:<52} median {statistics.median(timings):7.1f} ms  worst {max(timings):7.1f} ms  {queries} queries"


def main(repeats: int) -> None:
    setup_test_environment()
    # The recomputes wait in the dummy backend, as in a task worker's queue.
    override_settings(TASKS={"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}).enable()
    settings.DEBUG = True  # records the queries
    print(f"{Dossier.objects.count()} dossiers, {connection.vendor}")
    dashboard_figures(None, Filters())  # warms the connection and the imports
    for filters in (Filters(), Filters(year=2025), Filters(generation="2023-2025")):
        timings, queries = timed(repeats, lambda f=filters: dashboard_figures(None, f))
        print(line(f"dashboard_figures(region, {filters})", timings, queries))
    for username in ("admin", "finances", "instructeur"):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))

        def get(client=client):
            response = client.get(URL)
            assert response.status_code == 200, response.status_code

        def uncached(get=get):
            cache.clear()
            Snapshot.objects.all().delete()
            get()

        def stale(get=get):
            # As after a transition: the stamp (compared by value) no longer matches; the refresh lock is
            # released as the worker would.
            Snapshot.objects.update(stamp="moved", refreshing_since=None)
            cache.clear()
            get()

        get()
        print(line(f"{username} {URL} computed (first view)", *timed(repeats, uncached)))
        print(line(f"{username} {URL} stale, recompute enqueued", *timed(repeats, stale)))
        uncached()  # current figures again
        print(line(f"{username} {URL} from the cache", *timed(repeats, get)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
