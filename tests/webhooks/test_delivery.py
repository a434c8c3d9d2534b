"""Deliveries: signed as documented, sent after the commit only, retried with exponential backoff by
`manage.py send_webhooks` until a day after the event, never twice once delivered."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from messaging.services import message_post
from tests.factories import make_dossier
from tests.webhooks.conftest import subscribe
from webhooks import delivery as sending
from webhooks.enums import DeliveryStatus, EventType
from webhooks.models import Delivery, Event
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db


def verify(secret: str, timestamp: str, signature: str, body: bytes, tolerance: int = 300) -> bool:
    """The recipe of the documentation (webhooks.signing, README), written again here."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


@pytest.fixture
def subscription(loopback, dossier, receiver):
    return subscribe(url=receiver.url, organisation=dossier.organisation, events=[EventType.MESSAGE_POSTED])


def post_committed(django_capture_on_commit_callbacks, dossier, body="Bonjour"):
    with django_capture_on_commit_callbacks(execute=True):
        return message_post(dossier=dossier, author=dossier.created_by, body=body)


def make_due(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_the_signature_is_verifiable_with_the_documented_recipe(
    subscription, dossier, receiver, django_capture_on_commit_callbacks
):
    message = post_committed(django_capture_on_commit_callbacks, dossier)
    [request] = receiver.received
    event = Event.objects.get()
    assert request.headers["x-webhook-id"] == str(event.event_id)
    assert request.headers["content-type"] == "application/json"
    assert verify(
        subscription.secret,
        request.headers["x-webhook-timestamp"],
        request.headers["x-webhook-signature"],
        request.body,
    )
    body = json.loads(request.body)
    assert body["id"] == str(event.event_id) and body["type"] == "message.posted"
    assert body["data"]["message"]["id"] == message.pk
    assert body["data"]["dossier"]["reference"] == dossier.reference
    # Another secret, another body or an old timestamp do not verify.
    headers = request.headers
    assert not verify("whsec_other", headers["x-webhook-timestamp"], headers["x-webhook-signature"], request.body)
    assert not verify(subscription.secret, headers["x-webhook-timestamp"], headers["x-webhook-signature"], b"{}")
    old = str(int(time.time()) - 3600)
    old_signature = (
        "sha256=" + hmac.new(subscription.secret.encode(), old.encode() + b"." + request.body, "sha256").hexdigest()
    )
    assert not verify(subscription.secret, old, old_signature, request.body)
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt_once(
    subscription, dossier, receiver, django_capture_on_commit_callbacks
):
    receiver.answers.extend([500, 503])
    post_committed(django_capture_on_commit_callbacks, dossier)  # attempt 1, by the task after the commit
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert timedelta(seconds=50) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=1)

    call_command("send_webhooks")  # not due yet: nothing sent
    assert len(receiver.received) == 1

    make_due(delivery)
    call_command("send_webhooks")  # attempt 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 2, 503)
    assert timedelta(seconds=110) < delivery.next_attempt_at - timezone.now() <= timedelta(minutes=2)

    make_due(delivery)
    call_command("send_webhooks")  # attempt 3: delivered
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 3, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None

    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    call_command("send_webhooks")
    assert sending.delivery_attempt(delivery.pk) is None  # a success is never sent again
    ids = {request.headers["x-webhook-id"] for request in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1  # the same event, accepted once


def test_retries_back_off_exponentially_up_to_an_hour():
    assert [sending.retry_delay(n) for n in (1, 2, 3, 4, 7)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(hours=1),
    ]
    assert sending.retry_delay(30) == timedelta(hours=1)


def test_a_delivery_fails_for_good_a_day_after_its_event(subscription, dossier, receiver):
    message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")  # not committed: not sent yet
    delivery = Delivery.objects.get()
    Event.objects.filter(pk=delivery.event_id).update(created_at=timezone.now() - timedelta(hours=23, minutes=59))
    receiver.answers.append(500)
    assert sending.delivery_attempt(delivery.pk).status == DeliveryStatus.FAILED  # the next try would be too late
    Event.objects.filter(pk=delivery.event_id).update(created_at=timezone.now() - timedelta(hours=25))
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING)
    make_due(delivery)
    assert sending.delivery_attempt(delivery.pk).status == DeliveryStatus.FAILED  # expired: not even sent
    assert len(receiver.received) == 1


def test_a_redirect_is_a_failed_attempt(subscription, dossier, receiver, django_capture_on_commit_callbacks):
    def redirect(handler):
        handler.send_response(301)
        handler.send_header("Location", receiver.to("/moved"))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answers.append(redirect)
    post_committed(django_capture_on_commit_callbacks, dossier)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (DeliveryStatus.PENDING, 301)
    assert [request.path for request in receiver.received] == ["/hook"]


def test_a_timeout_is_a_failed_attempt(subscription, settings, dossier, receiver, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_READ_TIMEOUT = 0.3
    receiver.answers.append(lambda handler: receiver.release.wait(5))
    post_committed(django_capture_on_commit_callbacks, dossier)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, None)
    assert delivery.last_error


def test_the_address_is_checked_again_at_each_delivery(settings, dossier, dns, connections):
    """Accepted when subscribed, the host now resolves to the metadata service: refused, nothing opened."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    dns["hooks.example.org"] = ["169.254.169.254"]
    subscription = subscribe(url="https://hooks.example.org/", organisation=dossier.organisation)
    message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")
    outcome = sending.delivery_attempt(Delivery.objects.get(subscription=subscription).pk)
    delivery = Delivery.objects.get()
    assert outcome.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert "169.254.169.254" in delivery.last_error
    assert connections == []


def test_nothing_is_sent_when_the_transaction_rolls_back(
    subscription, dossier, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")
        raise RuntimeError("the action fails after the message")
    assert callbacks == []
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert receiver.received == []


def test_the_event_is_sent_after_the_commit_not_before(
    subscription, dossier, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")
            assert Delivery.objects.get().status == DeliveryStatus.PENDING
            assert receiver.received == []
        assert receiver.received == []
    assert len(receiver.received) == 1


def test_a_claimed_delivery_is_not_sent_by_another_run(subscription, dossier, receiver):
    """Two runs at once: the first claims the delivery (conditional update), the second finds nothing due."""
    message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")
    delivery = Delivery.objects.get()
    assert sending._claim(delivery.pk, timezone.now())  # another run holds it
    assert sending.deliveries_send_due() == []
    assert sending.delivery_attempt(delivery.pk) is None
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.next_attempt_at > timezone.now() + timedelta(minutes=4)


def test_an_inactive_subscription_gets_nothing_until_active_again(subscription, dossier, receiver):
    message_post(dossier=dossier, author=dossier.created_by, body="Bonjour")
    subscription.active = False
    subscription.save()
    call_command("send_webhooks")
    assert receiver.received == []
    subscription.active = True
    subscription.save()
    call_command("send_webhooks")
    assert len(receiver.received) == 1
