"""In-app notifications of dossier transitions, for the people the transition e-mail goes to."""

from messaging.services import notifications_create_for_transition
from workflows.hooks import on_transition
from workflows.models import AuditEvent


@on_transition()
def notify_in_app(event: AuditEvent) -> None:
    notifications_create_for_transition(event=event)
