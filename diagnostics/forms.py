from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from diagnostics.imports import MAX_YEAR, MIN_YEAR
from diagnostics.models import METHOD_FIELDS, VALUE, ClassificationMethod
from diagnostics.services import Entry
from dossiers.enums import ContractType

MAX_IMPORT_SIZE = 2 * 1024 * 1024


class DiagnosticValuesForm(forms.Form):
    """The values of a diagnostic, one line per indicator (value, source, year of the data); an empty
    value removes the indicator's value. With `territories`, the territory and vintage are chosen too."""

    def __init__(self, *args, indicators, territories=None, values=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        if territories is not None:
            self.fields["territory"] = forms.ModelChoiceField(label=gettext_lazy("Territory"), queryset=territories)
            self.fields["vintage"] = forms.IntegerField(
                label=gettext_lazy("Vintage"), min_value=MIN_YEAR, max_value=MAX_YEAR
            )
        values = values or {}
        for indicator in self.indicators:
            current = values.get(indicator.pk)
            self.fields[f"value_{indicator.code}"] = forms.DecimalField(
                label=f"{indicator.label} ({indicator.unit})",
                required=False,
                localize=True,
                initial=current.value if current else None,
                **VALUE,
            )
            self.fields[f"source_{indicator.code}"] = forms.CharField(
                label=gettext_lazy("Source"), required=False, max_length=300, initial=current.source if current else ""
            )
            self.fields[f"year_{indicator.code}"] = forms.IntegerField(
                label=gettext_lazy("Year of the data"),
                required=False,
                min_value=MIN_YEAR,
                max_value=MAX_YEAR,
                initial=current.year if current else None,
            )

    def rows(self):
        """The indicators with their three fields, for the template's table."""
        return [
            (
                indicator,
                self[f"value_{indicator.code}"],
                self[f"source_{indicator.code}"],
                self[f"year_{indicator.code}"],
            )
            for indicator in self.indicators
        ]

    def clean(self):
        data = super().clean()
        for indicator in self.indicators:
            if data.get(f"value_{indicator.code}") is None:
                continue
            if not (data.get(f"source_{indicator.code}") or "").strip():
                self.add_error(f"source_{indicator.code}", _("Give the source of the value."))
            if data.get(f"year_{indicator.code}") is None:
                self.add_error(f"year_{indicator.code}", _("Give the year of the data."))
        return data

    def entries(self) -> dict:
        data = self.cleaned_data
        return {
            indicator: None
            if data[f"value_{indicator.code}"] is None
            else Entry(
                value=data[f"value_{indicator.code}"],
                source=data[f"source_{indicator.code}"].strip(),
                year=data[f"year_{indicator.code}"],
            )
            for indicator in self.indicators
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "Columns: territory code, vintage, indicator code, value, source, year (a header line names them). "
            "Separator ; or , — decimal comma or point. Nothing is saved if a line is faulty."
        ),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_IMPORT_SIZE:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return file


class MethodForm(forms.ModelForm):
    """The next version of the method, starting from the current one."""

    class Meta:
        model = ClassificationMethod
        fields = [*METHOD_FIELDS, "note"]
        localized_fields = [name for name in METHOD_FIELDS if name != "relative_contract_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in METHOD_FIELDS}


class ClassifyForm(forms.Form):
    vintage = forms.TypedChoiceField(label=gettext_lazy("Vintage"), coerce=int, choices=())

    def __init__(self, *args, vintages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vintage"].choices = [(vintage, vintage) for vintage in vintages]


class OverrideForm(forms.Form):
    contract_type = forms.ChoiceField(label=gettext_lazy("Contract type"), choices=ContractType.choices)
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required: why this contract rather than the computed proposal."),
    )
