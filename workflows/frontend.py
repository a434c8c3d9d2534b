"""viewflow's frontend for the Region's staff: dashboard, inbox, queue, archive, dossiers and the dossier
page, mounted at /instruction/.

viewflow's own lists read viewflow's permission tables and render a template per row; here every list
is scoped by our selectors (territories through django-guardian's direct tables, consulted services)
and annotated with its dossier in the same query, so a page costs the same whatever its length.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Site
from viewflow.utils import viewprop
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import FlowArchiveListView, FlowInboxListView, FlowQueueListView
from viewflow.workflow.flow.views.mixins import StoreRequestPathMixin
from viewflow.workflow.status import STATUS

from committees.envelope_views import EnvelopeViewset
from committees.member_views import MemberViewset
from committees.scenario_views import ScenarioViewset
from committees.selectors import agenda_item_list_for_dossier
from committees.views import SessionViewset
from diagnostics.views import DiagnosticViewset
from dossiers.models import Dossier
from dossiers.rules import dossier_financing_plan
from dossiers.selectors import dossier_list_for_user
from dossiers.services import CHECKABLE_STATES
from dossiers.views import available_actions
from exports.selectors import DossierListFilters, staff_dossier_list
from exports.views import ExportViewset
from figures.views import FiguresViewset
from opendata.staff_views import OpenDataViewset
from payments.bank_views import BankDetailsViewset
from payments.order_views import PaymentOrderViewset
from payments.staff_views import PaymentRequestViewset
from roadmaps.meeting_views import MeetingViewset
from roadmaps.views import RoadmapViewset
from workflows import bulk, instruction
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow, task_due_on, task_is_overdue
from workflows.models import BULK_ACTIVE_STATUSES, BulkJob, OpinionService
from workflows.permissions import officer_territory_ids, user_roles
from workflows.processes import process_for_dossier
from workflows.selectors import audit_event_list_for_user


def with_dossier(tasks):
    """Adds the dossier's reference, title and territory to each task, in the same query."""
    dossier = Dossier.objects.filter(pk=OuterRef("process__artifact_object_id"))
    return tasks.annotate(
        dossier_id=F("process__artifact_object_id"),
        dossier_reference=Subquery(dossier.values("reference")[:1]),
        dossier_title=Subquery(dossier.values("title")[:1]),
        territory_name=Subquery(dossier.values("territory__name")[:1]),
    ).select_related("process", "owner")


class TaskColumnsMixin:
    """The columns every task list shows: the dossier, the task, its due date (overdue said in words)."""

    columns = ("dossier", "task_title", "territory", "due", "created")
    paginate_by = 50
    filterset_class = None

    def dossier(self, task):
        url = reverse("instruction:dossier_page", args=[task.dossier_id])
        return format_html('<a href="{}">{}</a> — {}', url, task.dossier_reference, task.dossier_title)

    dossier.short_description = gettext_lazy("Dossier")

    def task_title(self, task):
        url = task.flow_task.reverse("index", args=[task.process_id, task.pk])
        return format_html('<a href="{}">{}</a>', url, task.title)

    task_title.short_description = gettext_lazy("Task")

    def territory(self, task):
        return task.territory_name

    territory.short_description = gettext_lazy("Territory")

    def due(self, task):
        due = task_due_on(task)
        if due is None:
            return ""
        text = date_format(due, "SHORT_DATE_FORMAT")
        if task_is_overdue(task):
            return format_html('{} <strong class="overdue">({})</strong>', text, _("overdue"))
        return text

    due.short_description = gettext_lazy("Due on")

    def get_queryset(self):
        return with_dossier(self.scoped_tasks()).order_by("created", "pk")


class InboxView(TaskColumnsMixin, FlowInboxListView):
    title = gettext_lazy("My tasks")

    def scoped_tasks(self):
        return instruction.task_inbox_for_user(self.request.user)

    @viewprop
    def queryset(self):
        return self.get_queryset()


