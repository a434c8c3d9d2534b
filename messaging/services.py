"""Writes of the messaging app: posting in a dossier's thread, creating and reading notifications."""

import unicodedata
from functools import partial
from pathlib import PurePosixPath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.uploads import check_upload
from dossiers.models import Dossier
from messaging.enums import MessageSide, NotificationKind
from messaging.models import BODY_MAX_LENGTH, Message, MessageAttachment, Notification
from messaging.permissions import can_post_message, writes_for_region
from messaging.recipients import message_recipients, transition_recipients
from messaging.tasks import notify_message
from workflows.models import AuditEvent

MAX_ATTACHMENTS = 5


def _author_name(user) -> str:
    return user.get_full_name() or user.get_username()


def clean_file_name(name: str) -> str:
    """The file's own name, as shown and offered on download: no directories, no control characters."""
    name = PurePosixPath((name or "").replace("\\", "/")).name
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip()
    return name[:200] or _("attachment")


def _check_attachments(attachments) -> list:
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            _("At most %(count)d files can be attached to one message.") % {"count": MAX_ATTACHMENTS},
            code="too_many_files",
        )
    checked = []
    for uploaded in attachments:
        try:
            checked.append((uploaded, check_upload(uploaded)))
        except ValidationError as error:
            raise ValidationError(
                _("“%(name)s” was refused: %(reason)s")
                % {"name": clean_file_name(uploaded.name), "reason": error.message},
                code=error.code,
            ) from None
    return checked


def message_post(*, dossier: Dossier, author, body: str, is_internal: bool = False, attachments=()) -> Message:
    """Posts a message (or, from the Region's side, an internal note) in the dossier's thread.

    Guarantees: the author may write there (`messaging.permissions.can_post_message`); every attachment
    is checked by its content before anything is written, and stored under a name derived from its
    SHA-256; a refusal leaves no message, no attachment and no file behind.
    Triggers, in the same transaction: the in-app notifications of the recipients
    (`messaging.recipients.message_recipients`); after the commit: their e-mail (`messaging.tasks`).
    """
    body = (body or "").strip()
    attachments = list(attachments)
    decision = can_post_message(author, dossier, is_internal=is_internal)
    if not decision:
        raise PermissionDenied(decision.reason)
    if not body:
        raise ValidationError(_("Write a message."), code="empty_message")
    if len(body) > BODY_MAX_LENGTH:
        raise ValidationError(
            _("The message is too long (%(length)d characters; the maximum is %(max)d).")
            % {"length": len(body), "max": BODY_MAX_LENGTH},
            code="message_too_long",
        )
    checked = _check_attachments(attachments)
    stored: list[MessageAttachment] = []
    try:
        with transaction.atomic():
            message = Message.objects.create(
                dossier=dossier,
                author=author,
                author_name=_author_name(author),
                side=MessageSide.REGION if writes_for_region(author, dossier) else MessageSide.SPONSOR,
                body=body,
                is_internal=is_internal,
            )
            for uploaded, check in checked:
                attachment = MessageAttachment(
                    message=message,
                    original_name=clean_file_name(uploaded.name),
                    content_type=check.content_type,
                    extension=check.extension,
                    size=check.size,
                    sha256=check.sha256,
                )
                attachment.file.save(uploaded.name, uploaded, save=False)
                stored.append(attachment)
                attachment.save()
            notifications_create_for_message(message=message)
            transaction.on_commit(partial(notify_message.enqueue, message_id=message.pk), robust=True)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return message


def notifications_create_for_message(*, message: Message) -> list[Notification]:
    kind = NotificationKind.INTERNAL_NOTE if message.is_internal else NotificationKind.MESSAGE
    return Notification.objects.bulk_create(
        Notification(
            recipient=user, dossier_id=message.dossier_id, kind=kind, message=message, created_at=message.created_at
        )
        for user in message_recipients(message)
    )


def notifications_create_for_transition(*, event: AuditEvent) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            dossier_id=event.dossier_id,
            kind=NotificationKind.TRANSITION,
            audit_event=event,
            created_at=event.created_at,
        )
        for user in transition_recipients(event)
    )


def notification_mark_read(*, notification: Notification, user) -> Notification:
    """Marks one of the user's own notifications as read (the first reading time is kept)."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied(_("This notification is not yours."))
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
    notification.read_at = notification.read_at or now
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Marks every unread notification of the user as read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
