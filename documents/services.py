"""Requesting, rendering, storing and recording documents.

A document is asked for with `document_request` (by a transition's handler, a staff action or the
batch command): that writes a `DocumentJob` with its number and version, and enqueues the
`render_document` task after the commit. `job_run` renders it: a failed attempt is retried
(`DOCUMENTS_RENDER_ATTEMPTS`), then the job is marked failed with the error, for the staff to see and
retry. A file is stored under a new name, never over another one, and the record that points to it is
written only once the whole file is in storage (it is deleted again if the record cannot be written).
"""

import hashlib
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from documents import contexts
from documents.models import (
    MEETING_KINDS,
    NUMBER_PREFIXES,
    DocumentBatch,
    DocumentJob,
    DocumentKind,
    DocumentSequence,
    IssuedDocument,
    JobStatus,
    LetterTemplate,
    documents_storage,
)
from documents.rendering import render_pdf

logger = logging.getLogger(__name__)

TEMPLATES = {kind: f"documents/{kind.value}.html" for kind in DocumentKind}


def allocate_number(kind: str, year: int) -> str:
    """`NOT-2026-000042`: sequential per type and year, under a row lock, never reused."""
    DocumentSequence.objects.bulk_create([DocumentSequence(kind=kind, year=year)], ignore_conflicts=True)
    sequence = DocumentSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"{NUMBER_PREFIXES[kind]}-{year}-{sequence.last_number:06d}"


def _next_version(number: str) -> int:
    issued = IssuedDocument.objects.filter(number=number).aggregate(top=Max("version"))["top"] or 0
    queued = (
        DocumentJob.objects.filter(number=number).exclude(status=JobStatus.FAILED).aggregate(top=Max("version"))["top"]
    )
    return max(issued, queued or 0) + 1


def document_request(
    *,
    kind: str,
    dossier=None,
    session=None,
    payment_request=None,
    meeting=None,
    actor=None,
    event=None,
    batch=None,
    reissue_of=None,
    enqueue=True,
) -> DocumentJob:
    """Records the request of one document and enqueues its rendering after the commit (unless the
    caller renders it itself: `enqueue=False`, then `job_run`)."""
    from documents.tasks import render_document

    with transaction.atomic():
        if reissue_of is not None:
            original = IssuedDocument.objects.select_for_update().get(pk=reissue_of.pk)
            kind, dossier, session = original.kind, original.dossier, original.session
            payment_request, meeting = original.payment_request, original.meeting
            number, version = original.number, _next_version(original.number)
        else:
            number, version = allocate_number(kind, timezone.localdate().year), 1
        job = DocumentJob.objects.create(
            kind=kind,
            dossier=dossier,
            session=session,
            payment_request=payment_request,
            meeting=meeting,
            batch=batch,
            reissue_of=reissue_of,
            event=event,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            number=number,
            version=version,
        )
        job_id = job.pk
        collecting = _batched.get()
        if collecting is not None:
            # Inside `rendering_batched`: rendered with the others once the caller is done (if this
            # transaction commits: the ids of rolled-back jobs are dropped then).
            collecting.add(job)
        elif enqueue:
            transaction.on_commit(lambda: render_document.enqueue(job_id=job_id))
    return job


@dataclass
class BatchedRequests:
    job_ids: list = field(default_factory=list)
    batch: DocumentBatch | None = None

    def add(self, job: DocumentJob) -> None:
        self.job_ids.append(job.pk)
        if self.batch is None and job.batch_id is not None:
            self.batch = job.batch


_batched: ContextVar[BatchedRequests | None] = ContextVar("documents_rendering_batched", default=None)


@contextmanager
def rendering_batched():
    """Within the block, the documents requested (by transitions that commit) are not rendered one
    by one: at the end of the block they are rendered by one background task, in the order asked.
    Used by the closing of a session, whose hundreds of decisions would otherwise each enqueue their
    own letters."""
    from documents.tasks import render_documents

    collected = BatchedRequests()
    token = _batched.set(collected)
    try:
        yield collected
    finally:
        _batched.reset(token)
        # Jobs whose transaction rolled back are gone (ids are never reused).
        kept = set(DocumentJob.objects.filter(pk__in=collected.job_ids).values_list("pk", flat=True))
        collected.job_ids = [pk for pk in collected.job_ids if pk in kept]
        if collected.job_ids:
            job_ids = list(collected.job_ids)
            transaction.on_commit(lambda: render_documents.enqueue(job_ids=job_ids))


