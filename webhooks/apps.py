from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # Connect the receivers that turn transitions, messages, documents and payments into events.
        from webhooks import receivers  # noqa: F401
