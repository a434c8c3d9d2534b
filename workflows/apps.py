from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Lifecycle and audit")

    def ready(self):
        # Register the transition side effects, and load the flow (hence viewflow's node modules) now:
        # imported later, from two threads at once (the development server's reloader and its system
        # checks), viewflow's modules were seen half-initialised and the server did not start.
        from workflows import flows, notifications, processes  # noqa: F401
