"""Who hears about what. The same people receive the e-mail and the in-app notification; nobody is
told about their own action, and nobody is told about a dossier they cannot open in that capacity."""

from django.db.models import QuerySet

from messaging.enums import MessageSide
from messaging.models import Message
from workflows.recipients import sponsor_members, territory_officers, transition_recipients

__all__ = ["message_recipients", "sponsor_members", "territory_officers", "transition_recipients"]


def message_recipients(message: Message) -> QuerySet:
    """A public message from the sponsor goes to the territory's officers; one from the Region to the
    sponsor's members; an internal note to the other officers of the territory only."""
    dossier = message.dossier
    if message.is_internal or message.side == MessageSide.SPONSOR:
        users = territory_officers(dossier)
    else:
        users = sponsor_members(dossier)
    return users.exclude(pk=message.author_id).order_by("pk")
