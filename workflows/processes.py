"""Keeps each dossier's instruction process in step with the dossier's lifecycle.

Submission starts the process; resubmission after a request for pieces resumes it; withdrawal cancels
it. These run after the transition's commit (workflows.hooks). `sync_instructions` repairs dossiers
whose process is missing (for instance dossiers loaded in bulk by the demonstration data).
"""

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import PROCESS, STATUS

from dossiers.models import Dossier
from workflows.enums import DossierState
from workflows.hooks import on_transition
from workflows.models import DossierProcess, Opinion

ACTIVE = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def process_for_dossier(dossier_id: int) -> DossierProcess | None:
    from workflows.flows import DossierFlow

    return (
        DossierProcess.objects.filter(
            flow_class=DossierFlow,
            artifact_content_type=ContentType.objects.get_for_model(Dossier),
            artifact_object_id=dossier_id,
        )
        .exclude(status=PROCESS.CANCELED)
        .order_by("-created")
        .first()
    )


def start_instruction(dossier: Dossier) -> DossierProcess:
    from workflows.flows import DossierFlow

    return process_for_dossier(dossier.pk) or DossierFlow.start.run(dossier=dossier)


def resume_after_pieces(dossier: Dossier) -> None:
    from workflows.flows import DossierFlow

    process = process_for_dossier(dossier.pk)
    task = process and process.task_set.filter(flow_task=DossierFlow.wait_for_pieces, status=STATUS.NEW).first()
    if task is not None:
        DossierFlow.wait_for_pieces.run(task)


def cancel_instruction(dossier: Dossier) -> None:
    """The dossier left the instruction (withdrawn): its open tasks and process are cancelled."""
    from workflows.flows import DossierFlow

    process = process_for_dossier(dossier.pk)
    if process is None or process.finished:
        return
    with transaction.atomic(), DossierFlow.lock(process.pk):
        for task in process.task_set.filter(status__in=ACTIVE):
            task.status = STATUS.CANCELED
            task.finished = timezone.now()
            task.save(update_fields=["status", "finished"])
        process.status = PROCESS.CANCELED
        process.finished = timezone.now()
        process.save(update_fields=["status", "finished"])


@on_transition("submit")
def _start(event) -> None:
    start_instruction(event.dossier)


@on_transition("resubmit")
def _resume(event) -> None:
    resume_after_pieces(event.dossier)


@on_transition("withdraw")
def _cancel(event) -> None:
    cancel_instruction(event.dossier)


def backfill_instruction(dossier: Dossier, actor, opinion_services=()) -> DossierProcess | None:
    """Creates the process of a dossier already in instruction (loaded in bulk, without its process)
    and brings it to the step its state says, the completed steps done by `actor`, an officer of
    the territory; a dossier under review may wait for the opinions of `opinion_services`. Used by the
    demonstration data; the dossier's state is left as it is."""
    from workflows.flows import DossierFlow

    steps = {
        DossierState.SUBMITTED: [],
        DossierState.INCOMPLETE: [DossierFlow.check_completeness],
        DossierState.ADMISSIBLE: [DossierFlow.check_completeness],
        DossierState.UNDER_REVIEW: [DossierFlow.check_completeness, DossierFlow.instruct],
    }
    if dossier.state not in steps or process_for_dossier(dossier.pk) is not None:
        return None
    process = DossierFlow.start.run(dossier=dossier)
    for node in steps[dossier.state]:
        if node == DossierFlow.instruct:
            Opinion.objects.bulk_create(
                Opinion(
                    dossier=dossier,
                    service=service,
                    question=_("Does the project fit the regional strategy of your field?"),
                    requested_by=actor,
                    due_on=timezone.localdate() + timedelta(days=15),
                )
                for service in opinion_services
            )
        task = process.task_set.get(flow_task=node, status=STATUS.NEW)
        with task.activation() as activation:
            activation.assign(actor)
            activation.start(None)
            activation.execute()
    return process
