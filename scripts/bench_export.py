"""Times the export of the staff dossier list (exports/) for N dossiers (default 100,000), in CSV and in
XLSX, through the same code as the application: the export views (POST, as the buttons of the list, the
synchronous limit raised above N; the response read and thrown away chunk by chunk, as a client would)
and the background task (`exports.services.run_export_job`, writing its file to the storage).

Usage: python scripts/bench_export.py [dossiers]   or   python scripts/bench_export.py --work DIR

It builds its own data in a temporary SQLite database (nothing else is touched): bulk-inserted dossiers
(varied states, amounts and dates; a quarter of them with two paid payment requests), 20 territories,
1,000 sponsors, seen by an administrator (every row). Each measurement runs in a fresh process so that
its memory figures are its own:

- time: wall clock of the whole request (response consumed and discarded) or task, and the CPU time
  of the process over the same span (less sensitive to other processes sharing the machine);
- RSS: the process's peak resident set size during the export minus its RSS just before: what the
  export really added to the process (Python objects, SQLite's page cache, buffers, C allocations).
  On Linux the peak is /proc/self/status VmHWM, reset just before the export (/proc/self/clear_refs);
  getrusage's ru_maxrss cannot be used for a delta here: Linux carries it over from the parent across
  fork and exec (the seeding parent's peak), so it is printed only where /proc is missing;
- tracemalloc peak: the largest amount of memory allocated by Python code at any point during the
  export, measured in a second run (tracemalloc slows the code down, so its time is not reported).
  It misses what C libraries allocate (SQLite, zlib), which the RSS figure includes.

`--work DIR` reuses the database seeded by an earlier run in DIR (printed by that run).
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if len(sys.argv) > 2 and sys.argv[1] in ("--measure", "--work"):
    WORK = Path(sys.argv[2])
else:
    WORK = Path(tempfile.mkdtemp(prefix="bench-export-"))
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ["DEBUG"] = "false"
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from dossiers.models import Dossier, Organisation, RuleSet  # noqa: E402
from workflows.enums import DossierState, Role  # noqa: E402

STATES = [
    DossierState.SUBMITTED,
    DossierState.UNDER_REVIEW,
    DossierState.REVIEWED,
    DossierState.APPROVED,
    DossierState.NOTIFIED,
    DossierState.IN_PAYMENT,
    DossierState.PAID,
    DossierState.REJECTED,
]
GRANTED = {DossierState.APPROVED, DossierState.NOTIFIED, DossierState.IN_PAYMENT, DossierState.PAID}


def seed(count: int) -> None:
    from payments.models import PaymentKind, PaymentRequest, RequestState
    from tests.factories import ContractFactory, make_user, theme

    call_command("migrate", verbosity=0)
    contracts = [ContractFactory() for _ in range(20)]
    creator = make_user(Role.SPONSOR, username="bench-sponsor")
    make_user(Role.ADMINISTRATOR, username="bench-admin")
    organisations = Organisation.objects.bulk_create(
        # A few names start with a formula character: they go through the neutralisation like any other.
        Organisation(name=f"{'=' if i % 50 == 0 else ''}Commune de Bench {i}", siret=f"{10**13 + i}")
        for i in range(1000)
    )
    subject = theme()
    rule_set = RuleSet.objects.current()
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        for start in range(0, count, 5000):
            batch = []
            for i in range(start, min(start + 5000, count)):
                contract = contracts[i % len(contracts)]
                state = STATES[i % len(STATES)]
                granted = state in GRANTED
                batch.append(
                    Dossier(
                        reference=f"2026-{i:07d}",
                        organisation=organisations[i % len(organisations)],
                        created_by=creator,
                        created_at=now - timedelta(minutes=i),
                        contract=contract,
                        territory_id=contract.territory_id,
                        theme=subject,
                        title=f"Projet de territoire numéro {i} — aménagement et équipements",
                        object="Travaux",
                        planned_start=today,
                        planned_end=today + timedelta(days=365),
                        requested_amount=Decimal(10000 + i % 90000) + Decimal("0.50"),
                        state=state,
                        rule_set=rule_set,
                        submitted_at=now - timedelta(days=90, minutes=i),
                        proposed_amount=Decimal(9000 + i % 80000) if state != DossierState.SUBMITTED else None,
                        granted_amount=Decimal(9000 + i % 80000) if granted else None,
                        decided_at=now - timedelta(days=30) if granted or state == DossierState.REJECTED else None,
                        notified_on=today - timedelta(days=20) if granted and state != DossierState.APPROVED else None,
                    )
                )
            Dossier.objects.bulk_create(batch)
        paid = Dossier.objects.filter(state__in=[DossierState.IN_PAYMENT, DossierState.PAID]).values_list(
            "pk", flat=True
        )
        PaymentRequest.objects.bulk_create(
            PaymentRequest(
                dossier_id=pk,
                kind=kind,
                created_by=creator,
                payable=Decimal("2500.25"),
                state=RequestState.PAID,
            )
            for pk in paid
            for kind in (PaymentKind.ADVANCE, PaymentKind.INSTALMENT)
        )


def measure(what: str, trace: bool) -> dict:
    """One export, in this fresh process: `view-csv`, `view-xlsx`, `task-csv` or `task-xlsx`."""
    import tracemalloc

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from exports.models import ExportJob
    from exports.services import run_export_job

    settings.EXPORTS_SYNC_MAX_ROWS = 10**9
    admin = get_user_model().objects.get(username="bench-admin")
    kind, export_format = what.split("-")
    client = Client()
    client.force_login(admin)
    job = ExportJob.objects.create(owner=admin, format=export_format, language="fr") if kind == "task" else None
    size = rows = 0
    # A first request loads the URLconf, the views and the session: not the export's cost.
    client.post(reverse("exports:dossiers_csv"), {"q": "matches nothing"})
    rss_before = _reset_peak_rss()
    if trace:
        tracemalloc.start()
    cpu = time.process_time()
    started = time.perf_counter()
    if job is None:
        response = client.post(reverse(f"exports:dossiers_{export_format}"))
        assert response.status_code == 200, response.status_code
        for chunk in response.streaming_content:
            size += len(chunk)
        response.close()
    else:
        rows = run_export_job.call(job_id=job.pk)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss_peak = _peak_rss()
    if job is not None:
        job.refresh_from_db()
        size = job.file.size
        assert job.rows_done == rows, (job.rows_done, rows)
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "bytes": size,
        "rss_delta_mb": (rss_peak - rss_before) / 1024,
        "rss_before_mb": rss_before / 1024,
        "tracemalloc_peak_mb": peak / 2**20 if peak is not None else None,
    }


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def _reset_peak_rss() -> int:
    """Resets the peak RSS (Linux) and returns the RSS now, in KiB; elsewhere ru_maxrss so far."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_kib("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_rss() -> int:
    try:
        return _status_kib("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run(what: str, trace: bool) -> dict:
    command = [sys.executable, __file__, "--measure", str(WORK), what] + (["--trace"] if trace else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(count: int, reuse: bool) -> None:
    if not reuse:
        started = time.perf_counter()
        seed(count)
        print(f"{count} dossiers seeded in {time.perf_counter() - started:.0f} s, in {WORK}")
    print(f"{Dossier.objects.count()} dossiers, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    for what in ("view-csv", "view-xlsx", "task-csv", "task-xlsx"):
        timed = run(what, trace=False)
        traced = run(what, trace=True)
        print(
            f"{what:<9} {timed['seconds']:6.2f} s (CPU {timed['cpu_seconds']:5.2f} s), "
            f"{timed['bytes'] / 2**20:5.1f} MiB file, peak RSS +{timed['rss_delta_mb']:5.1f} MiB "
            f"(over {timed['rss_before_mb']:.0f} MiB), tracemalloc peak {traced['tracemalloc_peak_mb']:5.1f} MiB"
        )


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[3], trace="--trace" in sys.argv)))
    elif len(sys.argv) > 2 and sys.argv[1] == "--work":
        main(0, reuse=True)
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, reuse=False)
