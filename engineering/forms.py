"""Forms of territorial engineering (sponsor side): they validate what is typed; `engineering.services`
checks the rules and writes."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.enums import ContractStatus
from dossiers.models import Contract
from engineering.services import EngineeringPostData
from portal.fields import AmountField
from portal.forms import DATE_WIDGET, PieceUploadForm
from portal.selectors import sponsor_organisation_list

HUNDRED = Decimal(100)


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_generation_display()}) — {obj.territory.name}"


class EngineeringPostForm(forms.Form):
    """The post: what it is, who holds it, for how long, what it costs and the rate asked of the Region."""

    post_title = forms.CharField(
        label=_("Post"), max_length=200, help_text=_("For example: chargé de mission tourism and local economy.")
    )
    holder_name = forms.CharField(
        label=_("Holder of the post"),
        max_length=200,
        required=False,
        help_text=_("Leave empty while the recruitment is pending."),
    )
    period_start = forms.DateField(
        label=_("Start of the period"),
        widget=DATE_WIDGET,
        help_text=_("It must not start before the dossier is submitted."),
    )
    period_end = forms.DateField(
        label=_("End of the period"),
        widget=DATE_WIDGET,
        help_text=_("Whole months, 3 years at most: from 1 March 2026, 12 months end on 28 February 2027."),
    )
    annual_cost = AmountField(
        label=_("Annual cost of the post (€)"), help_text=_("Gross salary, employer's charges and running costs.")
    )
    regional_rate = forms.DecimalField(
        label=_("Rate asked of the Region (%)"),
        min_value=Decimal("0.01"),
        max_value=HUNDRED,
        max_digits=5,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def post_data(self) -> EngineeringPostData:
        data = self.cleaned_data
        return EngineeringPostData(
            post_title=data["post_title"],
            holder_name=data["holder_name"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            annual_cost=data["annual_cost"],
            regional_rate=data["regional_rate"] / HUNDRED,
        )

    @staticmethod
    def initial_for(post) -> dict:
        return {
            "post_title": post.post_title,
            "holder_name": post.holder_name,
            "period_start": post.period_start,
            "period_end": post.period_end,
            "annual_cost": post.annual_cost,
            "regional_rate": (post.regional_rate * HUNDRED).normalize(),
        }


class NewEngineeringPostForm(EngineeringPostForm):
    """The organisation that employs the post and the contract it is funded under come first."""

    organisation = forms.ModelChoiceField(label=_("Employer (your organisation)"), queryset=None, empty_label=None)
    contract = ContractChoiceField(
        label=_("Contract"),
        queryset=Contract.objects.filter(status=ContractStatus.SIGNED).select_related("territory"),
        empty_label="—",
        help_text=_("The signed contract of the territory the post works for."),
    )
    field_order = ["organisation", "contract"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = sponsor_organisation_list(user)


class ActivityReportForm(PieceUploadForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["file"].label = _("Activity report (PDF)")
        self.fields["file"].widget.attrs["accept"] = ".pdf,application/pdf"
        self.order_fields(["year", "file"])
