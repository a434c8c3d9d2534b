"""The webhooks' background task (see `webhooks.delivery`)."""

from django.tasks import task

from webhooks.delivery import delivery_attempt
from webhooks.enums import DeliveryStatus


@task()
def deliver(delivery_id: int) -> str | None:
    """Sends one delivery if it is due (`webhooks.delivery.delivery_attempt`). After a failure, enqueues
    itself again for the next attempt when the task backend can defer a task; otherwise
    `manage.py send_webhooks` (cron) sends the retries. Returns the delivery's status, or None when it was
    not due."""
    outcome = delivery_attempt(delivery_id)
    if outcome is None:
        return None
    if outcome.status == DeliveryStatus.PENDING and deliver.get_backend().supports_defer:
        deliver.using(run_after=outcome.next_attempt_at).enqueue(delivery_id=delivery_id)
    return outcome.status
