"""The dossier's transitions as API actions: which ones the caller may fire now, and firing one
through the same service as the web UI.

- The actions of the dossier's page (`workflows.forms.ACTIONS`: submit, resubmit, withdraw, schedule,
  unschedule, notify, close, lapse) call their service directly, with the form's validation.
- The instruction's steps (completeness, review, proposal) are the tasks of the dossier's instruction
  process (`workflows.flows`): they are done as the task, through `workflows.instruction.task_complete`,
  taking it from the territory's queue first if nobody holds it (as the bulk actions do), so that the
  process never lags behind the dossier. A task held by a colleague is a conflict.
- The committee's decisions (approve, reject, defer) are votes of a session, the convention's signature
  its countersignature, the payments the validation of payment requests: they are not fired here.

Refusals: permission → 403, state (or the process) → 409, payload → 400, each with a code; a refusal
changes nothing (those the services make are recorded in the audit trail, as for the web UI).
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from rest_framework import exceptions, serializers

from api.exceptions import Conflict
from api.serializers import transitions as payloads
from workflows import instruction, services
from workflows.forms import ACTIONS
from workflows.lifecycle import TRANSITIONS, TransitionSpec
from workflows.permissions import can_fire_transition
from workflows.services import RefusalCategory, TransitionRefused


@dataclass(frozen=True)
class Route:
    payload: type[serializers.Serializer]
    fire: Any  # fire(dossier, actor, ip_address, data) -> None
    # The instruction process's steps at which the transition is a task's outcome (empty: direct).
    steps: tuple[str, ...] = ()


_DIRECT_PAYLOADS = {
    "withdraw": payloads.WithdrawPayloadSerializer,
    "schedule": payloads.SchedulePayloadSerializer,
    "close": payloads.CommentPayloadSerializer,
    "lapse": payloads.CommentPayloadSerializer,
}


def _direct(service):
    def fire(dossier, actor, ip_address, data):
        service(dossier=dossier, actor=actor, ip_address=ip_address, **data)

    return fire


def _call(service, **mapping):
    """A service of the instruction, its arguments named from the payload."""

    def action(dossier, actor, ip_address, data):
        service(dossier=dossier, actor=actor, ip_address=ip_address, **{arg: data[key] for arg, key in mapping.items()})

    return action


ROUTES: dict[str, Route] = {
    name: Route(_DIRECT_PAYLOADS.get(name, payloads.NoPayloadSerializer), _direct(service))
    for name, (_form, service) in ACTIONS.items()
} | {
    "declare_admissible": Route(
        payloads.DeclareAdmissiblePayloadSerializer,
        _call(services.dossier_declare_admissible, comment="comment"),
        ("check_completeness",),
    ),
    "declare_incomplete": Route(
        payloads.DeclareIncompletePayloadSerializer,
        _call(services.dossier_declare_incomplete, missing="missing", pieces_due_on="pieces_due_on"),
        ("check_completeness",),
    ),
    "declare_inadmissible": Route(
        payloads.DeclareInadmissiblePayloadSerializer,
        _call(services.dossier_declare_inadmissible, reason="reason"),
        ("check_completeness", "instruct"),
    ),
    "start_review": Route(
        payloads.StartReviewPayloadSerializer,
        _call(
            services.dossier_start_review,
            opinion_services="services",
            opinion_question="question",
            opinions_due_on="due_on",
        ),
        ("instruct",),
    ),
    "complete_review": Route(
        payloads.CompleteReviewPayloadSerializer,
        _call(
            services.dossier_complete_review,
            eligible_base="eligible_base",
            proposed_amount="proposed_amount",
            convention_decided="convention_decided",
            comment="comment",
        ),
        ("propose",),
    ),
}

# Transitions of the lifecycle that other resources fire, with where.
INDIRECT = {
    "defer": gettext_lazy("The committee's decisions are votes recorded on the session."),
    "approve": gettext_lazy("The committee's decisions are votes recorded on the session."),
    "reject": gettext_lazy("The committee's decisions are votes recorded on the session."),
    "sign_agreement": gettext_lazy("The convention is recorded when its signed copy is countersigned."),
    "start_payment": gettext_lazy("Payments follow the validation of the payment requests."),
    "mark_paid": gettext_lazy("Payments follow the validation of the payment requests."),
}


def _open_task(dossier, steps, process=None):
    """The dossier's open task at one of `steps` (node names of the instruction flow), or None."""
    from workflows.flows import DossierFlow
    from workflows.processes import process_for_dossier

    process = process or process_for_dossier(dossier.pk)
    if process is None:
        return None
    nodes = [getattr(DossierFlow, step) for step in steps]
    return (
        process.task_set.filter(flow_task__in=nodes, status__in=instruction.ACTIVE_TASK_STATUSES)
        .select_related("owner")
        .first()
    )