class QueueView(TaskColumnsMixin, FlowQueueListView):
    title = gettext_lazy("Queue")

    def scoped_tasks(self):
        return instruction.task_queue_for_user(self.request.user)

    @viewprop
    def queryset(self):
        return self.get_queryset()


class ArchiveView(TaskColumnsMixin, FlowArchiveListView):
    title = gettext_lazy("Finished tasks")
    columns = ("dossier", "task_title", "territory", "finished")

    def scoped_tasks(self):
        return instruction.dossier_tasks().filter(owner=self.request.user, finished__isnull=False)

    def get_queryset(self):
        return with_dossier(self.scoped_tasks()).order_by("-finished", "-pk")

    @viewprop
    def queryset(self):
        return self.get_queryset()


class StaffPageMixin(StoreRequestPathMixin):
    flow_class = None
    viewset = None

    def dispatch(self, request, *args, **kwargs):
        if not DossierFlow.instance.has_view_permission(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class DashboardView(StaffPageMixin, generic.TemplateView):
    """What is waiting for the user: their tasks, their queues, what is overdue, per step."""

    template_name = "workflows/dossier/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        inbox = list(with_dossier(instruction.task_inbox_for_user(user)).order_by("created")[:50])
        for task in inbox:
            task.due_on = task_due_on(task)
        queue = instruction.task_queue_for_user(user)
        steps = [
            {"node": node, "waiting": queue.filter(flow_task=node).count()}
            for node in (
                DossierFlow.check_completeness,
                DossierFlow.instruct,
                DossierFlow.give_opinion,
                DossierFlow.propose,
            )
        ]
        return super().get_context_data(
            inbox=inbox,
            overdue=[task for task in inbox if task_is_overdue(task)],
            steps=steps,
            queue_size=queue.count(),
            **kwargs,
        )


class DossierListView(StaffPageMixin, generic.ListView):
    """The dossiers of the user's scope, most recent first, filterable by state."""

    template_name = "workflows/dossier/dossier_list.html"
    paginate_by = 50

    def get_queryset(self):
        # The same rows as its exports (exports.selectors).
        return staff_dossier_list(self.request.user, DossierListFilters.from_params(self.request.GET))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            states=DossierState.choices,
            state=self.request.GET.get("state", ""),
            q=self.request.GET.get("q", ""),
            bulk_form=BulkForm(),
            can_bulk=bool(officer_territory_ids(self.request.user)),
            **kwargs,
        )


class DossierPageView(StaffPageMixin, generic.TemplateView):
    """The dossier as the staff sees it: summary, financing plan, pieces, opinions, tasks, history."""

    template_name = "workflows/dossier/dossier_page.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        dossier = (
            dossier_list_for_user(user, staff_only=True)
            .select_related("rule_set", "envelope")
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if dossier is None:
            raise Http404(_("No such dossier, or it is outside your scope."))
        tasks = list(instruction.task_list_for_dossier(user, dossier))
        for task in tasks:
            task.due_on = task_due_on(task)
            task.overdue = task_is_overdue(task)
            task.can_take = task.status == STATUS.NEW and task.flow_task.can_assign(user, task)
            task.can_execute = task.status in (STATUS.ASSIGNED, STATUS.STARTED) and task.flow_task.can_execute(
                user, task
            )
            task.can_release = task.status == STATUS.ASSIGNED and task.flow_task.can_unassign(user, task)
        return super().get_context_data(
            dossier=dossier,
            plan=dossier_financing_plan(dossier),
            expense_lines=dossier.expense_lines.all(),
            funding_lines=dossier.funding_lines.all(),
            pieces=dossier.pieces.select_related("piece_type", "checked_by"),
            communes=dossier.communes.all(),
            opinions=instruction.opinion_list_for_user(user, dossier),
            tasks=tasks,
            events=audit_event_list_for_user(user).filter(dossier=dossier),
            process=process_for_dossier(dossier.pk),
            actions=available_actions(user, dossier),
            agenda_items=agenda_item_list_for_dossier(dossier),
            can_check_pieces=dossier.state in CHECKABLE_STATES
            and (Role.ADMINISTRATOR in user_roles(user) or dossier.territory_id in officer_territory_ids(user)),
            **kwargs,
        )


