from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Lifecycle and audit")

    def ready(self):
        from workflows import notifications, processes  # noqa: F401  (register the transition side effects)