def available_transitions(user, dossier) -> list[TransitionSpec]:
    """The transitions `user` may fire now on `dossier` through the API: the state allows them, the
    user's role and scope too, and for an instruction step its task waits in the queue or with them."""
    specs = [
        spec
        for name, spec in TRANSITIONS.items()
        if name in ROUTES and can_proceed(getattr(dossier, name)) and can_fire_transition(user, dossier, spec)
    ]
    if any(ROUTES[spec.name].steps for spec in specs):
        from workflows.processes import process_for_dossier

        process = process_for_dossier(dossier.pk)
        specs = [
            spec
            for spec in specs
            if not ROUTES[spec.name].steps
            or ((task := _open_task(dossier, ROUTES[spec.name].steps, process)) and task.owner_id in (None, user.pk))
        ]
    return specs


def refusal_exception(refusal: TransitionRefused) -> exceptions.APIException:
    if refusal.category == RefusalCategory.PERMISSION:
        return exceptions.PermissionDenied(refusal.message, code=refusal.code)
    if refusal.category == RefusalCategory.PAYLOAD:
        return exceptions.ValidationError(refusal.message, code=refusal.code)
    return Conflict(refusal.message, code=refusal.code)


def check_transition(user, dossier, name: str) -> Route:
    """The route of `name` if `user` may fire it on `dossier` now; raises the API's refusal otherwise."""
    spec = TRANSITIONS.get(name)
    if spec is None:
        raise exceptions.NotFound(_("There is no transition of that name."), code="unknown_transition")
    decision = can_fire_transition(user, dossier, spec)
    if not decision:
        raise exceptions.PermissionDenied(decision.reason, code="forbidden")
    if not can_proceed(getattr(dossier, name)):
        raise Conflict(
            _("“%(action)s” is not possible while the dossier is “%(state)s”.")
            % {"action": spec.label, "state": dossier.get_state_display()},
            code="invalid_state",
        )
    if name in INDIRECT:
        raise Conflict(INDIRECT[name], code="indirect_transition")
    return ROUTES[name]


def fire_transition(route: Route, *, dossier, actor, ip_address, data) -> None:
    """Fires the transition with its validated payload; raises the API's refusal."""
    try:
        if not route.steps:
            route.fire(dossier, actor, ip_address, data)
            return
        _fire_as_task(route, dossier=dossier, actor=actor, ip_address=ip_address, data=data)
    except TransitionRefused as refusal:
        raise refusal_exception(refusal) from None


def _fire_as_task(route: Route, *, dossier, actor, ip_address, data) -> None:
    task = _open_task(dossier, route.steps)
    if task is None:
        raise Conflict(_("The dossier's instruction is not at this step."), code="no_open_task")
    do_task(task, actor=actor, action=lambda locked: route.fire(locked, actor, ip_address, data))


def do_task(task, *, actor, action) -> None:
    """Does `task` with `action(dossier)` (`workflows.instruction.task_complete`), taking it from its
    queue first if nobody holds it; a refusal puts a task taken here back in its queue. Raises
    `TransitionRefused` as the services do, and the API's conflicts."""
    if task.owner_id not in (None, actor.pk):
        raise Conflict(
            _("The task is with %(name)s.") % {"name": task.owner.get_full_name() or task.owner.get_username()},
            code="task_taken",
        )
    taken_here = task.owner_id is None
    try:
        if taken_here:
            task = instruction.task_take(task=task, actor=actor)
    except DjangoPermissionDenied as error:
        raise Conflict(" ".join(getattr(error, "messages", [str(error)])), code="task_unavailable") from None
    try:
        instruction.task_complete(task=task, actor=actor, action=action)
    except (TransitionRefused, DjangoValidationError, DjangoPermissionDenied) as error:
        if taken_here:  # the refusal changes nothing: the task goes back to the queue
            instruction.task_release(task=task, actor=actor)
        if isinstance(error, DjangoPermissionDenied):
            raise Conflict(" ".join(getattr(error, "messages", [str(error)])), code="task_unavailable") from None
        raise
