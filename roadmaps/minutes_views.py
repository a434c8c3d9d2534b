"""Issuing a follow-up meeting's minutes from its page (the form of `{% meeting_documents %}`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from documents.models import JobStatus
from dossiers.http import safe_next
from roadmaps.minutes import minutes_issue
from roadmaps.models import FollowUpMeeting
from roadmaps.services import can_view_roadmap


@login_required
@require_POST
def minutes_issue_view(request, pk):
    """Asks for the minutes (or their new version), then goes back to the page the form was on; a 404
    for a meeting outside the user's territories."""
    meeting = get_object_or_404(FollowUpMeeting.objects.select_related("roadmap__contract"), pk=pk)
    if not can_view_roadmap(request.user, meeting.roadmap):
        raise Http404
    try:
        job = minutes_issue(meeting=meeting, actor=request.user)
    except (PermissionDenied, ValidationError) as refusal:
        messages.error(request, " ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal))
    else:
        job.refresh_from_db()
        if job.status == JobStatus.DONE:
            messages.success(request, _("Minutes %(number)s issued.") % {"number": job.number})
        elif job.status == JobStatus.FAILED:
            messages.error(
                request,
                _("The minutes %(number)s could not be rendered: %(error)s")
                % {"number": job.number, "error": job.error},
            )
        else:
            messages.success(request, _("The minutes %(number)s are being rendered.") % {"number": job.number})
    return redirect(safe_next(request, "/"))
