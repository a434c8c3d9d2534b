"""The bulk action of the messaging: the same message to the sponsors of many dossiers."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.services import message_post
from workflows.bulk import register_action


def send_message(dossier, actor, params) -> str:
    message_post(dossier=dossier, author=actor, body=params["message"])
    return _("Message sent.")


register_action("send_message", gettext_lazy("Send a message to the sponsor"), send_message)