class ProcessRedirectView(StaffPageMixin, generic.View):
    """viewflow's process page is the dossier page."""

    def get(self, request, process_pk):
        process = DossierFlow.process_class.objects.filter(pk=process_pk, flow_class=DossierFlow).first()
        if process is None or not DossierFlow.instance.has_view_permission(request.user, process):
            raise Http404
        return redirect("instruction:dossier_page", pk=process.artifact_object_id)


class TaskActionMixin(StaffPageMixin):
    """A task of the user's scope (404 otherwise), the dossier page to come back to."""

    def get_task(self):
        task = instruction.dossier_tasks().filter(pk=self.kwargs["task_pk"]).select_related("process").first()
        if task is None or not DossierFlow.instance.has_view_permission(self.request.user, task.process):
            raise Http404
        return task

    def back(self, task):
        return redirect("instruction:dossier_page", pk=task.process.artifact_object_id)


class TaskTakeView(TaskActionMixin, generic.View):
    def post(self, request, task_pk):
        task = self.get_task()
        try:
            instruction.task_take(task=task, actor=request.user)
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The task is in your inbox."))
        return self.back(task)


class TaskReleaseView(TaskActionMixin, generic.View):
    def post(self, request, task_pk):
        task = self.get_task()
        try:
            instruction.task_release(task=task, actor=request.user)
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The task is back in its queue."))
        return self.back(task)


class ReassignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=gettext_lazy("Colleague"), queryset=None)

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = instruction.colleagues_for_task(task).exclude(pk=task.owner_id)


class TaskReassignView(TaskActionMixin, generic.FormView):
    template_name = "workflows/dossier/task_reassign.html"
    form_class = ReassignForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.task = self.get_task()
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "task": self.task}

    def get_context_data(self, **kwargs):
        return super().get_context_data(task=self.task, **kwargs)

    def form_valid(self, form):
        try:
            instruction.task_reassign(task=self.task, actor=self.request.user, to_user=form.cleaned_data["to_user"])
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
            return self.form_invalid(form)
        messages.success(self.request, _("The task was reassigned."))
        return self.back(self.task)


class BulkForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=())
    dossiers = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), error_messages={"required": gettext_lazy("Select at least one dossier.")}
    )
    services = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Ask the opinion of"), queryset=OpinionService.objects.all(), required=False
    )
    question = forms.CharField(
        label=gettext_lazy("Question to the consulted services"), required=False, max_length=5000
    )
    due_on = forms.DateField(label=gettext_lazy("Opinions due on"), required=False)
    message = forms.CharField(
        label=gettext_lazy("Message to the sponsors"), required=False, max_length=20000, widget=forms.Textarea
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(name, label) for name, (label, _function) in bulk.ACTIONS.items()]
        # Any id is accepted here; bulk_job_start checks each one against the officer's scope.
        self.fields["dossiers"].valid_value = lambda value: True

    def clean(self):
        data = super().clean()
        if data.get("action") == "ask_opinion":
            if not data.get("services"):
                self.add_error("services", _("Choose at least one service."))
            if not data.get("question", "").strip():
                self.add_error("question", _("Say what the services are asked about."))
            if not data.get("due_on") or data["due_on"] <= timezone.localdate():
                self.add_error("due_on", _("The due date of an opinion must be in the future."))
        if data.get("action") == "send_message" and not data.get("message", "").strip():
            self.add_error("message", _("Write the message."))
        return data

    def params(self) -> dict:
        data = self.cleaned_data
        if data["action"] == "send_message":
            return {"message": data["message"]}
        if data["action"] != "ask_opinion":
            return {}
        return {
            "services": [service.pk for service in data["services"]],
            "question": data["question"],
            "due_on": data["due_on"].isoformat(),
        }


