"""The instruction's tasks: the caller's inbox and queues, and taking, releasing, reassigning and doing a
task, through the same functions as the web UI's task pages (`workflows.instruction`).

- The inbox is `task_inbox_for_user` (the tasks the caller took), the queue `task_queue_for_user` (the
  tasks nobody took in the queues of the caller's territories and consulted services), each annotated
  with its dossier in the same query (`workflows.frontend.with_dossier`, as the web's lists).
- A task is visible when its dossier is in the caller's scope as the Region's staff, as on the dossier's
  page; otherwise 404.
- Doing a task is the task page's form: the officers' steps fire one of the dossier's transitions
  (`api.views.transitions`, the same payloads and services), an opinion task gives the opinion
  (`opinion_give`), each inside `task_complete` so that the process moves on only if the service
  accepted. A task nobody holds is taken first, and goes back to its queue if the action is refused.

Refusals: a task held by a colleague, already done or not taken → 409 with a code; an action the caller's
role does not allow → 403; a bad payload → 400. A refusal changes nothing.
"""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from viewflow.workflow.models import Task

from api.exceptions import Conflict
from api.serializers import tasks as serializers
from api.views import transitions
from dossiers.http import client_ip
from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from workflows import instruction
from workflows.flows import DossierFlow
from workflows.frontend import with_dossier
from workflows.models import Opinion
from workflows.services import TransitionRefused

OPINION_STEP = "give_opinion"


class TaskFilter(django_filters.FilterSet):
    step = django_filters.ChoiceFilter(
        choices=[(step, step) for step in serializers.STEPS],
        method="filter_step",
        help_text=gettext_lazy("The step of the instruction flow."),
    )
    dossier = django_filters.NumberFilter(
        field_name="process__artifact_object_id", help_text=gettext_lazy("The dossier's id.")
    )

    class Meta:
        model = Task
        fields = []

    def filter_step(self, queryset, name, value):
        return queryset.filter(flow_task=getattr(DossierFlow, value))


def _annotated(tasks):
    """The tasks with their dossier's reference, title, territory and state, in the same query."""
    state = Dossier.objects.filter(pk=OuterRef("process__artifact_object_id")).values("state")[:1]
    return with_dossier(tasks).annotate(dossier_state=Subquery(state))


def _opinions(tasks) -> dict:
    """The opinions asked by the opinion tasks among `tasks`, in one query."""
    ids = {(task.data or {}).get("opinion") for task in tasks} - {None}
    return Opinion.objects.select_related("service").in_bulk(ids) if ids else {}


def _owner_name(task) -> str:
    return task.owner.get_full_name() or task.owner.get_username()


def _check_not_finished(task) -> None:
    if task.status not in instruction.ACTIVE_TASK_STATUSES:
        raise Conflict(_("This task is finished."), code="task_finished")


def _check_not_a_colleagues(task, user) -> None:
    if task.owner_id is not None and task.owner_id != user.pk:
        raise Conflict(_("The task is with %(name)s.") % {"name": _owner_name(task)}, code="task_taken")


