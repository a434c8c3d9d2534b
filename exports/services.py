"""Exports of the staff dossier list: small ones are written in the request; larger ones become an
`ExportJob` written by a background task (django.tasks) that saves its progress as it goes and keeps
the file for its owner to download."""

import logging
import tempfile
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from exports.dossiers import counted, csv_chunks, export_rows, xlsx_write
from exports.enums import ExportFormat, ExportStatus
from exports.models import ExportJob
from exports.selectors import DossierListFilters, staff_dossier_list

logger = logging.getLogger(__name__)

# The job's progress is saved every so many rows.
PROGRESS_EVERY = 2000


def export_job_start(*, actor, export_format: str, filters: DossierListFilters) -> ExportJob:
    """Records the export and queues its task after the commit. Refused while the actor already has an
    export waiting or running. The task applies the actor's scope again when it runs."""
    if export_format not in ExportFormat.values:
        raise ValidationError(_("Unknown export format."))
    try:
        with transaction.atomic():
            job = ExportJob.objects.create(
                owner=actor,
                format=export_format,
                filters=filters.as_dict(),
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
    except IntegrityError:
        raise ValidationError(_("An export of yours is still running: wait for it to finish.")) from None
    transaction.on_commit(lambda: run_export_job.enqueue(job_id=job.pk))
    return job


def export_write(*, export_format: str, rows, target) -> None:
    """Writes the rows to the binary file `target` in the format."""
    if export_format == ExportFormat.XLSX:
        xlsx_write(rows, target)
    else:
        for chunk in csv_chunks(rows):
            target.write(chunk)


@task()
def run_export_job(job_id: int) -> int:
    """Writes the export of the owner's dossiers as they see them now, with the job's filters, saving
    the progress every PROGRESS_EVERY rows; the file goes to the documents storage under a new name.
    Any error marks the job failed (the owner may then start another one)."""
    job = ExportJob.objects.select_related("owner").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job.pk)
    written = [0]

    def progress(rows_done: int) -> None:
        written[0] = rows_done
        jobs.update(rows_done=rows_done)

    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            dossiers = staff_dossier_list(job.owner, DossierListFilters.from_params(job.filters))
            jobs.update(status=ExportStatus.RUNNING, rows_total=dossiers.count(), rows_done=0)
            rows = counted(export_rows(dossiers), every=PROGRESS_EVERY, on_progress=progress)
            with tempfile.TemporaryFile() as target:
                export_write(export_format=job.format, rows=rows, target=target)
                target.seek(0)
                name = job.file.storage.save(f"exports/{uuid.uuid4().hex}.{job.format}", File(target))
    except Exception as error:
        logger.exception("export %s failed", job.pk)
        jobs.update(status=ExportStatus.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}")
        raise
    # The rows written are the export's size, should dossiers have changed since the count.
    jobs.update(
        status=ExportStatus.DONE, file=name, rows_total=written[0], rows_done=written[0], finished_at=timezone.now()
    )
    return written[0]
