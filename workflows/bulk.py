"""Bulk actions: an officer applies one action to up to 500 dossiers of their territories.

Each dossier is processed on its own, through the same services as one by one: a refusal on one
dossier is recorded with its reason and does not stop the others. A job runs in the background
(django.tasks) with its progress saved as it goes; an officer runs one job per scope at a time.
"""

from collections.abc import Callable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.status import STATUS

from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from workflows import instruction, services
from workflows.models import BulkJob, BulkJobStatus, OpinionService
from workflows.permissions import officer_territory_ids

MAX_DOSSIERS = 500


class BulkRefusal(Exception):
    pass


def _open_task(dossier: Dossier, node):
    from workflows.processes import process_for_dossier

    process = process_for_dossier(dossier.pk)
    if process is None:
        return None
    return process.task_set.filter(flow_task=node, status__in=instruction.ACTIVE_TASK_STATUSES).first()


def _taken_task(dossier: Dossier, node, actor):
    """The dossier's open task at `node`, taken by the actor (taking it from the queue if needed)."""
    task = _open_task(dossier, node)
    if task is None:
        raise BulkRefusal(_("The dossier is not at the step “%(step)s”.") % {"step": node.task_title})
    if task.owner_id is None:
        task = instruction.task_take(task=task, actor=actor)
    elif task.owner_id != actor.pk:
        raise BulkRefusal(
            _("The task is with %(name)s.") % {"name": task.owner.get_full_name() or task.owner.get_username()}
        )
    return task


def take(dossier: Dossier, actor, params) -> str:
    from workflows.processes import process_for_dossier

    process = process_for_dossier(dossier.pk)
    task = process and process.task_set.filter(flow_task_type="HUMAN", status=STATUS.NEW).first()
    if task is None:
        raise BulkRefusal(_("No task of this dossier is waiting in a queue."))
    instruction.task_take(task=task, actor=actor)
    return _("Taken: %(task)s.") % {"task": task.title}


def declare_admissible(dossier: Dossier, actor, params) -> str:
    from workflows.flows import DossierFlow

    task = _taken_task(dossier, DossierFlow.check_completeness, actor)
    instruction.task_complete(
        task=task,
        actor=actor,
        action=lambda locked: services.dossier_declare_admissible(dossier=locked, actor=actor),
    )
    return _("Declared complete and admissible.")


def ask_opinion(dossier: Dossier, actor, params) -> str:
    from workflows.flows import DossierFlow

    opinion_services = list(OpinionService.objects.filter(pk__in=params["services"]))
    task = _taken_task(dossier, DossierFlow.instruct, actor)
    instruction.task_complete(
        task=task,
        actor=actor,
        action=lambda locked: services.dossier_start_review(
            dossier=locked,
            actor=actor,
            opinion_services=opinion_services,
            opinion_question=params["question"],
            opinions_due_on=date.fromisoformat(params["due_on"]),
        ),
    )
    return _("Review started; opinion asked of %(services)s.") % {
        "services": ", ".join(service.name for service in opinion_services)
    }


ACTIONS: dict[str, tuple[Promise, Callable]] = {
    "take": (gettext_lazy("Take the waiting task"), take),
    "declare_admissible": (gettext_lazy("Declare complete and admissible"), declare_admissible),
    "ask_opinion": (gettext_lazy("Start the review and ask an opinion"), ask_opinion),
}


def register_action(name: str, label: Promise, function: Callable) -> None:
    """Other apps add their bulk actions (for instance sending a message)."""
    ACTIONS[name] = (label, function)


def bulk_job_start(*, actor, action: str, dossier_ids: list[int], params: dict | None = None) -> BulkJob:
    """Checks the selection (at most 500 dossiers, all of the actor's territories) and queues the job.
    Refused when the actor already runs a job on the same territories."""
    if action not in ACTIONS:
        raise ValidationError(_("Unknown action."))
    ids = sorted(set(dossier_ids))
    if not ids:
        raise ValidationError(_("Select at least one dossier."))
    if len(ids) > MAX_DOSSIERS:
        raise ValidationError(_("At most %(max)s dossiers at a time.") % {"max": MAX_DOSSIERS})
    territories = set(
        dossier_list_for_user(actor, staff_only=True).filter(pk__in=ids).values_list("pk", "territory_id")
    )
    if len(territories) != len(ids) or not {t for _, t in territories} <= officer_territory_ids(actor):
        raise PermissionDenied(_("Bulk actions apply to dossiers of the territories you instruct."))
    scope = "territories:" + ",".join(str(t) for t in sorted({t for _, t in territories}))
    try:
        with transaction.atomic():
            job = BulkJob.objects.create(owner=actor, scope=scope, action=action, params=params or {}, dossier_ids=ids)
    except IntegrityError:
        raise ValidationError(
            _("A bulk action of yours on these territories is still running: wait for it to finish.")
        ) from None
    transaction.on_commit(lambda: run_bulk_job.enqueue(job_id=job.pk))
    return job


@task()
def run_bulk_job(job_id: int) -> int:
    """Processes each dossier of the job on its own and saves the progress after each one."""
    job = BulkJob.objects.select_related("owner").get(pk=job_id)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    function = ACTIONS[job.action][1]
    actor = job.owner
    dossiers = Dossier.objects.in_bulk(job.dossier_ids)
    results = []
    status = BulkJobStatus.FAILED
    try:
        for dossier_id in job.dossier_ids:
            results.append(_process_one(function, dossiers.get(dossier_id), actor, job.params, dossier_id))
            BulkJob.objects.filter(pk=job.pk).update(done=len(results), results=results)
        status = BulkJobStatus.DONE
    finally:
        BulkJob.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now())
    return len(results)


def _process_one(function, dossier, actor, params, dossier_id) -> dict:
    if dossier is None:
        return {"dossier": dossier_id, "reference": "", "ok": False, "message": _("No such dossier.")}
    result = {"dossier": dossier.pk, "reference": dossier.reference}
    try:
        message = function(dossier, actor, params)
    except services.TransitionRefused as refusal:
        return result | {"ok": False, "message": refusal.message}
    except (BulkRefusal, PermissionDenied) as error:
        return result | {"ok": False, "message": str(error)}
    except ValidationError as error:
        return result | {"ok": False, "message": " ".join(error.messages)}
    return result | {"ok": True, "message": str(message)}
