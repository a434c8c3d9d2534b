from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

from workflows.enums import Role
from workflows.models import AuditEvent

# Transitions the territory's officers hear about (the others are theirs or the committee's).
OFFICER_NOTICES = frozenset({"submit", "resubmit", "withdraw"})


def transition_recipients(event: AuditEvent) -> list[str]:
    dossier = event.dossier
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    sponsors = users.filter(memberships__organisation_id=dossier.organisation_id)
    emails = set(sponsors.values_list("email", flat=True))
    if event.transition in OFFICER_NOTICES:
        officers = users.filter(groups__name=Role.OFFICER).filter(groups__territory=dossier.territory_id)
        emails |= set(officers.values_list("email", flat=True))
    if event.actor is not None:
        emails.discard(event.actor.email)
    return sorted(emails)


@task()
def notify_transition(event_id: int) -> int:
    """E-mails the sponsor's members (and, on submission or withdrawal, the territory's officers) that
    a dossier changed state. Returns the number of messages sent."""
    event = AuditEvent.objects.select_related("dossier", "actor").get(pk=event_id)
    recipients = transition_recipients(event)
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {"event": event, "dossier": event.dossier}
        subject = render_to_string("emails/transition_subject.txt", context).strip()
        body = render_to_string("emails/transition_body.txt", context)
    return send_mass_mail([(subject, body, None, [email]) for email in recipients])
