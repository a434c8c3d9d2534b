"""Issues the letters of a committee session as one batch, with a progress bar; or retries the failed
documents; or enqueues again the documents left waiting.

    manage.py issue_documents --session 12             # the session's missing letters, rendered here
    manage.py issue_documents --session 12 --reissue   # a new version of every letter of the session
    manage.py issue_documents --session 12 --enqueue   # handed to the task workers; the bar follows them
    manage.py issue_documents --retry-failed
    manage.py issue_documents --resume-stale
    manage.py issue_documents --sweep-orphans          # files no record points to (a killed writer's)
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from committees.models import CommitteeSession
from documents import services
from documents.models import DocumentJob, JobStatus


def progress_bar(done: int, failed: int, total: int, width: int = 40) -> str:
    finished = done + failed
    filled = width * finished // total if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{total} ({done} issued, {failed} failed)"


class Command(BaseCommand):
    help = "Issues the letters of a committee session as one batch, showing its progress."

    def add_arguments(self, parser):
        parser.add_argument("--session", type=int, help="the committee session's id")
        parser.add_argument("--reissue", action="store_true", help="a new version of every letter")
        parser.add_argument(
            "--enqueue", action="store_true", help="hand the documents to the task workers and follow them"
        )
        parser.add_argument("--retry-failed", action="store_true", help="put every failed document back in the queue")
        parser.add_argument("--resume-stale", action="store_true", help="enqueue again documents left waiting")
        parser.add_argument(
            "--sweep-orphans", action="store_true", help="delete stored files that no record points to (1 h old)"
        )
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between two looks at the workers")

    def handle(
        self,
        *args,
        session=None,
        reissue=False,
        enqueue=False,
        retry_failed=False,
        resume_stale=False,
        poll=0.5,
        **options,
    ):
        if retry_failed:
            count = sum(services.job_retry(job) for job in DocumentJob.objects.filter(status=JobStatus.FAILED))
            self.stdout.write(f"{count} failed document(s) put back in the queue.")
            return
        if options["sweep_orphans"]:
            orphans = services.sweep_orphan_files()
            self.stdout.write(f"{len(orphans)} orphan file(s) deleted.")
            for path in orphans:
                self.stdout.write(f"  {path}")
            return
        if resume_stale:
            self.stdout.write(f"{services.resume_stale_jobs()} waiting document(s) enqueued again.")
            return
        if session is None:
            raise CommandError("Give --session, --retry-failed or --resume-stale.")
        try:
            committee_session = CommitteeSession.objects.get(pk=session)
        except CommitteeSession.DoesNotExist:
            raise CommandError(f"No committee session {session}.") from None

        if enqueue:
            batch, count = services.session_issue_letters(committee_session, reissue=reissue)
            self.stdout.write(f"{batch.label}: {count} document(s) handed to the workers.")
            self._follow(batch, poll)
        else:
            # Rendered in this process, one after the other, whatever the task backend.
            batch, count = services.session_issue_letters(committee_session, reissue=reissue, enqueue=False)
            self.stdout.write(f"{batch.label}: {count} document(s) to render.")
            for index, job_id in enumerate(batch.jobs.order_by("pk").values_list("pk", flat=True), start=1):
                services.job_run(job_id)
                if index % 5 == 0 or index == count:
                    self._draw(services.batch_progress(batch))
        progress = services.batch_progress(batch)
        self._draw(progress, end="\n")
        if progress["failed"]:
            self.stderr.write(f"{progress['failed']} document(s) failed: see the batch's page, then retry.")
            sys.exit(1)

    def _follow(self, batch, poll):
        while True:
            progress = services.batch_progress(batch)
            self._draw(progress)
            if not progress["running"]:
                return
            time.sleep(poll)

    def _draw(self, progress, end="\r"):
        self.stdout.write(progress_bar(progress["done"], progress["failed"], progress["total"]), ending=end)
        self.stdout.flush()
