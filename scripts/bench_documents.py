"""Times the notification letter through the whole pipeline (the rendering task: query, context,
template, WeasyPrint, storage, record) next to WeasyPrint alone rendering the very same HTML, in the
same run, and the request that precedes it (number and job row, written with the transition); then a
batch of 200 letters (request and task each).

Usage: python scripts/bench_documents.py [letters]      (default 30; the batch is always 200)

It builds its own data in a temporary SQLite database and media directory (nothing else is touched),
and prints the medians, the pipeline's overhead over WeasyPrint alone, and the batch's letters per
second. Targets (issue 4): under 250 ms median end to end; overhead under 15 %.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="bench-documents-"))
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["MEDIA_ROOT"] = str(WORK / "media")
os.environ["DOCUMENTS_STORAGE_OPTIONS"] = f'{{"location": "{WORK / "media" / "documents"}"}}'
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from weasyprint import HTML  # noqa: E402

from committees.models import SessionStatus  # noqa: E402
from documents import rendering  # noqa: E402
from documents.models import DocumentBatch, DocumentKind  # noqa: E402
from documents.services import document_request, job_run, render_html  # noqa: E402
from tests.factories import EnvelopeFactory, make_dossier, make_session  # noqa: E402
from workflows.enums import DossierState  # noqa: E402

BATCH = 200


def weasyprint_alone(html: str) -> bytes:
    """WeasyPrint with the same inputs the pipeline gives it: fetcher, fonts, parsed stylesheet, options."""
    fetcher, font_config, stylesheet = rendering._shared()
    return HTML(string=html, base_url=rendering.BASE_URL, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=font_config, **rendering.PDF_OPTIONS
    )


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def main(letters: int) -> None:
    call_command("migrate", verbosity=0)
    contract = EnvelopeFactory(amount=10**9).contract
    session = make_session(status=SessionStatus.CLOSED)
    dossiers = [make_dossier(DossierState.APPROVED, contract=contract, session=session) for _ in range(letters + BATCH)]
    print(f"{len(dossiers)} approved dossiers in {WORK}")

    # Warm-up: fonts, stylesheet, templates.
    job_run(document_request(kind=DocumentKind.AWARD_NOTIFICATION, dossier=dossiers[0], enqueue=False).pk)

    # Each letter is timed both ways, in alternating order so that neither side profits from caches the
    # other warmed: the pipeline (the task: query, context, template, WeasyPrint, storage, record) and
    # WeasyPrint alone on the HTML the pipeline renders for that very job. The request of the job (its
    # number, in the transition's transaction) is timed apart.
    pipeline, alone, requests, sizes = [], [], [], []
    for index, dossier in enumerate(dossiers[:letters]):
        started = time.perf_counter()
        job = document_request(kind=DocumentKind.AWARD_NOTIFICATION, dossier=dossier, enqueue=False)
        requests.append(ms(started))
        html, _letter = render_html(job)
        if index % 2:
            started = time.perf_counter()
            weasyprint_alone(html)
            alone.append(ms(started))
        started = time.perf_counter()
        job = job_run(job.pk)
        pipeline.append(ms(started))
        if not index % 2:
            started = time.perf_counter()
            weasyprint_alone(html)
            alone.append(ms(started))
        assert job.status == "done", job.error
        sizes.append(job.document.size)

    batch = DocumentBatch.objects.create(session=session, label="Benchmark")
    jobs = [
        document_request(kind=DocumentKind.AWARD_NOTIFICATION, dossier=dossier, batch=batch, enqueue=False)
        for dossier in dossiers[letters:]
    ]
    started = time.perf_counter()
    for job in jobs:
        assert job_run(job.pk).status == "done"
    batch_seconds = ms(started) / 1000

    median_pipeline, median_alone = statistics.median(pipeline), statistics.median(alone)
    overhead = (median_pipeline - median_alone) / median_alone * 100
    print(f"notification letter, whole pipeline: median {median_pipeline:6.1f} ms  (n={letters})")
    print(f"  plus its request (number, job row): median {statistics.median(requests):6.1f} ms")
    print(f"same HTML, WeasyPrint alone:        median {median_alone:6.1f} ms")
    print(f"pipeline overhead over WeasyPrint:  {overhead:5.1f} %")
    print(f"PDF size: median {statistics.median(sizes) / 1024:.1f} KiB")
    print(f"batch of {BATCH}: {batch_seconds:.1f} s, {BATCH / batch_seconds:.1f} letters per second (one process)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
