"""The minutes of a follow-up meeting, issued as a PDF like every other document (documents app: a
number `CRS-2026-000001`, a new version of the same number at each issue, rendered by the documents'
background task) and e-mailed to the meeting's participants once issued."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from documents.services import document_request
from messaging.notices import notice_text
from messaging.tasks import absolute_url
from roadmaps.models import FollowUpMeeting
from roadmaps.services import can_edit_roadmap, can_view_roadmap

NOTICE = "meeting_minutes_issued"


def minutes_issue(*, meeting: FollowUpMeeting, actor) -> DocumentJob:
    """Asks for the meeting's minutes as a PDF: the first time under a new number, then as a new version
    of that number. Rendered after the commit by the documents' task; once issued, the participants are
    e-mailed the link (`minutes_notify_participants`). Under the meeting's row lock, so that two clicks
    make two versions, never two numbers. Refused, with nothing requested: to whoever does not edit the
    roadmap (PermissionDenied), while the minutes are empty ("minutes_empty"), and while their first
    version is still being rendered ("minutes_pending")."""
    with transaction.atomic():
        locked = (
            FollowUpMeeting.objects.select_for_update(of=("self",))
            .select_related("roadmap__contract")
            .get(pk=meeting.pk)
        )
        if not can_edit_roadmap(actor, locked.roadmap):
            raise PermissionDenied(
                _("Only the territory's officers and elected representatives issue the minutes of its meetings.")
            )
        if not locked.minutes.strip():
            raise ValidationError(_("Write the minutes before issuing them."), code="minutes_empty")
        previous = (
            IssuedDocument.objects.filter(meeting=locked, kind=DocumentKind.MEETING_MINUTES)
            .order_by("-version")
            .first()
        )
        waiting = DocumentJob.objects.filter(
            meeting=locked, kind=DocumentKind.MEETING_MINUTES, status__in=[JobStatus.PENDING, JobStatus.RUNNING]
        )
        if previous is None and waiting.exists():
            raise ValidationError(_("The minutes are already being prepared."), code="minutes_pending")
        return document_request(kind=DocumentKind.MEETING_MINUTES, meeting=locked, actor=actor, reissue_of=previous)


def minutes_notify_participants(document: IssuedDocument) -> None:
    """Called by `documents.services.issue` in the transaction that records the minutes: the e-mails
    leave after its commit (none if it rolls back)."""
    document_id = document.pk
    transaction.on_commit(lambda: email_minutes_issued.enqueue(document_id=document_id), robust=True)


def minutes_recipients(meeting: FollowUpMeeting) -> list:
    """The meeting's participants who may read its minutes (active, still seeing the roadmap) and have
    an e-mail address; nobody else."""
    participants = meeting.participants.filter(is_active=True).exclude(email="").order_by("pk")
    return [user for user in participants if can_view_roadmap(user, meeting.roadmap)]


@task()
def email_minutes_issued(document_id: int) -> int:
    """E-mails each recipient (`minutes_recipients`) the notice that the minutes were issued, with the
    link to download them, in the site's language. Returns the number of e-mails sent."""
    document = IssuedDocument.objects.select_related("meeting__roadmap__contract").get(pk=document_id)
    meeting = document.meeting
    emails = [user.email for user in minutes_recipients(meeting)]
    if not emails:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "meeting": meeting,
            "contract": meeting.roadmap.contract,
            "document": document,
            "notice": notice_text(NOTICE, {"held_on": meeting.held_on.isoformat(), "number": document.number}),
            "download_url": absolute_url(reverse("documents:download", args=[document.pk])),
        }
        subject = " ".join(render_to_string("roadmaps/emails/minutes_issued_subject.txt", context).split())
        body = render_to_string("roadmaps/emails/minutes_issued_body.txt", context)
    mails = [EmailMessage(subject, body, to=[email], headers={"Auto-Submitted": "auto-generated"}) for email in emails]
    return mailers.default.send_messages(mails)
