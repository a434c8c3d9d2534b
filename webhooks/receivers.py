"""The signal receivers that record webhook events, inside the transaction of what happened:

- a transition fired on a dossier (`workflows.models.AuditEvent` of kind transition) → `dossier.state_changed`;
- a message posted in a dossier's thread → `message.posted` (an internal note to territories only);
- a document issued (`documents.models.IssuedDocument`) for a dossier, or the minutes of a territory's
  follow-up meeting → `document.issued`;
- a payment request filed, or saved after a transition of its state → `payment.updated`.

Rows written by fixtures (`raw`) or in bulk (`bulk_create`, the demo's seeding) send no signal: no event.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django_fsm.signals import post_transition

from documents.models import IssuedDocument
from messaging.models import Message
from payments.models import PaymentRequest
from webhooks import events
from webhooks.enums import EventType
from workflows.enums import AuditKind
from workflows.models import AuditEvent


@receiver(post_save, sender=AuditEvent, dispatch_uid="webhooks_transition")
def transition_fired(sender, instance, created, raw=False, **kwargs):
    if raw or not created or instance.kind != AuditKind.TRANSITION:
        return
    dossier = instance.dossier
    events.event_emit(
        type=EventType.DOSSIER_STATE_CHANGED,
        data=events.transition_data(instance),
        dossier=dossier,
        organisation_id=dossier.organisation_id,
        territory_id=dossier.territory_id,
    )


@receiver(post_save, sender=Message, dispatch_uid="webhooks_message")
def message_posted(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    dossier = instance.dossier
    events.event_emit(
        type=EventType.MESSAGE_POSTED,
        data=events.message_data(instance),
        dossier=dossier,
        organisation_id=dossier.organisation_id,
        territory_id=dossier.territory_id,
        internal=instance.is_internal,
    )


@receiver(post_save, sender=IssuedDocument, dispatch_uid="webhooks_document")
def document_issued(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    if instance.meeting_id is not None:
        territory_id = instance.meeting.roadmap.contract.territory_id
        events.event_emit(
            type=EventType.DOCUMENT_ISSUED, data=events.document_data(instance), territory_id=territory_id
        )
    elif instance.dossier_id is not None:
        dossier = instance.dossier
        events.event_emit(
            type=EventType.DOCUMENT_ISSUED,
            data=events.document_data(instance),
            dossier=dossier,
            organisation_id=dossier.organisation_id,
            territory_id=dossier.territory_id,
        )
    # A committee session's own documents (its report) concern no single organisation or territory.


@receiver(post_transition, sender=PaymentRequest, dispatch_uid="webhooks_payment_transition")
def payment_transition(sender, instance, source, target, exception=None, **kwargs):
    # Recorded when the new state is saved (post_save below), not before.
    if exception is None and source != target:
        instance._webhooks_previous_state = getattr(instance, "_webhooks_previous_state", source)


@receiver(post_save, sender=PaymentRequest, dispatch_uid="webhooks_payment")
def payment_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    previous_state = instance.__dict__.pop("_webhooks_previous_state", None)
    if not created and previous_state is None:
        return
    dossier = instance.dossier
    events.event_emit(
        type=EventType.PAYMENT_UPDATED,
        data=events.payment_data(instance, previous_state=previous_state),
        dossier=dossier,
        organisation_id=dossier.organisation_id,
        territory_id=dossier.territory_id,
    )
