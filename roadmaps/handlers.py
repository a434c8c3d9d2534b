"""The roadmap follows the dossiers: the operation a dossier realises takes the status of its step, in
the transition's own transaction (filed at the submission, funded at the approval, completed when the
balance is paid, abandoned when the dossier is withdrawn or lapses)."""

from django.utils import timezone

from roadmaps.enums import STATUS_OF_TRANSITION
from roadmaps.models import RoadmapOperation
from workflows.hooks import within_transition


@within_transition(*STATUS_OF_TRANSITION)
def follow_the_dossier(event) -> None:
    RoadmapOperation.objects.filter(dossier_id=event.dossier_id).update(
        status=STATUS_OF_TRANSITION[event.transition], updated_at=timezone.now()
    )