def job_retry(job: DocumentJob, *, actor=None) -> bool:
    """Puts a failed job back in the queue; False when it is not failed (any more)."""
    from documents.tasks import render_document

    with transaction.atomic():
        updated = DocumentJob.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
            status=JobStatus.PENDING, attempts=0, error="", finished_at=None
        )
        if updated:
            transaction.on_commit(lambda: render_document.enqueue(job_id=job.pk))
    return bool(updated)


def job_run(job_id: int) -> DocumentJob:
    """Claims a pending job and renders it, retrying a failed attempt; returns the job as it ends."""
    claimed = DocumentJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(status=JobStatus.RUNNING)
    job = DocumentJob.objects.get(pk=job_id)
    if not claimed:
        return job  # done, failed, or being rendered by another worker
    attempts = max(settings.DOCUMENTS_RENDER_ATTEMPTS, 1)
    delays = list(settings.DOCUMENTS_RETRY_DELAYS)
    for attempt in range(1, attempts + 1):
        job.attempts = attempt
        try:
            document = issue(job)
        except Exception as error:
            logger.warning("document job %s: attempt %s failed", job.pk, attempt, exc_info=True)
            job.error = f"{type(error).__name__}: {error}"[:2000]
            if attempt == attempts:
                job.status, job.finished_at = JobStatus.FAILED, timezone.now()
                job.save(update_fields=["attempts", "error", "status", "finished_at"])
                logger.error("document job %s (%s) failed after %s attempts: %s", job.pk, job.kind, attempt, job.error)
                return job
            job.save(update_fields=["attempts", "error"])
            time.sleep(delays[min(attempt - 1, len(delays) - 1)] if delays else 0)
        else:
            job.status, job.document = JobStatus.DONE, document
            return job
    return job


def letters_language():
    """The documents are French administrative acts, whoever issues them (or previews them)."""
    return translation.override("fr-fr")


def render_html(job: DocumentJob, *, issued_at=None) -> tuple[str, object]:
    """The document's HTML and the letter text version it uses."""
    with letters_language():
        context = contexts.build(job, issued_at=issued_at or timezone.now())
        return render_to_string(TEMPLATES[job.kind], context), context["letter"]


def issue(job: DocumentJob) -> IssuedDocument:
    """One attempt: context, HTML, PDF, storage, record (in that order; nothing is recorded before the
    file is whole in storage). With the record of a meeting's minutes, its participants are told of it
    (`roadmaps.minutes.minutes_notify_participants`: e-mailed after the commit)."""
    issued_at = timezone.now()
    html, letter = render_html(job, issued_at=issued_at)
    pdf = render_pdf(html)
    digest = hashlib.sha256(pdf).hexdigest()
    storage = documents_storage()
    name = f"{job.kind}/{issued_at:%Y}/{job.number}-v{job.version}-{digest[:12]}.pdf"
    stored = None
    try:
        stored = storage.save(name, ContentFile(pdf))
        with transaction.atomic():
            document = IssuedDocument.objects.create(
                kind=job.kind,
                dossier_id=job.dossier_id,
                session_id=job.session_id,
                payment_request_id=job.payment_request_id,
                meeting_id=job.meeting_id,
                number=job.number,
                version=job.version,
                template=letter,
                issued_at=issued_at,
                issued_by_id=job.requested_by_id,
                file=stored,
                size=len(pdf),
                sha256=digest,
            )
            DocumentJob.objects.filter(pk=job.pk).update(
                status=JobStatus.DONE, document=document, finished_at=timezone.now(), error="", attempts=job.attempts
            )
            if job.kind in MEETING_KINDS:
                from roadmaps.minutes import minutes_notify_participants

                minutes_notify_participants(document)
    except BaseException:
        if stored is not None:
            storage.delete(stored)
        elif storage.exists(name):
            storage.delete(name)
        raise
    return document


