"""Territorial engineering as the API shows and takes it: the post an engineering dossier funds and its
yearly activity reports. The writing serializers type the input and run the portal's own forms
(`engineering.forms`) on it; `engineering.services` checks the rules and writes."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.dossiers import form_cleaned_data
from api.serializers.portal import absolute
from dossiers.enums import ContractStatus
from dossiers.models import Contract, Organisation
from engineering.forms import HUNDRED, EngineeringPostForm, NewEngineeringPostForm
from engineering.models import ActivityReport, EngineeringPost
from portal.selectors import sponsor_organisation_list

MONEY = {"max_digits": 14, "decimal_places": 2}


class EngineeringPostSerializer(serializers.ModelSerializer):
    """The post as saved; its amounts are computed from the annual cost, the period and the rate."""

    regional_rate = serializers.SerializerMethodField()

    class Meta:
        model = EngineeringPost
        fields = [
            "dossier",
            "post_title",
            "holder_name",
            "period_start",
            "period_end",
            "months",
            "annual_cost",
            "regional_rate",
            "regional_amount",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "months": {"help_text": gettext_lazy("Length of the period in whole months (computed).")},
            "regional_amount": {
                "help_text": gettext_lazy(
                    "The Region's grant asked: annual cost × months / 12 × rate, rounded half-up to the cent "
                    "(computed; it is the dossier's amount requested)."
                )
            },
        }

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2))
    def get_regional_rate(self, post) -> Decimal:
        """The rate asked of the Region, in percent (50.00 for half the cost)."""
        return f"{(post.regional_rate * HUNDRED).quantize(Decimal('0.01'))}"


class EngineeringPostWriteSerializer(serializers.Serializer):
    """The portal's post form (`engineering.forms.EngineeringPostForm`), field for field."""

    post_title = serializers.CharField(
        max_length=200, help_text=gettext_lazy("The post, e.g. chargé de mission tourism and local economy.")
    )
    holder_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Holder of the post; empty while the recruitment is pending."),
    )
    period_start = serializers.DateField(
        help_text=gettext_lazy("Start of the period: today or later (not before the dossier is submitted).")
    )
    period_end = serializers.DateField(
        help_text=gettext_lazy(
            "End of the period: whole months, 36 at most (from 1 March 2026, 12 months end on 28 February 2027)."
        )
    )
    annual_cost = serializers.DecimalField(
        **MONEY,
        help_text=gettext_lazy("Annual cost of the post (euros): gross salary, employer's charges and running costs."),
    )
    regional_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=HUNDRED,
        help_text=gettext_lazy(
            "Rate asked of the Region, in percent (at most 100 % minus the self-financing share the rules require)."
        ),
    )

    form_class = EngineeringPostForm

    def form_data(self, attrs) -> dict:
        return {
            "post_title": attrs["post_title"],
            "holder_name": attrs.get("holder_name", ""),
            "period_start": attrs["period_start"].isoformat(),
            "period_end": attrs["period_end"].isoformat(),
            "annual_cost": str(attrs["annual_cost"]),
            "regional_rate": str(attrs["regional_rate"]),
        }

    def make_form(self, attrs):
        return self.form_class(data=self.form_data(attrs))

    def validate(self, attrs):
        form = self.make_form(attrs)
        form_cleaned_data(form)
        return {**attrs, "post": form.post_data()}


class EngineeringDossierCreateSerializer(EngineeringPostWriteSerializer):
    """The portal's page `porteur/ingenierie/nouveau/` (`engineering.forms.NewEngineeringPostForm`): the
    employer, the contract, then the post."""

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(),
        help_text=gettext_lazy("One of your organisations (id): the employer of the post and sponsor of the dossier."),
    )
    contract = serializers.PrimaryKeyRelatedField(
        queryset=Contract.objects.filter(status=ContractStatus.SIGNED),
        help_text=gettext_lazy("The signed contract of the territory the post works for (id, see /api/v1/contracts/)."),
    )

    form_class = NewEngineeringPostForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["organisation"].queryset = sponsor_organisation_list(request.user)

    def make_form(self, attrs):
        data = {**self.form_data(attrs), "organisation": attrs["organisation"].pk, "contract": attrs["contract"].pk}
        return self.form_class(data=data, user=self.context["request"].user)


class ActivityReportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    submitted_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ActivityReport
        fields = [
            "id",
            "year",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "submitted_by",
            "submitted_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, report) -> str:
        """The file, from `GET /api/v1/dossiers/{dossier_pk}/activity-reports/{id}/download/`."""
        dossier_pk = self.context.get("dossier_pk") or report.post.dossier_id
        return absolute(self.context, reverse("api:dossier-activity-report-download", args=[dossier_pk, report.pk]))


class ActivityReportUploadSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        help_text=gettext_lazy("The calendar year reported on: one of the years the post's period touches.")
    )
    file = serializers.FileField(
        help_text=gettext_lazy(
            "The report: a PDF document, recognised by its content (never its name), within the size limit."
        )
    )
