"""The documents sections of the dossier pages (staff and sponsor) and of the session page."""

from django import template

from committees.permissions import can_manage_sessions
from documents import permissions
from documents.models import DocumentBatch, DocumentJob, DocumentKind, IssuedDocument, JobStatus
from documents.services import batch_progress

register = template.Library()

WAITING = (JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED)


@register.inclusion_tag("documents/_dossier_documents.html", takes_context=True)
def dossier_documents(context, dossier):
    """Every issued version (latest first) and the documents waiting or failed, in two queries."""
    user = context["request"].user
    documents = list(IssuedDocument.objects.filter(dossier=dossier).order_by("-issued_at", "-id"))
    latest_versions = {}
    for document in documents:
        latest_versions.setdefault(document.number, document.pk)
    jobs = list(DocumentJob.objects.filter(dossier=dossier, status__in=WAITING).order_by("requested_at", "id"))
    return {
        "request": context["request"],
        "documents": documents,
        "latest_ids": set(latest_versions.values()),
        "jobs": jobs,
        "can_issue": bool(documents or jobs) and permissions.can_issue_for_dossier(user, dossier.pk),
    }


@register.inclusion_tag("documents/_session_documents_list.html", takes_context=True)
def session_documents(context, session):
    user = context["request"].user
    documents = list(
        IssuedDocument.objects.filter(session=session, kind=DocumentKind.SESSION_REPORT).order_by("-version")
    )
    report_jobs = list(DocumentJob.objects.filter(session=session, status__in=WAITING).order_by("-id"))
    batches = list(DocumentBatch.objects.filter(session=session).order_by("-created_at", "-id")[:5])
    return {
        "request": context["request"],
        "session": session,
        "documents": documents,
        "report_jobs": report_jobs,
        "batches": [(batch, batch_progress(batch)) for batch in batches],
        "can_manage": can_manage_sessions(user),
        "can_read": permissions.can_read_session_documents(user, session),
    }
