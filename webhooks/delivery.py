"""Sending the deliveries, and retrying them.

- A delivery is first tried by the `webhooks.tasks.deliver` task, enqueued after the commit that created
  it. A failed attempt sets the next one 1, 2, 4, 8… minutes later (at most an hour apart) until a day
  after the event, when the delivery is marked failed. The retries are sent by `manage.py send_webhooks`
  (cron, every minute), and also by the task enqueued again with `run_after` when the task backend
  supports deferred tasks (the database backend does; the immediate one does not).
- Each attempt first claims its delivery with one conditional `UPDATE` (still pending, due, not claimed
  by someone else): two runs at once, or a task and the command, never send it twice. The claim holds it
  for `CLAIM_LEASE` (far longer than an attempt can last: `security.post` has a deadline): a process that
  died mid-attempt leaves it to be tried again after that.
- A delivery that succeeded is never sent again; one whose subscription was deactivated waits (and
  expires after its day) until the subscription is active again.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from webhooks import security, signing
from webhooks.enums import DeliveryStatus
from webhooks.models import Delivery, Subscription

logger = logging.getLogger("webhooks")

RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
RETRY_WINDOW = timedelta(hours=24)
CLAIM_LEASE = timedelta(minutes=5)
ERROR_MAX_LENGTH = 500
BATCH_SIZE = 100


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    status: str
    next_attempt_at: datetime | None


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1 min, 2, 4, … at most `RETRY_MAX`."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_MAX)


def event_body(event) -> bytes:
    return json.dumps(event.payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def due_deliveries(now: datetime | None = None):
    now = now or timezone.now()
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__active=True)


def _claim(delivery_id: int, now: datetime) -> bool:
    """Takes the delivery if it is still due: one `UPDATE` whose conditions are on the row itself, so that
    of two concurrent claims the second sees the first's change (PostgreSQL re-checks them) and fails."""
    if not Subscription.objects.filter(deliveries=delivery_id, active=True).exists():
        return False
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
        next_attempt_at=now + CLAIM_LEASE, attempts=F("attempts") + 1, last_attempt_at=now
    )
    return bool(claimed)


def _error_text(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        text = " ".join(error.messages)
    elif isinstance(error, TimeoutError):
        text = _("Timed out: %(error)s") % {"error": error or _("no answer in time")}
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:ERROR_MAX_LENGTH]


def delivery_attempt(delivery_id: int) -> Outcome | None:
    """Sends the delivery once if it is due and nobody else is sending it, and records the outcome:
    succeeded on a 2xx answer, otherwise pending with its next attempt, or failed once its day is over.
    Returns None when the delivery was not due (already sent, failed, claimed, or not yet)."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("event", "subscription").filter(pk=delivery_id).first()
    if delivery is None:  # its subscription was deleted meanwhile
        return None
    event, subscription = delivery.event, delivery.subscription
    status_code, error = None, ""
    if now >= event.created_at + RETRY_WINDOW:
        error = _("Not delivered within a day of the event.")
    else:
        body = event_body(event)
        headers = signing.signed_headers(
            secret=subscription.secret, event_id=str(event.event_id), timestamp=int(now.timestamp()), body=body
        )
        try:
            response = security.post(subscription.url, body, headers)
        except Exception as exc:  # any failure of the exchange is recorded, then retried
            error = _error_text(exc)
        else:
            status_code = response.status
            if not 200 <= status_code < 300:
                error = _("The receiver answered %(status)d.") % {"status": status_code}
                if 300 <= status_code < 400:
                    error += " " + _("Redirects are not followed.")
    finished = timezone.now()
    if status_code is not None and not error:
        fields = {"status": DeliveryStatus.SUCCEEDED, "delivered_at": finished, "next_attempt_at": None}
    else:
        next_attempt_at = finished + retry_delay(delivery.attempts)
        if next_attempt_at >= event.created_at + RETRY_WINDOW:
            fields = {"status": DeliveryStatus.FAILED, "next_attempt_at": None}
        else:
            fields = {"status": DeliveryStatus.PENDING, "next_attempt_at": next_attempt_at}
        logger.info("webhook delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
    # Only the claim's holder records its outcome (same attempt count).
    Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts, status=DeliveryStatus.PENDING).update(
        last_status_code=status_code, last_error=error, **fields
    )
    return Outcome(delivery.pk, fields["status"], fields["next_attempt_at"])


def deliveries_send_due(*, limit: int = BATCH_SIZE) -> list[Outcome]:
    """Tries the deliveries due (oldest first, at most `limit`); those another run claims are skipped."""
    ids = list(due_deliveries().order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    outcomes = [delivery_attempt(delivery_id) for delivery_id in ids]
    return [outcome for outcome in outcomes if outcome is not None]
