"""Tasks and opinions of the instruction: who takes, releases or covers a task; opinions asked and
given; the queues and inboxes. State changes of the dossier stay in `workflows.services`."""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from workflows.enums import OpinionVerdict, Role
from workflows.models import Opinion, OpinionService
from workflows.permissions import officer_territory_ids, service_ids, user_roles
from workflows.services import TransitionRefused

ACTIVE_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _flow():
    from workflows.flows import DossierFlow

    return DossierFlow


# Selectors -----------------------------------------------------------------------------------------


def dossier_tasks() -> QuerySet[Task]:
    return Task.objects.filter(process__flow_class=_flow(), flow_task_type="HUMAN").select_related("owner")


def task_queue_for_user(user) -> QuerySet[Task]:
    """Tasks nobody has taken yet, in the queues the user works from: the territories they instruct
    and the services they answer for."""
    from workflows.flows import INSTRUCT_PERMISSION, OPINION_PERMISSION

    tasks = dossier_tasks().filter(status=STATUS.NEW)
    if Role.ADMINISTRATOR in user_roles(user):
        return tasks
    territories = [str(pk) for pk in officer_territory_ids(user)]
    services = [str(pk) for pk in service_ids(user)]
    scope = Q(owner_permission=INSTRUCT_PERMISSION, owner_permission_obj_pk__in=territories)
    scope |= Q(owner_permission=OPINION_PERMISSION, owner_permission_obj_pk__in=services)
    return tasks.filter(scope)


def task_inbox_for_user(user) -> QuerySet[Task]:
    """Tasks the user has taken and not finished."""
    return dossier_tasks().filter(owner=user, status__in=[STATUS.ASSIGNED, STATUS.STARTED])


def task_list_for_dossier(user, dossier: Dossier) -> QuerySet[Task]:
    """Every human task of the dossier's instruction, if the user sees the dossier as staff."""
    if not dossier_list_for_user(user, staff_only=True).filter(pk=dossier.pk).exists():
        return Task.objects.none()
    return dossier_tasks().filter(process__artifact_object_id=dossier.pk).order_by("created", "pk")


def dossiers_of_tasks(tasks) -> dict[int, Dossier]:
    """The dossiers of a page of tasks, in one query (the process artifact is a generic relation)."""
    ids = {task.process.artifact_object_id for task in tasks}
    return Dossier.objects.select_related("territory", "organisation").in_bulk(ids)


def opinion_list_for_user(user, dossier: Dossier) -> QuerySet[Opinion]:
    if not dossier_list_for_user(user, staff_only=True).filter(pk=dossier.pk).exists():
        return Opinion.objects.none()
    return dossier.opinions.select_related("service", "requested_by", "given_by")


# Tasks ---------------------------------------------------------------------------------------------


@contextmanager
def _locked_activation(task: Task):
    """The task's activation under the flow's lock; a lock that can't be had is a clean refusal."""
    try:
        with task.activation() as activation:
            yield activation
    except FlowLockFailed:
        raise PermissionDenied(_("Someone is working on this dossier's tasks right now: try again.")) from None


def task_take(*, task: Task, actor) -> Task:
    """The actor takes a task of one of their queues (it leaves the queue for their inbox)."""
    with transaction.atomic(), _locked_activation(task) as activation:
        if not activation.assign.can_proceed() or not activation.flow_task.can_assign(actor, activation.task):
            raise PermissionDenied(_("This task is not in your queue, or someone already took it."))
        activation.assign(actor)
        return activation.task


def task_release(*, task: Task, actor) -> Task:
    """The owner (or an administrator) puts a taken task back in its queue."""
    with transaction.atomic(), _locked_activation(task) as activation:
        if not activation.unassign.can_proceed() or not activation.flow_task.can_unassign(actor, activation.task):
            raise PermissionDenied(_("Only the person who took this task can release it."))
        activation.unassign()
        return activation.task


def task_reassign(*, task: Task, actor, to_user) -> Task:
    """Cover for an absent colleague: an officer of the task's territory (or of the consulted service)
    gives a task taken by someone else to themselves or to another member of the same queue."""
    with transaction.atomic(), _locked_activation(task) as activation:
        current = activation.task
        if current.status != STATUS.ASSIGNED:
            raise ValidationError(_("Only a task someone has taken can be reassigned."))
        for user in {actor, to_user}:
            if not _in_task_queue(user, current):
                raise PermissionDenied(
                    _("%(name)s does not work in this task's queue.") % {"name": user.get_full_name() or user}
                )
        current.owner = to_user
        current.assigned = timezone.now()
        current.save(update_fields=["owner", "assigned"])
        return current


def task_complete(*, task: Task, actor, action) -> None:
    """Runs `action(dossier)` (which calls the dossier's services) as the execution of a task the actor
    has taken, inside the flow's lock: the task completes only if the action succeeded. A refusal is
    re-raised after the transaction, so that its audit entry is kept."""
    refusal = None
    with transaction.atomic(), _locked_activation(task) as activation:
        if not activation.flow_task.can_execute(actor, activation.task):
            raise PermissionDenied(_("Take the task before doing it."))
        activation.start(None)
        try:
            action(Dossier.objects.get(pk=activation.process.artifact_object_id))
        except TransitionRefused as error:
            refusal = error
        else:
            activation.execute()
    if refusal is not None:
        raise refusal


def _in_task_queue(user, task: Task) -> bool:
    from workflows.flows import INSTRUCT_PERMISSION

    if Role.ADMINISTRATOR in user_roles(user):
        return True
    if task.owner_permission == INSTRUCT_PERMISSION:
        return int(task.owner_permission_obj_pk) in officer_territory_ids(user)
    return int(task.owner_permission_obj_pk) in service_ids(user)


def colleagues_for_task(task: Task) -> QuerySet:
    """The people who work in a task's queue: those to whom it can be reassigned."""
    from workflows.flows import INSTRUCT_PERMISSION

    users = get_user_model().objects.filter(is_active=True)
    if task.owner_permission == INSTRUCT_PERMISSION:
        return users.filter(groups__name=Role.OFFICER).filter(groups__territory=task.owner_permission_obj_pk)
    return users.filter(groups__name=Role.ADVISER).filter(groups__opinion_service=task.owner_permission_obj_pk)


# Opinions ------------------------------------------------------------------------------------------


def opinion_service_create(*, code: str, name: str) -> OpinionService:
    """A consulted service and its group; its members also need the adviser role."""
    with transaction.atomic():
        group = Group.objects.create(name=f"service:{code}")
        return OpinionService.objects.create(code=code, name=name, group=group)


def opinion_service_add_member(*, service: OpinionService, user) -> None:
    user.groups.add(service.group, Group.objects.get_or_create(name=Role.ADVISER.value)[0])


def opinion_give(*, opinion: Opinion, actor, verdict: OpinionVerdict, text: str) -> Opinion:
    """A member of the consulted service gives its opinion, once."""
    with transaction.atomic():
        locked = Opinion.objects.select_for_update().select_related("service").get(pk=opinion.pk)
        if locked.service_id not in service_ids(actor) and Role.ADMINISTRATOR not in user_roles(actor):
            raise PermissionDenied(_("Only the members of the consulted service give its opinion."))
        if locked.is_given:
            raise ValidationError(_("This opinion has already been given."))
        if verdict not in OpinionVerdict.values or not text.strip():
            raise ValidationError(_("Give a verdict and the reasons for it."))
        locked.verdict, locked.text = verdict, text
        locked.given_by, locked.given_at = actor, timezone.now()
        locked.save(update_fields=["verdict", "text", "given_by", "given_at"])
    return locked