_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The task's id (404 outside your scope).")
)
_CONFLICTS = gettext_lazy(
    "The task is finished (code task_finished), held by a colleague (task_taken), not taken (task_not_taken), "
    "or its dossier's state or rules do not allow the action now (invalid_state and the rules' codes)."
)
_ERRORS = {
    403: OpenApiResponse(
        description=gettext_lazy("Your role does not allow this action on the task (code forbidden).")
    ),
    404: OpenApiResponse(description=gettext_lazy("No such task in your scope.")),
    409: OpenApiResponse(description=_CONFLICTS),
}


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[_ID],
        description=gettext_lazy(
            "A task of a dossier you see as the Region's staff, finished or not, with its dossier's summary."
        ),
    ),
)
class TaskViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The human tasks of the dossiers' instruction processes."""

    serializer_class = serializers.TaskSerializer
    filterset_class = TaskFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["created", "id"]
    ordering = ["created", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Task.objects.none()
        user = self.request.user
        if self.action == "inbox":
            tasks = instruction.task_inbox_for_user(user)
        elif self.action == "queue":
            tasks = instruction.task_queue_for_user(user)
        else:
            visible = dossier_list_for_user(user, staff_only=True).values("pk")
            tasks = instruction.dossier_tasks().filter(process__artifact_object_id__in=visible)
        return _annotated(tasks)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context.setdefault("opinions", {})
        return context

    def _respond(self, tasks, *, many=False):
        context = {**self.get_serializer_context(), "opinions": _opinions(tasks if many else [tasks])}
        return serializers.TaskSerializer(tasks, many=many, context=context).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._respond(self.get_object()))

    def _fresh(self, task):
        return Response(self._respond(self.get_queryset().get(pk=task.pk)))

    def _page(self):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._respond(page, many=True))

    @extend_schema(
        operation_id="tasks_inbox",
        summary=gettext_lazy("My tasks"),
        description=gettext_lazy("The tasks you took and have not finished, oldest first (the web UI's inbox)."),
        responses=serializers.TaskSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def inbox(self, request, **kwargs):
        return self._page()

    @extend_schema(
        operation_id="tasks_queue",
        summary=gettext_lazy("Queue"),
        description=gettext_lazy(
            "The tasks nobody took yet in the queues you work from: your territories' instruction steps and "
            "your consulted services' opinions, oldest first (the web UI's queue)."
        ),
        responses=serializers.TaskSerializer(many=True),
    )
    @action(detail=False, methods=["get"])
    def queue(self, request, **kwargs):
        return self._page()

    @extend_schema(
        operation_id="tasks_take",
        summary=gettext_lazy("Take a task"),
        description=gettext_lazy("Takes a task of one of your queues: it moves to your inbox."),
        parameters=[_ID],
        request=None,
        responses={200: serializers.TaskSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None, **kwargs):
        task = self.get_object()
        _check_not_finished(task)
        _check_not_a_colleagues(task, request.user)
        if task.owner_id is not None:
            raise Conflict(_("The task is already in your inbox."), code="task_taken")
        try:
            instruction.task_take(task=task, actor=request.user)
        except DjangoPermissionDenied as error:
            self._refused(task, error)
        return self._fresh(task)

    @extend_schema(
        operation_id="tasks_release",
        summary=gettext_lazy("Release a task"),
        description=gettext_lazy("Puts a task you took back in its queue (an administrator may release anyone's)."),
        parameters=[_ID],
        request=None,
        responses={200: serializers.TaskSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None, **kwargs):
        task = self.get_object()
        _check_not_finished(task)
        if task.owner_id is None:
            raise Conflict(_("Nobody has taken this task."), code="task_not_taken")
        try:
            instruction.task_release(task=task, actor=request.user)
        except DjangoPermissionDenied as error:
            _check_not_a_colleagues(task, request.user)
            self._refused(task, error)
        return self._fresh(task)

    @extend_schema(
        operation_id="tasks_reassign",
        summary=gettext_lazy("Reassign a task"),
        description=gettext_lazy(
            "Covers for an absent colleague: gives a task someone took to yourself or to another member of the "
            "task's queue."
        ),
        parameters=[_ID],
        request=serializers.TaskReassignSerializer,
        responses={
            200: serializers.TaskSerializer,
            400: OpenApiResponse(description=gettext_lazy("No such colleague.")),
            **_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None, **kwargs):
        task = self.get_object()
        _check_not_finished(task)
        payload = serializers.TaskReassignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        to_user = instruction.colleagues_for_task(task).filter(pk=payload.validated_data["to_user"]).first()
        if to_user is None:
            raise exceptions.ValidationError(
                {"to_user": [_("Nobody of that id works in this task's queue.")]}, code="does_not_exist"
            )
        if task.owner_id is None:
            raise Conflict(_("Only a task someone has taken can be reassigned."), code="task_not_taken")
        try:
            instruction.task_reassign(task=task, actor=request.user, to_user=to_user)
        except DjangoValidationError as error:
            raise Conflict(" ".join(error.messages), code="task_not_taken") from None
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error), code="forbidden") from None
        return self._fresh(task)

    @extend_schema(
        operation_id="tasks_complete",
        summary=gettext_lazy("Do a task"),
        description=gettext_lazy(
            "Does the task as its page in the web UI does, taking it first if nobody holds it. Instruction "
            "steps: `transition` names the outcome, with the transition's payload beside it (the same as "
            "`POST /api/v1/dossiers/{id}/transitions/{name}/`). Opinion tasks: the `verdict` and its `text`. "
            "The dossier moves and the process goes on to its next step; a refusal changes nothing and the "
            "task goes back to its queue if it was taken here."
        ),
        parameters=[_ID],
        request=PolymorphicProxySerializer(
            component_name="TaskCompletion",
            serializers=[serializers.TaskCompleteSerializer, serializers.OpinionPayloadSerializer],
            resource_type_field_name=None,
        ),
        responses={
            200: serializers.TaskSerializer,
            400: OpenApiResponse(description=gettext_lazy("Invalid payload: the errors by field.")),
            **_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, **kwargs):
        task = self.get_object()
        _check_not_finished(task)
        _check_not_a_colleagues(task, request.user)
        if task.owner_id is None and not task.flow_task.can_assign(request.user, task):
            raise exceptions.PermissionDenied(_("This task is not in your queue."), code="forbidden")
        if task.flow_task.name == OPINION_STEP:
            do = self._opinion_action(task, request)
        else:
            do = self._transition_action(task, request)
        try:
            transitions.do_task(task, actor=request.user, action=do)
        except TransitionRefused as refusal:
            raise transitions.refusal_exception(refusal) from None
        except DjangoValidationError as error:
            raise exceptions.ValidationError(error.messages) from None
        return self._fresh(task)

    def _transition_action(self, task, request):
        choice = serializers.TaskCompleteSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        name = choice.validated_data["transition"]
        allowed = serializers.step_transitions(task.flow_task.name)
        if name not in allowed:
            raise exceptions.ValidationError(
                {
                    "transition": [
                        exceptions.ErrorDetail(
                            _("This step is done by one of: %(names)s.") % {"names": ", ".join(allowed)},
                            code="invalid_choice",
                        )
                    ]
                }
            )
        dossier = dossier_list_for_user(request.user, staff_only=True).get(pk=task.dossier_id)
        route = transitions.check_transition(request.user, dossier, name)
        payload = route.payload(data={key: value for key, value in request.data.items() if key != "transition"})
        payload.is_valid(raise_exception=True)
        data, ip_address = payload.validated_data, client_ip(request)
        return lambda locked: route.fire(locked, request.user, ip_address, data)

    def _opinion_action(self, task, request):
        opinion = Opinion.objects.get(pk=task.data["opinion"])
        if opinion.is_given:
            raise Conflict(_("This opinion has already been given."), code="opinion_given")
        payload = serializers.OpinionPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        verdict, text = payload.validated_data["verdict"], payload.validated_data["text"]
        return lambda dossier: instruction.opinion_give(opinion=opinion, actor=request.user, verdict=verdict, text=text)

    def _refused(self, task, error):
        """A refusal of take/release: a conflict if the task changed meanwhile, else the role's 403."""
        current = Task.objects.select_related("owner").get(pk=task.pk)
        _check_not_finished(current)
        _check_not_a_colleagues(current, self.request.user)
        raise exceptions.PermissionDenied(str(error), code="forbidden")
