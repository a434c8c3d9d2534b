from django.db.models import Q, QuerySet

from dossiers.selectors import dossier_list_for_user
from workflows.enums import AuditKind, Role
from workflows.models import AuditEvent
from workflows.permissions import user_roles


def audit_event_list_for_user(user) -> QuerySet[AuditEvent]:
    """Audit events of the dossiers the user may see. Refused attempts are shown only on the dossiers
    the user sees as the Region's staff, never to a sponsor on their own dossiers."""
    events = AuditEvent.objects.select_related("dossier")
    if Role.ADMINISTRATOR in user_roles(user):
        return events
    transitions = Q(kind=AuditKind.TRANSITION, dossier__in=dossier_list_for_user(user).values("pk"))
    refusals = Q(kind=AuditKind.REFUSAL, dossier__in=dossier_list_for_user(user, staff_only=True).values("pk"))
    return events.filter(transitions | refusals)
