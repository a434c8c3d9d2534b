"""Side effects of transitions that concern people: e-mails, sent by a background task."""

from workflows.hooks import on_transition
from workflows.tasks import notify_transition


@on_transition()
def email_the_people_concerned(event) -> None:
    notify_transition.enqueue(event_id=event.pk)
