"""Who must act next on a dossier: the viewflow process of its instruction.

The dossier is the process artifact and the only holder of the state: every node that changes it calls
a service of `workflows.services`, and the flow reads the dossier's state to route (it never writes it).

    submit ──► check_completeness ──► (incomplete) wait_for_pieces ──► check_completeness
                      │ (admissible)
                      ▼
                  instruct ──► (opinions asked) ask_opinions ═► give_opinion × n ═► opinions_given
                      │                                                               │
                      └──────────────────────────► propose ◄────────────────────────┘
                                                        │
                                                        ▼
                                                   reviewed (ready for the committee)

Officers' tasks belong to the queue of the dossier's territory (`owner_permission` =
`dossiers.instruct_territory` on the territory); opinion tasks to the queue of the consulted service.
"""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation

from dossiers.rules import completeness_due
from workflows import views
from workflows.enums import DossierState, Role
from workflows.models import DossierProcess, Opinion
from workflows.permissions import user_roles

INSTRUCT_PERMISSION = "dossiers.instruct_territory"
OPINION_PERMISSION = "workflows.give_opinion"


def task_due_on(task) -> date | None:
    due = (task.data or {}).get("due_on")
    return date.fromisoformat(due) if due else None


def task_is_overdue(task, today: date | None = None) -> bool:
    due = task_due_on(task)
    return due is not None and task.finished is None and due < (today or timezone.localdate())


class DueDateActivation(ViewActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        data = dict(data or {})
        due = flow_task.calc_due_on(prev_activation.process, data)
        if due is not None:
            data["due_on"] = due.isoformat()
        return super().create(flow_task, prev_activation, token, data=data, seed=seed)


class DossierTask(flow.View):
    """A human task on a dossier, for the officers of its territory, with an optional due date."""

    activation_class = DueDateActivation

    def __init__(self, view, due=None, **kwargs):
        super().__init__(view, **kwargs)
        self._due = due
        self.Permission(INSTRUCT_PERMISSION, obj=lambda process: process.artifact.territory)

    def calc_due_on(self, process, data) -> date | None:
        return self._due(process.artifact) if self._due else None

    def can_view(self, user, task):
        return self.flow_class.instance.has_view_permission(user, task.process)


class OpinionTask(DossierTask):
    """The opinion of one consulted service: in that service's queue, for its members."""

    def __init__(self, view, **kwargs):
        super().__init__(view, **kwargs)
        self.Permission(OPINION_PERMISSION, obj=None)

    def calc_due_on(self, process, data) -> date | None:
        return Opinion.objects.only("due_on").get(pk=data["opinion"]).due_on

    def calc_owner_permission_obj(self, activation):
        return Opinion.objects.select_related("service").get(pk=activation.task.data["opinion"]).service

    def can_assign(self, user, task):
        if task.owner_id or not user.is_authenticated:
            return False
        service = Opinion.objects.select_related("service").get(pk=task.data["opinion"]).service
        return Role.ADMINISTRATOR in user_roles(user) or user.groups.filter(pk=service.group_id).exists()


class OpinionSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        """One give_opinion task per opinion asked and not given yet."""
        dossier = self.process.artifact
        pending = list(dossier.opinions.filter(given_at__isnull=True).values_list("pk", flat=True))
        for node, _cond, _data in self.flow_task._branches:
            self.next_tasks += [(node, {"opinion": pk}) for pk in pending]


class OpinionSplit(flow.Split):
    activation_class = OpinionSplitActivation


# The dossier left the instruction: the process ends.
CLOSED_STATES = (DossierState.INADMISSIBLE, DossierState.WITHDRAWN)


def _state_in(*states):
    """Routes on the dossier's saved state (not on the process's cached copy of its artifact)."""
    from dossiers.models import Dossier

    def condition(activation) -> bool:
        dossier_id = activation.process.artifact_object_id
        return Dossier.objects.filter(pk=dossier_id).values_list("state", flat=True).get() in states

    return condition


def _opinions_pending(activation) -> bool:
    return Opinion.objects.filter(dossier_id=activation.process.artifact_object_id, given_at__isnull=True).exists()


class DossierFlow(flow.Flow):
    """Instruction of a dossier

    From submission to the proposal to the committee: completeness, review, opinions, proposal.
    """

    process_class = DossierProcess
    # Waits for the process's row lock (SELECT ... FOR UPDATE) instead of failing at once: concurrent
    # actions on one dossier's tasks run one after the other and the later ones see the first's result.
    lock_impl = lock.SelectForUpdateLock(nowait=False, attempts=1)
    process_title = _("Dossier instruction")
    process_summary_template = "{{ process.artifact.reference }} — {{ process.artifact.title }}"

    start = flow.StartHandle(this.start_for_dossier).Next(this.check_completeness)

    check_completeness = (
        DossierTask(
            views.CompletenessView.as_view(),
            due=lambda dossier: completeness_due(
                submitted_on=timezone.localdate(dossier.resubmitted_at or dossier.submitted_at),
                rule_set=dossier.rule_set,
            ),
        )
        .Annotation(title=_("Check completeness"))
        .Next(this.after_completeness)
    )
    after_completeness = (
        flow.Switch()
        .Case(this.wait_for_pieces, _state_in(DossierState.INCOMPLETE))
        .Case(this.closed, _state_in(*CLOSED_STATES))
        .Default(this.instruct)
    )
    wait_for_pieces = (
        flow.Handle(this.pieces_received)
        .Annotation(title=_("Waiting for the sponsor's pieces"))
        .Next(this.check_completeness)
    )
    instruct = (
        DossierTask(views.InstructView.as_view())
        .Annotation(title=_("Review the dossier and ask for opinions"))
        .Next(this.after_instruction)
    )
    after_instruction = (
        flow.Switch()
        .Case(this.closed, _state_in(*CLOSED_STATES))
        .Case(this.ask_opinions, _opinions_pending)
        .Default(this.propose)
    )
    ask_opinions = OpinionSplit().Next(this.give_opinion)
    give_opinion = (
        OpinionTask(views.OpinionView.as_view()).Annotation(title=_("Give an opinion")).Next(this.opinions_given)
    )
    opinions_given = flow.Join().Next(this.propose)
    propose = (
        DossierTask(views.ProposalView.as_view()).Annotation(title=_("Propose to the committee")).Next(this.reviewed)
    )
    reviewed = flow.End()
    closed = flow.End()

    def start_for_dossier(self, activation, dossier):
        activation.process.artifact = dossier
        return activation.process

    def pieces_received(self, activation):
        return activation.process

    def has_view_permission(self, user, obj=None):
        """Staff roles see the flow; a process only if its dossier is in the user's scope."""
        from dossiers.selectors import dossier_list_for_user

        if not user.is_authenticated or not (user_roles(user) - {Role.SPONSOR}):
            return False
        if obj is None:
            return True
        return dossier_list_for_user(user, staff_only=True).filter(pk=obj.artifact_object_id).exists()

    def has_manage_permission(self, user, obj=None):
        return Role.ADMINISTRATOR in user_roles(user)
