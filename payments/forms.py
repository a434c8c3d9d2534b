"""The forms of the payment requests: they read and check what was sent, the services decide."""

import uuid
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from payments.models import PaymentKind
from payments.services import StatementLine

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0.01"))]}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class PaymentRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type of payment"), choices=PaymentKind.choices, widget=forms.RadioSelect)
    requested_amount = forms.DecimalField(
        label=_("Amount of the advance asked"),
        required=False,
        help_text=_("Leave empty to ask for the maximum the rules allow."),
        **MONEY_FIELD,
    )
    invoices = MultipleFileField(
        label=_("Invoices (PDF, PNG or JPEG)"),
        required=False,
        help_text=_("The invoices of the statement's lines; you can select several files."),
    )
    completion_statement = forms.FileField(
        label=_("Completion statement (balance)"),
        required=False,
        help_text=_("For the balance: the statement that the project is complete, signed by the legal representative."),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class StatementLineForm(forms.Form):
    supplier = forms.CharField(label=_("Supplier"), max_length=200)
    invoice_reference = forms.CharField(label=_("Invoice reference"), max_length=100)
    invoice_date = forms.DateField(label=_("Invoice date"), widget=forms.DateInput(attrs={"type": "date"}))
    amount_ht = forms.DecimalField(label=_("Amount excl. VAT"), **MONEY_FIELD)
    amount_ttc = forms.DecimalField(label=_("Amount incl. VAT"), **MONEY_FIELD)
    is_eligible = forms.BooleanField(label=_("Eligible"), required=False, initial=True)

    def line(self) -> StatementLine:
        return StatementLine(**self.cleaned_data)


StatementFormSet = forms.formset_factory(StatementLineForm, extra=6, max_num=200, absolute_max=200)


def statement_lines(formset) -> list[StatementLine]:
    """The filled lines (untouched rows are ignored)."""
    return [form.line() for form in formset.forms if form.has_changed() and form.cleaned_data]


class CheckForm(forms.Form):
    """The officer's check: a reason per line to exclude (empty keeps the line), and a comment."""

    comment = forms.CharField(
        label=_("Comment to the sponsor and finance"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"exclude_{line.pk}"] = forms.CharField(
                label=_("Reason to exclude %(line)s") % {"line": line}, required=False, max_length=500
            )

    def exclusions(self) -> dict[int, str]:
        return {
            line.pk: self.cleaned_data[f"exclude_{line.pk}"]
            for line in self.lines
            if self.cleaned_data.get(f"exclude_{line.pk}", "").strip()
        }

    def line_fields(self):
        return [(line, self[f"exclude_{line.pk}"]) for line in self.lines]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
