from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Case files")

    def ready(self):
        from dossiers.roles import ensure_role_groups

        post_migrate.connect(ensure_role_groups, dispatch_uid="ensure_role_groups")
