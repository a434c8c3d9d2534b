from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageSide(models.TextChoices):
    """Who a message speaks for: the sponsor, or the Region (its officers and administrators)."""

    SPONSOR = "sponsor", _("Project sponsor")
    REGION = "region", _("Region")


class NotificationKind(models.TextChoices):
    TRANSITION = "transition", _("Change of state")
    MESSAGE = "message", _("New message")
    INTERNAL_NOTE = "internal_note", _("New internal note")
    NOTICE = "notice", _("Notice")
