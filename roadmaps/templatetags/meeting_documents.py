"""The minutes section of a follow-up meeting's page: `{% load meeting_documents %}{% meeting_documents meeting %}`."""

from django import template

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from roadmaps.services import can_edit_roadmap, can_view_roadmap

register = template.Library()


@register.inclusion_tag("roadmaps/_meeting_documents.html", takes_context=True)
def meeting_documents(context, meeting):
    """Every issued version of the minutes (latest first), the requests waiting or failed, and the form
    to issue them; nothing for whoever does not see the roadmap. Two queries."""
    user = context["request"].user
    can_read = can_view_roadmap(user, meeting.roadmap)
    if not can_read:
        return {"can_read": False}
    documents = list(
        IssuedDocument.objects.filter(meeting=meeting, kind=DocumentKind.MEETING_MINUTES).order_by("-version", "-id")
    )
    jobs = list(
        DocumentJob.objects.filter(
            meeting=meeting,
            kind=DocumentKind.MEETING_MINUTES,
            status__in=[JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED],
        ).order_by("requested_at", "id")
    )
    return {
        "request": context["request"],
        "meeting": meeting,
        "can_read": True,
        "can_issue": can_edit_roadmap(user, meeting.roadmap),
        "documents": documents,
        "jobs": jobs,
        "has_minutes": bool(meeting.minutes.strip()),
    }
