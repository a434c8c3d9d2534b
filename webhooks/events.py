"""Turning what happened into webhook events: the payloads, and who receives them.

`event_emit` is called by `webhooks.receivers` inside the transaction of the change itself: the event
and its deliveries are written with it (or not at all, if it rolls back), and the deliveries are handed
to the task after the commit. Each payload is `{"id", "type", "created_at", "data"}` and holds only what
its subscribers may read: an organisation's subscriptions get its own dossiers' events and never the
Region's internal notes; a territory's get its dossiers' events, internal notes included (the officers'
tools), and its follow-up meetings' minutes.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from webhooks.enums import DeliveryStatus, EventType
from webhooks.models import Delivery, Event, Subscription


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _plain(value):
    """A value as JSON carries it: money as a string ("1234.50"), dates in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def dossier_data(dossier, *, state: str | None = None) -> dict:
    return {
        "id": dossier.pk,
        "reference": dossier.reference,
        "title": dossier.title,
        "kind": dossier.kind,
        "state": state or dossier.state,
        "organisation": dossier.organisation_id,
        "territory": dossier.territory_id,
        "url": _absolute(reverse("api:dossier-detail", args=[dossier.pk])),
    }


def transition_data(audit_event) -> dict:
    return {
        "dossier": dossier_data(audit_event.dossier, state=audit_event.to_state),
        "transition": audit_event.transition,
        "from_state": audit_event.from_state,
        "to_state": audit_event.to_state,
        "at": _plain(audit_event.created_at),
    }


def message_data(message) -> dict:
    return {
        "dossier": dossier_data(message.dossier),
        "message": {
            "id": message.pk,
            "created_at": _plain(message.created_at),
            "author_name": message.author_name,
            "side": message.side,
            "is_internal": message.is_internal,
            "body": message.body,
        },
    }


def document_data(document) -> dict:
    return {
        "dossier": dossier_data(document.dossier) if document.dossier_id else None,
        "meeting": document.meeting_id,
        "document": {
            "id": document.pk,
            "kind": document.kind,
            "number": document.number,
            "version": document.version,
            "issued_at": _plain(document.issued_at),
            "payment_request": document.payment_request_id,
            "download_url": _absolute(reverse("api:document-download", args=[document.pk])),
        },
    }


def payment_data(request, *, previous_state: str | None) -> dict:
    return {
        "dossier": dossier_data(request.dossier),
        "payment_request": {
            "id": request.pk,
            "kind": request.kind,
            "state": request.state,
            "previous_state": previous_state,
            "requested_amount": _plain(request.requested_amount),
            "payable": _plain(request.payable),
            "recovery": _plain(request.recovery),
            "final_grant": _plain(request.final_grant),
            "paid_on": _plain(request.paid_on),
        },
    }


def _enqueue(delivery_ids: list[int]) -> None:
    from webhooks.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.enqueue(delivery_id=delivery_id)


def event_emit(
    *,
    type: EventType,
    data: dict,
    dossier=None,
    organisation_id: int | None = None,
    territory_id: int | None = None,
    internal: bool = False,
) -> Event | None:
    """Records the event for the active subscriptions that want it: the organisation's (unless the event
    is `internal`, i.e. the Region's staff's only) and the territory's. Writes the event and one pending
    delivery per subscription in the current transaction; after the commit, each delivery is handed to the
    `webhooks.tasks.deliver` task. Returns None (and writes nothing) when nobody subscribed."""
    owners = Q(territory_id=territory_id) if territory_id else Q(pk__in=[])
    if organisation_id and not internal:
        owners |= Q(organisation_id=organisation_id)
    # The wanted events are a JSON list: filtered here, portably (a handful of subscriptions per owner).
    subscriptions = [
        subscription
        for subscription in Subscription.objects.filter(owners, active=True).only("pk", "events")
        if type in subscription.events
    ]
    if not subscriptions:
        return None
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {"id": str(event_id), "type": str(type), "created_at": now.isoformat(), "data": data}
    with transaction.atomic():
        event = Event.objects.create(event_id=event_id, type=type, dossier=dossier, payload=payload, created_at=now)
        deliveries = Delivery.objects.bulk_create(
            Delivery(event=event, subscription=subscription, status=DeliveryStatus.PENDING, next_attempt_at=now)
            for subscription in subscriptions
        )
        transaction.on_commit(partial(_enqueue, [delivery.pk for delivery in deliveries]), robust=True)
    return event
