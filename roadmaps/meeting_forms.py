"""The follow-up meetings' forms: preparing and editing a meeting, and the decisions recorded at it
(a formset of rows, prefix "decision", whose empty rows are ignored). They validate what was typed and
hand `roadmaps.services` and `roadmaps.meetings` their arguments; the services decide."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.models import Theme
from roadmaps.enums import DecisionKind, Priority
from roadmaps.meetings import meeting_participant_choices
from roadmaps.models import RoadmapOperation
from roadmaps.services import Decision, NewOperation

DECISION_PREFIX = "decision"


class ParticipantField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class MeetingForm(forms.Form):
    """Preparing a meeting: its date, who takes part (the territory's officers and elected
    representatives), the partners and the agenda."""

    held_on = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    participants = ParticipantField(
        label=gettext_lazy("Participants"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("The territory's elected representatives and officers who take part."),
    )
    partners = forms.CharField(
        label=gettext_lazy("Partners"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Other participants (State, department, agencies…), one a line."),
    )
    agenda = forms.CharField(label=gettext_lazy("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = meeting_participant_choices(territory)


class MeetingEditForm(MeetingForm):
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 12}))


class OperationField(forms.ModelChoiceField):
    def label_from_instance(self, operation):
        return f"#{operation.number} {operation.title} ({operation.get_status_display()}, {operation.expected_year})"


class DecisionForm(forms.Form):
    """One decision: what was decided, on which operation (or the new operation), the new figures, and
    who decided. Which fields count depends on the kind of decision."""

    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=[("", "—"), *DecisionKind.choices], required=False)
    operation = OperationField(
        label=gettext_lazy("Operation (modify, postpone, abandon)"),
        queryset=RoadmapOperation.objects.none(),
        required=False,
    )
    estimated_cost = forms.DecimalField(
        label=gettext_lazy("Estimated cost (add, modify)"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    expected_support = forms.DecimalField(
        label=gettext_lazy("Expected regional support (add, modify)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    expected_year = forms.IntegerField(
        label=gettext_lazy("Expected year (add, postpone)"), min_value=2000, max_value=2100, required=False
    )
    reason = forms.CharField(label=gettext_lazy("Reason (abandon)"), max_length=500, required=False)
    title = forms.CharField(label=gettext_lazy("Title of the new operation (add)"), max_length=200, required=False)
    theme = forms.ModelChoiceField(label=gettext_lazy("Theme (add)"), queryset=Theme.objects.all(), required=False)
    axis = forms.CharField(label=gettext_lazy("Axis of the contract (add)"), max_length=200, required=False)
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority (add)"), choices=Priority.choices, initial=Priority.MEDIUM, required=False
    )
    sponsor_name = forms.CharField(label=gettext_lazy("Sponsor (add)"), max_length=200, required=False)
    decided_by = forms.CharField(
        label=gettext_lazy("Decided by"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Who took the decision (the meeting, its chair, the territory's president…)."),
    )

    # What each kind of decision needs, besides who decided.
    NEEDED = {
        DecisionKind.ADD: ("title", "theme", "estimated_cost", "expected_support", "expected_year"),
        DecisionKind.MODIFY_ESTIMATE: ("operation", "estimated_cost", "expected_support"),
        DecisionKind.POSTPONE: ("operation", "expected_year"),
        DecisionKind.ABANDON: ("operation", "reason"),
    }

    def __init__(self, *args, operations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operation"].queryset = operations

    def has_changed(self):
        # The priority's default is not something typed: a row with only it is still an empty row.
        return any(name != "priority" for name in self.changed_data)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind:
            if self.has_changed():
                raise forms.ValidationError(_("Choose the decision of each row you filled in."), code="kind_required")
            return data
        for name in (*self.NEEDED[kind], "decided_by"):
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, _("Needed for this decision."))
        return data

    def decision(self) -> Decision:
        data = self.cleaned_data
        kind = data["kind"]
        if kind == DecisionKind.ADD:
            details = {
                "operation": NewOperation(
                    title=data["title"],
                    theme=data["theme"],
                    estimated_cost=data["estimated_cost"],
                    expected_support=data["expected_support"],
                    expected_year=data["expected_year"],
                    axis=data["axis"],
                    priority=data["priority"] or Priority.MEDIUM,
                    sponsor_name=data["sponsor_name"],
                )
            }
        elif kind == DecisionKind.MODIFY_ESTIMATE:
            details = {"estimated_cost": data["estimated_cost"], "expected_support": data["expected_support"]}
        elif kind == DecisionKind.POSTPONE:
            details = {"expected_year": data["expected_year"]}
        else:
            details = {"reason": data["reason"]}
        operation = None if kind == DecisionKind.ADD else data["operation"]
        return Decision(kind=kind, decided_by=data["decided_by"], operation=operation, details=details)


DecisionFormSet = forms.formset_factory(DecisionForm, extra=3)


def decision_formset(roadmap, data=None) -> forms.BaseFormSet:
    """The decisions' formset for the meeting's roadmap: its operations to choose from."""
    operations = roadmap.operations.order_by("number")
    return DecisionFormSet(data, prefix=DECISION_PREFIX, form_kwargs={"operations": operations})


def filled_decisions(formset) -> list[Decision]:
    """The decisions of the rows filled in (a valid formset), in their order."""
    return [form.decision() for form in formset.forms if form.has_changed() and form.cleaned_data.get("kind")]
