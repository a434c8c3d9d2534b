"""Every queryset of messages, attachments and notifications a user can reach, built on the dossier
scope of `dossiers.selectors`: nothing is visible on a dossier the user cannot see, and internal notes
only on the dossiers the user sees as the Region's staff (never as a sponsor, nor as a territory's
elected representative: those are the Region's staff's notes)."""

from django.db.models import Q, QuerySet

from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from messaging.enums import NotificationKind
from messaging.models import Message, MessageAttachment, Notification
from workflows.enums import Role

# The roles through which a dossier's internal notes are read.
INTERNAL_NOTE_ROLES = frozenset(Role) - {Role.SPONSOR, Role.REPRESENTATIVE}


def _dossier_pk(dossier: Dossier | int) -> int:
    return dossier.pk if isinstance(dossier, Dossier) else int(dossier)


def _visible_message_filter(user, dossier_pk: int) -> Q:
    visible = dossier_list_for_user(user).filter(pk=dossier_pk).values("pk")
    as_staff = dossier_list_for_user(user, roles=INTERNAL_NOTE_ROLES).filter(pk=dossier_pk).values("pk")
    return Q(dossier_id=dossier_pk, dossier__in=visible) & (Q(is_internal=False) | Q(dossier__in=as_staff))


def message_list_for_user(user, dossier: Dossier | int) -> QuerySet[Message]:
    """The thread of `dossier` as `user` may read it, oldest first, with authors and attachments loaded
    (two queries whatever the number of messages)."""
    return (
        Message.objects.filter(_visible_message_filter(user, _dossier_pk(dossier)))
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def attachment_list_for_user(user, dossier: Dossier | int) -> QuerySet[MessageAttachment]:
    messages = Message.objects.filter(_visible_message_filter(user, _dossier_pk(dossier)))
    return MessageAttachment.objects.filter(message__in=messages.values("pk")).select_related("message")


def notification_list_for_user(user) -> QuerySet[Notification]:
    """The user's own notifications, newest first, on the dossiers they may still see (an officer moved
    to another territory no longer reads about the old one's dossiers)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    visible = dossier_list_for_user(user).values("pk")
    as_staff = dossier_list_for_user(user, roles=INTERNAL_NOTE_ROLES).values("pk")
    return (
        Notification.objects.filter(recipient=user, dossier__in=visible)
        .filter(~Q(kind=NotificationKind.INTERNAL_NOTE) | Q(dossier__in=as_staff))
        .select_related("dossier", "audit_event", "message")
        .order_by("-created_at", "-pk")
    )


def unread_notification_count(user) -> int:
    return notification_list_for_user(user).filter(read_at__isnull=True).count()
