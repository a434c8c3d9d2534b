from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from messaging.enums import MessageSide, NotificationKind

BODY_MAX_LENGTH = 10_000


class Message(models.Model):
    """One message of a dossier's thread between its sponsor and the Region. A record: never edited
    nor deleted by the application. Internal notes are read by the Region's staff only."""

    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="messages", verbose_name=_("dossier")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    author_name = models.CharField(_("author's name"), max_length=200, help_text=_("As it was at the time."))
    side = models.CharField(_("written for"), max_length=10, choices=MessageSide.choices)
    body = models.TextField(_("message"), max_length=BODY_MAX_LENGTH)
    is_internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("Visible to the Region's staff only, never to the sponsor.")
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["dossier", "created_at"], name="message_dossier_time")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_internal=True, side=MessageSide.SPONSOR), name="message_internal_from_region"
            ),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.author_name}"


def attachment_upload_to(attachment: "MessageAttachment", filename: str) -> str:
    # The stored name never comes from the user: only the checked extension does.
    return f"messages/{attachment.message.dossier_id}/{attachment.sha256[:16]}.{attachment.extension}"


class MessageAttachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    extension = models.CharField(_("extension"), max_length=10)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class Notification(models.Model):
    """Something that happened on a dossier that its recipient must act on or know about. The text is
    rendered when shown, in the reader's language, from the event or the message it points to."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="+", verbose_name=_("dossier")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    audit_event = models.ForeignKey(
        "workflows.AuditEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # A notice (payment request checked, deadline near...): a code of `messaging.notices.NOTICES` and
    # its values, rendered when shown in the reader's language.
    notice = models.CharField(_("notice"), max_length=40, blank=True)
    notice_values = models.JSONField(_("values of the notice"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=NotificationKind.TRANSITION, audit_event__isnull=False, message__isnull=True)
                | models.Q(
                    kind__in=[NotificationKind.MESSAGE, NotificationKind.INTERNAL_NOTE],
                    message__isnull=False,
                    audit_event__isnull=True,
                )
                | models.Q(kind=NotificationKind.NOTICE, audit_event__isnull=True, message__isnull=True, notice__gt=""),
                name="notification_has_its_subject",
            ),
        ]

    def __str__(self):
        return f"{self.recipient} — {self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def title(self) -> str:
        """One line in the reader's language (needs `dossier`, `audit_event` and `message` loaded)."""
        reference = self.dossier.reference
        if self.kind == NotificationKind.TRANSITION:
            return gettext("%(reference)s: the dossier is now “%(state)s” (by %(actor)s).") % {
                "reference": reference,
                "state": self.audit_event.get_to_state_display(),
                "actor": self.audit_event.actor_name,
            }
        if self.kind == NotificationKind.NOTICE:
            from messaging.notices import notice_text

            return f"{reference}: {notice_text(self.notice, self.notice_values)}"
        if self.kind == NotificationKind.INTERNAL_NOTE:
            template = gettext("%(reference)s: internal note from %(author)s.")
        else:
            template = gettext("%(reference)s: new message from %(author)s.")
        return template % {"reference": reference, "author": self.message.author_name}

    @property
    def excerpt(self) -> str:
        if self.kind == NotificationKind.NOTICE:
            text = self.notice_values.get("comment", "")
        else:
            text = self.audit_event.comment if self.kind == NotificationKind.TRANSITION else self.message.body
        return Truncator(" ".join(text.split())).chars(160)
