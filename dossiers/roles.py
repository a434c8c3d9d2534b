"""Role groups and what the administrator group may do in the Django admin."""

from django.contrib.auth.models import Group, Permission

from workflows.enums import Role

ADMINISTERED_APPS = ("auth", "dossiers", "workflows", "committees", "documents", "django_tasks_db")


def ensure_role_groups(**kwargs) -> None:
    """Creates a group per role and gives administrators the admin site's model permissions
    (run after every migrate; idempotent)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)
    administrators = Group.objects.get(name=Role.ADMINISTRATOR)
    administrators.permissions.add(*Permission.objects.filter(content_type__app_label__in=ADMINISTERED_APPS))
