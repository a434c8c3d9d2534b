"""The task pages of the instruction (viewflow runs them inside its lock and transaction).

Each page validates its form and calls the dossier's services; the task is completed only when the
service accepted the action, otherwise the form comes back with the reasons and nothing changes.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from viewflow.workflow.flow.views.mixins import TaskSuccessUrlMixin, TaskViewTemplateNames

from dossiers.http import client_ip
from dossiers.models import Dossier
from dossiers.rules import dossier_financing_plan
from workflows import instruction, services
from workflows.enums import OpinionVerdict
from workflows.models import Opinion, OpinionService


class CompletenessForm(forms.Form):
    DECISIONS = [
        ("admissible", gettext_lazy("Complete and admissible")),
        ("incomplete", gettext_lazy("Incomplete: ask the sponsor for pieces")),
        ("inadmissible", gettext_lazy("Inadmissible")),
    ]
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    message = forms.CharField(
        label=gettext_lazy("Message to the sponsor"),
        help_text=gettext_lazy("Required when pieces are missing or the dossier is inadmissible."),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    pieces_due_on = forms.DateField(
        label=gettext_lazy("Missing pieces expected by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pieces_due_on"].initial = timezone.localdate() + timedelta(days=30)

    def clean(self):
        data = super().clean()
        if data.get("decision") in {"incomplete", "inadmissible"} and not data.get("message", "").strip():
            self.add_error("message", _("Say what is missing, or why the dossier is inadmissible."))
        return data


class InstructForm(forms.Form):
    DECISIONS = [
        ("review", gettext_lazy("Start the review")),
        ("inadmissible", gettext_lazy("Inadmissible")),
    ]
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    services = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Ask the opinion of"),
        queryset=OpinionService.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    question = forms.CharField(
        label=gettext_lazy("Question to the consulted services"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )
    due_on = forms.DateField(
        label=gettext_lazy("Opinions due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (inadmissible)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].initial = timezone.localdate() + timedelta(days=15)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "inadmissible" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the dossier is inadmissible."))
        if data.get("decision") == "review" and data.get("services"):
            if not data.get("question", "").strip():
                self.add_error("question", _("Say what the services are asked about."))
            if not data.get("due_on"):
                self.add_error("due_on", _("Give the date by which the opinions are due."))
        return data


class OpinionForm(forms.Form):
    verdict = forms.ChoiceField(label=gettext_lazy("Verdict"), choices=OpinionVerdict.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=gettext_lazy("Opinion"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)


class ProposalForm(forms.Form):
    eligible_base = forms.DecimalField(
        label=gettext_lazy("Eligible base (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    proposed_amount = forms.DecimalField(
        label=gettext_lazy("Proposed amount (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    convention_decided = forms.BooleanField(
        label=gettext_lazy("Require a convention whatever the amount"), required=False
    )
    comment = forms.CharField(
        label=gettext_lazy("Report to the committee"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20000
    )


class DossierTaskView(TaskSuccessUrlMixin, TaskViewTemplateNames, FormView):
    """A task page: the dossier's summary, then the task's form."""

    template_filename = "task.html"
    success_message = gettext_lazy("Done: %(task)s.")

    @property
    def dossier(self) -> Dossier:
        # Read fresh, never through the process's cached artifact: the flow routes on the saved state.
        if not hasattr(self, "_dossier"):
            self._dossier = Dossier.objects.select_related("organisation", "territory", "contract", "theme").get(
                pk=self.request.activation.process.artifact_object_id
            )
        return self._dossier

    def get_context_data(self, **kwargs):
        dossier = self.dossier
        kwargs.update(
            dossier=dossier,
            plan=dossier_financing_plan(dossier),
            pieces=dossier.pieces.select_related("piece_type"),
            opinions=dossier.opinions.select_related("service", "given_by"),
        )
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            self.perform(form.cleaned_data)
        except services.TransitionRefused as refusal:
            for problem in refusal.problems:
                form.add_error(None, problem.message)
            return self.form_invalid(form)
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
            return self.form_invalid(form)
        self.request.activation.execute()
        messages.success(self.request, self.success_message % {"task": self.request.activation.task.title})
        return HttpResponseRedirect(self.get_success_url())

    def perform(self, data):
        raise NotImplementedError

    @property
    def ip_address(self):
        return client_ip(self.request)


class CompletenessView(DossierTaskView):
    form_class = CompletenessForm

    def perform(self, data):
        common = {"dossier": self.dossier, "actor": self.request.user, "ip_address": self.ip_address}
        if data["decision"] == "admissible":
            services.dossier_declare_admissible(**common, comment=data["message"])
        elif data["decision"] == "incomplete":
            services.dossier_declare_incomplete(**common, missing=data["message"], pieces_due_on=data["pieces_due_on"])
        else:
            services.dossier_declare_inadmissible(**common, reason=data["message"])


class InstructView(DossierTaskView):
    form_class = InstructForm

    def perform(self, data):
        common = {"dossier": self.dossier, "actor": self.request.user, "ip_address": self.ip_address}
        if data["decision"] == "inadmissible":
            services.dossier_declare_inadmissible(**common, reason=data["reason"])
            return
        services.dossier_start_review(
            **common,
            opinion_services=list(data["services"]),
            opinion_question=data["question"],
            opinions_due_on=data["due_on"],
        )


class OpinionView(DossierTaskView):
    form_class = OpinionForm

    @property
    def opinion(self) -> Opinion:
        return Opinion.objects.select_related("service").get(pk=self.request.activation.task.data["opinion"])

    def get_context_data(self, **kwargs):
        kwargs["opinion"] = self.opinion
        return super().get_context_data(**kwargs)

    def perform(self, data):
        instruction.opinion_give(
            opinion=self.opinion, actor=self.request.user, verdict=data["verdict"], text=data["text"]
        )


class ProposalView(DossierTaskView):
    form_class = ProposalForm

    def get_initial(self):
        dossier = self.dossier
        plan = dossier_financing_plan(dossier)
        return {"eligible_base": plan.eligible_expenses, "proposed_amount": dossier.requested_amount}

    def perform(self, data):
        services.dossier_complete_review(
            dossier=self.dossier,
            actor=self.request.user,
            ip_address=self.ip_address,
            eligible_base=data["eligible_base"],
            proposed_amount=data["proposed_amount"],
            convention_decided=data["convention_decided"],
            comment=data["comment"],
        )
