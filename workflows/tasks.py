from django.conf import settings
from django.core.mail import send_mass_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from workflows.models import AuditEvent
from workflows.recipients import transition_recipients


@task()
def notify_transition(event_id: int) -> int:
    """E-mails the people concerned (workflows.recipients) that a dossier changed state, with a link to
    it. Returns the number of messages sent."""
    event = AuditEvent.objects.select_related("dossier", "actor").get(pk=event_id)
    recipients = list(transition_recipients(event).exclude(email="").values_list("email", flat=True))
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        link = settings.SITE_URL.rstrip("/") + reverse("dossier_detail", args=[event.dossier_id])
        context = {"event": event, "dossier": event.dossier, "dossier_url": link}
        subject = render_to_string("emails/transition_subject.txt", context).strip()
        body = render_to_string("emails/transition_body.txt", context)
    return send_mass_mail([(subject, body, None, [email]) for email in recipients])
