"""Downloads and the staff's document actions. Every view answers 404 to whoever may not see the
document (or its dossier or session), so that numbers outside one's scope are not revealed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from committees.models import CommitteeSession
from committees.permissions import can_manage_sessions
from documents import permissions, services
from documents.models import DocumentBatch, DocumentJob, IssuedDocument, JobStatus, documents_storage
from dossiers.http import safe_next


@login_required
def document_download(request, pk):
    document = get_object_or_404(IssuedDocument.objects.select_related("session", "meeting__roadmap__contract"), pk=pk)
    if not permissions.can_read(request.user, document):
        raise Http404
    response = FileResponse(
        documents_storage().open(document.file.name, "rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request, default: str):
    return redirect(safe_next(request, default))


def _subject_url(subject) -> str:
    if subject.meeting_id is not None:
        return "/"  # the meeting's page sends its address as `next`
    if subject.dossier_id is not None:
        return reverse("dossier_detail", args=[subject.dossier_id])
    return reverse("sessions:session_page", args=[subject.session_id])


@login_required
@require_POST
def document_reissue(request, pk):
    document = get_object_or_404(IssuedDocument, pk=pk)
    if not permissions.can_issue(request.user, document):
        raise Http404
    job = services.document_request(kind=document.kind, actor=request.user, reissue_of=document)
    job.refresh_from_db()
    _report(request, job)
    return _back(request, _subject_url(document))


@login_required
@require_POST
def job_retry(request, pk):
    job = get_object_or_404(DocumentJob, pk=pk)
    if not permissions.can_issue(request.user, job):
        raise Http404
    if not services.job_retry(job, actor=request.user):
        messages.info(request, _("This document is not in failure any more."))
    else:
        job.refresh_from_db()
        _report(request, job)
    return _back(request, _subject_url(job))


def _report(request, job):
    if job.status == JobStatus.DONE:
        messages.success(request, _("Document %(number)s issued.") % {"number": job.number})
    elif job.status == JobStatus.FAILED:
        messages.error(
            request,
            _("Document %(number)s could not be rendered: %(error)s") % {"number": job.number, "error": job.error},
        )
    else:
        messages.success(request, _("Document %(number)s is being rendered.") % {"number": job.number})


def _managed_session(request, pk) -> CommitteeSession:
    session = get_object_or_404(CommitteeSession, pk=pk)
    if not can_manage_sessions(request.user):
        raise Http404
    return session


@login_required
@require_POST
def session_report_issue(request, pk):
    session = _managed_session(request, pk)
    job = services.session_issue_report(session, actor=request.user)
    job.refresh_from_db()
    _report(request, job)
    return redirect("sessions:session_page", pk=session.pk)


@login_required
@require_POST
def session_letters_issue(request, pk):
    session = _managed_session(request, pk)
    batch, count = services.session_issue_letters(
        session, actor=request.user, reissue=request.POST.get("reissue") == "1"
    )
    if not count:
        messages.info(request, _("Every letter of this session's decisions has been issued already."))
    return redirect("sessions:document_batch", pk=session.pk, batch_pk=batch.pk)


class BatchView(TemplateView):
    """A batch's progress (done / total / failed), refreshed until it ends, and its failures to retry.
    Mounted in the staff site's sessions (committees.views.SessionViewset)."""

    template_name = "documents/batch.html"

    def get_context_data(self, **kwargs):
        batch = get_object_or_404(
            DocumentBatch.objects.select_related("session"), pk=self.kwargs["batch_pk"], session_id=self.kwargs["pk"]
        )
        if not permissions.can_read_session_documents(self.request.user, batch.session):
            raise Http404
        failures = batch.jobs.filter(status=JobStatus.FAILED).select_related("dossier").order_by("pk")[:200]
        return super().get_context_data(
            batch=batch,
            progress=services.batch_progress(batch),
            failures=failures,
            session=batch.session,
            can_manage=can_manage_sessions(self.request.user),
            **kwargs,
        )
