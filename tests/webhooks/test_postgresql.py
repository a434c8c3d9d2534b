"""`manage.py send_webhooks` run twice at the same moment on a real PostgreSQL server: each delivery is sent
once (claimed by one run, skipped by the other).

Skipped on SQLite (tests/conftest.py); run with
`DATABASE_URL=postgres://... REQUIRE_POSTGRESQL=1 pytest tests/webhooks/test_postgresql.py`."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.services import message_post
from tests.factories import make_dossier
from tests.webhooks.conftest import subscribe
from tests.workflows.test_postgresql import run_together, successes_and_errors
from webhooks import events
from webhooks.delivery import deliveries_send_due
from webhooks.enums import DeliveryStatus, EventType
from webhooks.models import Delivery
from workflows.enums import DossierState

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_concurrent_runs_send_each_delivery_once(loopback, receiver, contract, monkeypatch):
    monkeypatch.setattr(events, "_enqueue", lambda delivery_ids: None)  # no worker: the runs send them
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    subscribe(url=receiver.url, organisation=dossier.organisation, events=[EventType.MESSAGE_POSTED])
    for index in range(12):
        message_post(dossier=dossier, author=dossier.created_by, body=f"Message {index}")
    Delivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))

    outcomes = run_together([deliveries_send_due, deliveries_send_due])

    successes, errors = successes_and_errors(outcomes)
    assert errors == []
    sent = sorted(outcome.delivery_id for run in successes for outcome in run)
    assert sent == sorted(Delivery.objects.values_list("pk", flat=True))  # each once, whichever run took it
    assert len(receiver.received) == 12
    assert len({request.headers["x-webhook-id"] for request in receiver.received}) == 12
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SUCCEEDED, 1)}
