from django.db.models import QuerySet

from dossiers.selectors import dossier_list_for_user
from workflows.enums import AuditKind, Role
from workflows.models import AuditEvent
from workflows.permissions import user_roles


def audit_event_list_for_user(user) -> QuerySet[AuditEvent]:
    """Audit events of the dossiers the user may see. Refused attempts are shown to the Region's
    staff only, not to sponsors."""
    roles = user_roles(user)
    events = AuditEvent.objects.select_related("dossier")
    if Role.ADMINISTRATOR in roles:
        return events
    events = events.filter(dossier__in=dossier_list_for_user(user).values("pk"))
    if not roles - {Role.SPONSOR}:
        events = events.filter(kind=AuditKind.TRANSITION)
    return events
