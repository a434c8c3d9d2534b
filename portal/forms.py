"""Forms of the sponsor portal: they validate what is typed; the services in `portal.services` and
`dossiers.services` write."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.enums import FunderKind, FundingStatus, LegalForm, SelfFinancingExemption, TaxBasis
from dossiers.identifiers import normalise_rna, normalise_siret
from dossiers.models import Dossier, Theme
from portal.fields import AmountField, CommuneField, CommuneListField
from portal.selectors import sponsor_organisation_list

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SignUpForm(UserCreationForm):
    """Username, e-mail, name and password (checked by Django's password validators)."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account already uses this e-mail address: log in with it."), code="email_taken")
        return email


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=[("", "—"), *LegalForm.choices])
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        required=False,
        help_text=_("14 digits, on your INSEE notice or Kbis. Associations without a SIRET give their RNA number."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    rna = forms.CharField(
        label=_("RNA number (associations)"),
        max_length=12,
        required=False,
        help_text=_("The letter W followed by 9 digits, for example W332001234."),
    )
    address = forms.CharField(
        label=_("Address"),
        max_length=250,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    commune = CommuneField(
        label=_("Commune of the registered office"),
        required=False,
        help_text=_("Type the first letters of its name or its postcode."),
    )
    email = forms.EmailField(label=_("Contact e-mail"), required=False)

    # Where each error code of `dossiers.services.organisation_create` is shown.
    ERROR_FIELDS = {
        "identifier_missing": "siret",
        "siret_required": "siret",
        "siret_taken": "siret",
        "rna_taken": "rna",
        "rna_format": "rna",
    }

    def error_field(self, code: str | None) -> str | None:
        if code and code.startswith("siret"):
            return "siret"
        return self.ERROR_FIELDS.get(code or "")


class JoinRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("SIRET or RNA number of the organisation"),
        max_length=20,
        help_text=_("The organisation must already be registered here."),
    )
    message = forms.CharField(
        label=_("Message to its members (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Say who you are and why you join, so that they recognise you."),
    )

    def clean_identifier(self):
        value = "".join(self.cleaned_data["identifier"].split()).upper()
        if value.startswith("W"):
            return {"rna": normalise_rna(value)}
        return {"siret": normalise_siret(value)}


# The dossier form ---------------------------------------------------------------------------------------


class ProjectForm(forms.Form):
    """Step (a): what the project is, and which of the user's organisations carries it."""

    organisation = forms.ModelChoiceField(label=_("Sponsor (your organisation)"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Title of the project"), max_length=200)
    object = forms.CharField(
        label=_("Object"),
        max_length=256,
        help_text=_("What the grant pays for, in one sentence (256 characters at most)."),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 256}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The needs it answers, what will be done, by whom, for whom."),
    )
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all(), empty_label="—")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = sponsor_organisation_list(user)


class NewProjectForm(ProjectForm):
    requested_amount = AmountField(
        label=_("Amount you will request from the Region (€)"),
        help_text=_("It becomes the Region's line of the financing plan, which you complete later."),
    )


class PlaceForm(forms.Form):
    """Step (b): the communes, hence the territory and its signed contract."""

    communes = CommuneListField(
        label=_("Communes where the project takes place"),
        help_text=_("They must all belong to the same territory: the dossier falls under its contract."),
    )


class DatesForm(forms.Form):
    """Step (c): when the work is planned. It must not start before the dossier is submitted."""

    planned_start = forms.DateField(
        label=_("Planned start of work"),
        widget=DATE_WIDGET,
        help_text=_("Work must not start before the dossier is submitted."),
    )
    planned_end = forms.DateField(label=_("Planned end of work"), widget=DATE_WIDGET)

    def clean_planned_start(self):
        start = self.cleaned_data["planned_start"]
        if start < timezone.localdate():
            raise ValidationError(
                _("Work must not start before the dossier is submitted: choose today or a later date."),
                code="start_in_the_past",
            )
        return start

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("planned_start"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", _("The end of the work cannot come before its start."))
        return cleaned


class ExpenseLineForm(forms.Form):
    label = forms.CharField(label=_("Expense"), max_length=200)
    amount = AmountField(label=_("Amount (€)"))
    is_eligible = forms.BooleanField(label=_("Eligible"), required=False, initial=True)


class FundingLineForm(forms.Form):
    funder_kind = forms.ChoiceField(label=_("Funder"), choices=[("", "—"), *FunderKind.choices])
    funder_name = forms.CharField(label=_("Name of the funder or scheme"), max_length=200, required=False)
    amount = AmountField(label=_("Amount (€)"))
    status = forms.ChoiceField(label=_("Status"), choices=FundingStatus.choices, initial=FundingStatus.REQUESTED)


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        """The lines kept: filled in and not marked for removal."""
        return [
            {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]


ExpenseFormSet = forms.formset_factory(ExpenseLineForm, formset=BaseLineFormSet, extra=2, can_delete=True)
FundingFormSet = forms.formset_factory(FundingLineForm, formset=BaseLineFormSet, extra=2, can_delete=True)


class PlanOptionsForm(forms.Form):
    tax_basis = forms.ChoiceField(
        label=_("The amounts are stated"), choices=TaxBasis.choices, widget=forms.RadioSelect, initial=TaxBasis.HT
    )
    self_financing_exemption = forms.ChoiceField(
        label=_("Exemption from the self-financing rule"),
        choices=SelfFinancingExemption.choices,
        required=False,
        help_text=_("Only in the cases the law provides (CGCT L1111-10); the officer checks the proof."),
    )

    def __init__(self, *args, public_law: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not public_law:
            del self.fields["self_financing_exemption"]


class PieceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (PDF, PNG or JPEG)"),
        widget=forms.FileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )


class SubmitForm(forms.Form):
    certify = forms.BooleanField(
        label=_(
            "I certify that the information given is accurate and that the work has not started before the "
            "submission of this dossier."
        ),
        error_messages={"required": _("Tick this box to certify the dossier before submitting it.")},
    )


def project_initial(dossier: Dossier) -> dict:
    return {
        "organisation": dossier.organisation_id,
        "title": dossier.title,
        "object": dossier.object,
        "description": dossier.description,
        "theme": dossier.theme_id,
    }


class OrientationForm(forms.Form):
    commune = CommuneField(
        label=_("Commune where the project takes place"),
        help_text=_("Type the first letters of its name or its postcode, then choose it in the list."),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme of the project"),
        queryset=Theme.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("— not decided yet —"),
    )
    legal_form = forms.ChoiceField(label=_("Legal form of the sponsor"), choices=[("", "—"), *LegalForm.choices])