def resume_stale_jobs(older_than: timedelta = timedelta(minutes=10)) -> int:
    """Enqueues again the jobs left pending (a worker died, or the enqueue after the commit was lost)."""
    from documents.tasks import render_document

    stale = list(
        DocumentJob.objects.filter(
            status__in=[JobStatus.PENDING, JobStatus.RUNNING], requested_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    DocumentJob.objects.filter(pk__in=stale).update(status=JobStatus.PENDING)
    for job_id in stale:
        render_document.enqueue(job_id=job_id)
    return len(stale)


def sweep_orphan_files(older_than: timedelta = timedelta(hours=1), *, dry_run: bool = False) -> list[str]:
    """Deletes the files of the documents storage that no record points to and that are older than
    `older_than` (what a process killed while writing a PDF leaves behind). Returns their names."""
    storage = documents_storage()
    known = set(IssuedDocument.objects.values_list("file", flat=True))
    known |= set(LetterTemplate.objects.exclude(signature_image="").values_list("signature_image", flat=True))
    limit = timezone.now() - older_than
    orphans = []

    def walk(folder):
        directories, files = storage.listdir(folder)
        for name in files:
            path = f"{folder}/{name}" if folder else name
            if path not in known and storage.get_modified_time(path) < limit:
                orphans.append(path)
        for directory in directories:
            walk(f"{folder}/{directory}" if folder else directory)

    if storage.exists(""):
        walk("")
    if not dry_run:
        for path in orphans:
            storage.delete(path)
    return orphans


# Batches ------------------------------------------------------------------------------------------


def batch_progress(batch: DocumentBatch) -> dict:
    counts = batch.jobs.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=JobStatus.DONE)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
    )
    counts["finished"] = counts["done"] + counts["failed"]
    counts["running"] = counts["finished"] < counts["total"]
    return counts


def decision_kinds(item) -> list[str]:
    """The letters a committee decision calls for."""
    from committees.models import ItemResult
    from dossiers.rules import convention_required

    dossier = item.dossier
    if item.result == ItemResult.APPROVED:
        kinds = [DocumentKind.DELIBERATION_EXTRACT, DocumentKind.AWARD_NOTIFICATION]
        if convention_required(dossier=dossier, amount=item.voted_amount, rule_set=dossier.rule_set):
            kinds.append(DocumentKind.CONVENTION)
        return kinds
    if item.result == ItemResult.REJECTED:
        return [DocumentKind.DELIBERATION_EXTRACT, DocumentKind.REFUSAL_LETTER]
    return []


def letters_label(session, *, reissue: bool = False) -> str:
    label = f"Lettres de la séance du {session.sits_on:%d/%m/%Y}"
    return f"{label} (nouvelles versions)" if reissue else label


def session_letters_batch(session, *, actor=None) -> DocumentBatch:
    """The batch that gathers the letters of a session's decisions (created on the first one)."""
    batch = DocumentBatch.objects.filter(session=session, purpose=DocumentBatch.Purpose.DECISIONS).first()
    if batch is None:
        batch = DocumentBatch.objects.create(
            session=session,
            purpose=DocumentBatch.Purpose.DECISIONS,
            label=letters_label(session),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
    return batch


def session_letters_batch_latest(session) -> DocumentBatch | None:
    """The session's most recent batch of decision letters, if any."""
    return (
        DocumentBatch.objects.filter(session=session, purpose=DocumentBatch.Purpose.DECISIONS).order_by("-pk").first()
    )


def session_issue_letters(
    session, *, actor=None, reissue: bool = False, enqueue: bool = True
) -> tuple[DocumentBatch, int]:
    """Asks, as one new batch, for every letter of the session's decisions that has not been issued
    (or, with `reissue`, a new version of every one). Returns the batch and the number of jobs."""
    from committees.models import ItemResult

    items = list(
        session.items.filter(result__in=[ItemResult.APPROVED, ItemResult.REJECTED]).select_related(
            "dossier__organisation", "dossier__rule_set"
        )
    )
    dossier_ids = [item.dossier_id for item in items]
    latest = {}
    for document in IssuedDocument.objects.filter(dossier_id__in=dossier_ids).order_by("number", "version"):
        latest[(document.dossier_id, document.kind)] = document
    waiting = set(
        DocumentJob.objects.filter(
            dossier_id__in=dossier_ids, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
        ).values_list("dossier_id", "kind")
    )
    with transaction.atomic():
        batch = DocumentBatch.objects.create(
            session=session,
            purpose=DocumentBatch.Purpose.DECISIONS,
            label=letters_label(session, reissue=reissue),
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        count = 0
        for item in items:
            for kind in decision_kinds(item):
                key = (item.dossier_id, kind)
                if key in waiting:
                    continue
                if key in latest and not reissue:
                    continue
                document_request(
                    kind=kind,
                    dossier=item.dossier,
                    session=None,
                    actor=actor,
                    batch=batch,
                    reissue_of=latest.get(key) if reissue else None,
                    enqueue=enqueue,
                )
                count += 1
    return batch, count


def session_issue_report(session, *, actor=None) -> DocumentJob:
    """The presentation report (agenda with the proposals), a new version when one exists already."""
    previous = IssuedDocument.objects.filter(session=session, kind=DocumentKind.SESSION_REPORT).first()
    return document_request(kind=DocumentKind.SESSION_REPORT, session=session, actor=actor, reissue_of=previous)
