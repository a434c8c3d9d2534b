"""The forms of the roadmap pages: an operation added or edited, a dossier linked by its reference.
They check the input; the services check the rules (amounts, status, access)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.models import Organisation, Theme
from roadmaps.enums import OperationStatus, Priority
from roadmaps.models import RoadmapOperation
from roadmaps.services import NewOperation

FIRST_YEAR, LAST_YEAR = 2020, 2040


class OperationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    sponsor = forms.ModelChoiceField(
        label=_("Sponsor"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_("A sponsor of the territory's dossiers, if it is one."),
    )
    sponsor_name = forms.CharField(
        label=_("Sponsor (if not in the list)"),
        max_length=200,
        required=False,
        help_text=_("Leave empty when the sponsor is not known yet."),
    )
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all())
    axis = forms.CharField(label=_("Axis of the contract"), max_length=200, required=False)
    estimated_cost = forms.DecimalField(label=_("Estimated cost (€)"), max_digits=14, decimal_places=2, min_value=0)
    expected_support = forms.DecimalField(
        label=_("Expected regional support (€)"), max_digits=14, decimal_places=2, min_value=0
    )
    expected_year = forms.IntegerField(label=_("Expected year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.MEDIUM)

    def __init__(self, *args, territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sponsor"].queryset = Organisation.objects.filter(dossiers__territory=territory).distinct()

    def clean(self):
        data = super().clean()
        if data.get("sponsor") and data.get("sponsor_name", "").strip():
            self.add_error("sponsor_name", _("Choose a sponsor in the list or write its name, not both."))
        cost, support = data.get("estimated_cost"), data.get("expected_support")
        if cost is not None and support is not None and support > cost:
            self.add_error("expected_support", _("The expected support cannot exceed the estimated cost."))
        return data

    def new_operation(self) -> NewOperation:
        data = self.cleaned_data
        return NewOperation(
            title=data["title"].strip(),
            theme=data["theme"],
            estimated_cost=data["estimated_cost"],
            expected_support=data["expected_support"],
            expected_year=data["expected_year"],
            axis=data["axis"].strip(),
            priority=data["priority"],
            sponsor=data["sponsor"],
            sponsor_name=data["sponsor_name"].strip(),
        )


class OperationEditForm(OperationForm):
    """The operation's fields, and its status while no dossier realises it."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (OperationStatus.IDENTIFIED, OperationStatus.IDENTIFIED.label),
            (OperationStatus.UNDER_CONSTRUCTION, OperationStatus.UNDER_CONSTRUCTION.label),
        ],
    )

    def __init__(self, *args, operation: RoadmapOperation, **kwargs):
        initial = {
            "title": operation.title,
            "sponsor": operation.sponsor_id,
            "sponsor_name": operation.sponsor_name,
            "theme": operation.theme_id,
            "axis": operation.axis,
            "estimated_cost": operation.estimated_cost,
            "expected_support": operation.expected_support,
            "expected_year": operation.expected_year,
            "priority": operation.priority,
            "status": operation.status,
        }
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, territory=operation.roadmap.contract.territory, **kwargs)
        if operation.dossier_id is not None or operation.status not in dict(self.fields["status"].choices):
            # The dossier's lifecycle (or a meeting) set the status: it is not edited here.
            del self.fields["status"]

    def changes(self) -> dict:
        """The fields as `operation_update` takes them."""
        new = self.new_operation().__dict__
        if "status" in self.cleaned_data:
            new["status"] = self.cleaned_data["status"]
        return new


class LinkDossierForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference of the dossier"),
        max_length=30,
        help_text=_("A dossier of the same contract that realises no other operation."),
    )

    def __init__(self, *args, dossiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.dossiers = dossiers

    def clean_reference(self):
        reference = self.cleaned_data["reference"].strip()
        dossier = self.dossiers.filter(reference__iexact=reference).first()
        if dossier is None:
            raise forms.ValidationError(
                _("No dossier of this contract with this reference is free to realise the operation."),
                code="unknown_dossier",
            )
        self.dossier = dossier
        return reference