class BulkStartView(StaffPageMixin, generic.View):
    def post(self, request):
        form = BulkForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect("instruction:process_list")
        try:
            job = bulk.bulk_job_start(
                actor=request.user,
                action=form.cleaned_data["action"],
                dossier_ids=form.cleaned_data["dossiers"],
                params=form.params(),
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("instruction:process_list")
        return redirect("instruction:bulk_job", pk=job.pk)


class BulkJobListView(StaffPageMixin, generic.ListView):
    template_name = "workflows/dossier/bulk_jobs.html"
    paginate_by = 50

    def get_queryset(self):
        return BulkJob.objects.filter(owner=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for job in context["object_list"]:
            job.label = bulk.ACTIONS.get(job.action, (job.action,))[0]
        return context


class BulkJobView(StaffPageMixin, generic.DetailView):
    template_name = "workflows/dossier/bulk_job.html"
    context_object_name = "job"

    def get_queryset(self):
        return BulkJob.objects.filter(owner=self.request.user)

    def get_context_data(self, **kwargs):
        job = self.object
        return super().get_context_data(
            action_label=bulk.ACTIONS.get(job.action, (job.action,))[0],
            running=job.status in BULK_ACTIVE_STATUSES,
            **kwargs,
        )


class InstructionViewset(FlowAppViewset):
    title = gettext_lazy("Instruction")
    icon = "assignment"
    app_name = "instruction"
    inbox_view_class = InboxView
    queue_view_class = QueueView
    archive_view_class = ArchiveView

    def get_context_data(self, request):
        """The counts of the menu, from the same scoped selectors as the pages."""
        return {
            "user_inbox": instruction.task_inbox_for_user(request.user),
            "user_queue": instruction.task_queue_for_user(request.user),
        }

    @property
    def index_path(self):
        return path("", DashboardView.as_view(), name="index")

    @property
    def process_list_path(self):
        return path("dossiers/", DossierListView.as_view(), name="process_list")

    @property
    def process_detail_path(self):
        return path("<int:process_pk>/", ProcessRedirectView.as_view(), name="process_detail")

    @property
    def dossier_page_path(self):
        return path("dossiers/<int:pk>/", DossierPageView.as_view(), name="dossier_page")

    @property
    def task_take_path(self):
        return path("tasks/<int:task_pk>/take/", TaskTakeView.as_view(), name="task_take")

    @property
    def task_release_path(self):
        return path("tasks/<int:task_pk>/release/", TaskReleaseView.as_view(), name="task_release")

    @property
    def task_reassign_path(self):
        return path("tasks/<int:task_pk>/reassign/", TaskReassignView.as_view(), name="task_reassign")

    @property
    def bulk_start_path(self):
        return path("bulk/", BulkStartView.as_view(), name="bulk_start")

    @property
    def bulk_jobs_path(self):
        return path("bulk/jobs/", BulkJobListView.as_view(), name="bulk_jobs")

    @property
    def bulk_job_path(self):
        return path("bulk/jobs/<int:pk>/", BulkJobView.as_view(), name="bulk_job")

    @property
    def task_list_path(self):
        """viewflow's unscoped list of every task is replaced by the scoped queue and inbox."""
        return None

    @property
    def tasks_assign_path(self):
        return None

    @property
    def tasks_unassign_path(self):
        return None


site = Site(
    title=gettext_lazy("Territorial contracts"),
    viewsets=[
        InstructionViewset(DossierFlow),
        SessionViewset(),
        EnvelopeViewset(),
        MemberViewset(),
        ScenarioViewset(),
        PaymentRequestViewset(),
        BankDetailsViewset(),
        PaymentOrderViewset(),
        RoadmapViewset(),
        MeetingViewset(),
        DiagnosticViewset(),
        ExportViewset(),
        FiguresViewset(),
        OpenDataViewset(),
    ],
)
