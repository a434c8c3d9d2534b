"""The instruction's tasks as the API shows them, and what completing each kind of task takes.

A task is a human step of a dossier's instruction process (`workflows.flows.DossierFlow`): checking
completeness, reviewing, proposing to the committee (the officers of the dossier's territory) and giving
an opinion (the consulted service's members). Completing the officers' steps fires one of the dossier's
transitions, with the same payload as `POST /api/v1/dossiers/{id}/transitions/{name}/`; completing an
opinion task gives the opinion, validated by the web UI's own form."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from viewflow.workflow.models import Task

from api.serializers.transitions import FormPayloadSerializer
from workflows.enums import OpinionVerdict
from workflows.flows import task_due_on, task_is_overdue
from workflows.views import OpinionForm

# The human steps of the instruction flow, in the order of the procedure.
STEPS = ("check_completeness", "instruct", "give_opinion", "propose")


def step_transitions(step: str) -> list[str]:
    """The transitions that complete an instruction step (none for an opinion)."""
    from api.views.transitions import ROUTES

    return [name for name, route in ROUTES.items() if step in route.steps]


class TaskDossierSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    territory = serializers.CharField(read_only=True, help_text=_("The territory's name."))


class TaskOwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TaskOpinionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    service = serializers.CharField(read_only=True, help_text=_("The consulted service's name."))
    question = serializers.CharField(read_only=True)
    due_on = serializers.DateField(read_only=True, allow_null=True)


class TaskSerializer(serializers.ModelSerializer):
    """A task, with its dossier's summary (from the list's annotations: the same query)."""

    step = serializers.SerializerMethodField(help_text=_("The step of the instruction flow."))
    label = serializers.SerializerMethodField(help_text=_("The step's title, in the user's language."))
    dossier = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()
    due_on = serializers.SerializerMethodField(help_text=_("When the step is due, if it has a due date."))
    overdue = serializers.SerializerMethodField()
    opinion = serializers.SerializerMethodField(help_text=_("The opinion asked (opinion tasks only)."))
    transitions = serializers.SerializerMethodField(
        help_text=_("The transitions that complete this step (instruction steps; empty for an opinion).")
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "step",
            "label",
            "status",
            "dossier",
            "owner",
            "created",
            "assigned",
            "finished",
            "due_on",
            "overdue",
            "opinion",
            "transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=STEPS))
    def get_step(self, task) -> str:
        return task.flow_task.name

    def get_label(self, task) -> str:
        return str(task.title)

    @extend_schema_field(TaskDossierSerializer)
    def get_dossier(self, task):
        return {
            "id": task.dossier_id,
            "reference": task.dossier_reference,
            "title": task.dossier_title,
            "state": task.dossier_state,
            "territory": task.territory_name,
        }

    @extend_schema_field(TaskOwnerSerializer(allow_null=True))
    def get_owner(self, task):
        if task.owner is None:
            return None
        return {"id": task.owner.pk, "name": task.owner.get_full_name() or task.owner.get_username()}

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_due_on(self, task):
        return task_due_on(task)

    def get_overdue(self, task) -> bool:
        return task_is_overdue(task)

    @extend_schema_field(TaskOpinionSerializer(allow_null=True))
    def get_opinion(self, task):
        opinion = self.context.get("opinions", {}).get((task.data or {}).get("opinion"))
        if opinion is None:
            return None
        return {
            "id": opinion.pk,
            "service": opinion.service.name,
            "question": opinion.question,
            "due_on": opinion.due_on,
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_transitions(self, task):
        return step_transitions(task.flow_task.name)


class TaskCompleteSerializer(serializers.Serializer):
    """The instruction's steps: which transition completes it; its payload's fields sit beside it."""

    transition = serializers.CharField(
        help_text=_(
            "check_completeness: declare_admissible, declare_incomplete or declare_inadmissible; instruct: "
            "start_review or declare_inadmissible; propose: complete_review. The transition's payload fields "
            "(see `TransitionPayload`) go in the same object."
        )
    )


class OpinionPayloadSerializer(FormPayloadSerializer):
    """give_opinion: the verdict and its reasons, validated by the web UI's opinion form."""

    form_class = OpinionForm
    verdict = serializers.ChoiceField(choices=OpinionVerdict.choices)
    text = serializers.CharField(max_length=20000, help_text=_("The opinion and its reasons."))


class TaskReassignSerializer(serializers.Serializer):
    to_user = serializers.IntegerField(help_text=_("The id of a colleague of the task's queue."))
