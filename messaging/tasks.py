"""E-mails of the messaging app, sent by background tasks enqueued after the commit."""

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from messaging.models import Message
from messaging.recipients import message_recipients

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    """`path` on the public address of the site (setting SITE_URL)."""
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/") + path


def _one_line(text: str) -> str:
    return " ".join(text.split())


@task()
def notify_message(message_id: int) -> int:
    """E-mails a new message to its recipients (`messaging.recipients.message_recipients`), one e-mail
    each, in plain text, with the link to the dossier's thread. Returns the number of e-mails sent."""
    message = Message.objects.select_related("dossier__organisation").prefetch_related("attachments").get(pk=message_id)
    emails = [email for email in message_recipients(message).values_list("email", flat=True) if email]
    if not emails:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("dossier_detail", args=[message.dossier_id])
        context = {
            "message": message,
            "dossier": message.dossier,
            "attachments": list(message.attachments.all()),
            "thread_url": absolute_url(f"{path}#message-{message.pk}"),
        }
        subject = _one_line(render_to_string("messaging/emails/message_subject.txt", context))
        body = render_to_string("messaging/emails/message_body.txt", context)
    mails = [EmailMessage(subject, body, to=[email], headers={"Auto-Submitted": "auto-generated"}) for email in emails]
    return mailers.default.send_messages(mails)


@task()
def email_notice(notification_ids: list[int]) -> int:
    """E-mails notices (`messaging.notices`), one e-mail per notification whose recipient has an address,
    in the site's language, with the link to the dossier. Returns the number of e-mails sent."""
    from messaging.models import Notification

    notifications = Notification.objects.filter(pk__in=notification_ids).select_related("recipient", "dossier")
    mails = []
    with translation.override(settings.LANGUAGE_CODE):
        for notification in notifications:
            if not notification.recipient.email:
                continue
            context = {
                "notification": notification,
                "dossier": notification.dossier,
                "dossier_url": absolute_url(reverse("dossier_detail", args=[notification.dossier_id])),
            }
            subject = _one_line(render_to_string("messaging/emails/notice_subject.txt", context))
            body = render_to_string("messaging/emails/notice_body.txt", context)
            mails.append(
                EmailMessage(
                    subject, body, to=[notification.recipient.email], headers={"Auto-Submitted": "auto-generated"}
                )
            )
    return mailers.default.send_messages(mails) if mails else 0
