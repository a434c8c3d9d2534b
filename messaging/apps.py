from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = _("Messages and notifications")

    def ready(self):
        # Register the in-app notification of transitions and the bulk "send a message" action.
        from messaging import bulk_actions, notifications  # noqa: F401
