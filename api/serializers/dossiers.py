"""Dossiers as the API shows them, and the drafts as their sponsor writes them. Every field the procedure
sets (state, reference, territory, the review's proposal, the committee's grant, the dates of each step)
is read-only: the writing serializers do not have them, so sending them changes nothing."""

from decimal import Decimal

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from api.exceptions import NON_FIELD_ERRORS
from dossiers.enums import SelfFinancingExemption, TaxBasis
from dossiers.models import Commune, Dossier, Organisation, Theme
from portal.forms import DatesForm
from portal.selectors import sponsor_organisation_list


class OrganisationSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name"]
        read_only_fields = fields


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)


LIST_FIELDS = [
    "id",
    "reference",
    "kind",
    "state",
    "title",
    "organisation",
    "territory",
    "contract",
    "theme",
    "requested_amount",
    "proposed_amount",
    "granted_amount",
    "created_at",
    "submitted_at",
    "decided_at",
    "state_changed_at",
]


class DossierListSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)

    class Meta:
        model = Dossier
        fields = LIST_FIELDS
        read_only_fields = fields


class DossierDetailSerializer(DossierListSerializer):
    communes = serializers.SlugRelatedField(slug_field="insee", many=True, read_only=True)
    transitions = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            *LIST_FIELDS,
            "object",
            "description",
            "communes",
            "planned_start",
            "planned_end",
            "tax_basis",
            "self_financing_exemption",
            "rule_set",
            "resubmitted_at",
            "completeness_decided_on",
            "pieces_due_on",
            "eligible_base",
            "convention_decided",
            "envelope",
            "notified_on",
            "agreement_signed_on",
            "final_amount",
            "closed_at",
            "transitions",
        ]
        read_only_fields = fields

    @extend_schema_field(AvailableTransitionSerializer(many=True))
    def get_transitions(self, dossier):
        """The transitions the caller may fire now through `POST .../transitions/{name}/`."""
        from api.views.transitions import available_transitions

        request = self.context.get("request")
        if request is None:
            return []
        return [{"name": spec.name, "label": str(spec.label)} for spec in available_transitions(request.user, dossier)]


# Writing drafts ---------------------------------------------------------------------------------------


def form_cleaned_data(form) -> dict:
    """Runs one of the portal's forms on values already typed by the serializer, so that the API applies
    exactly the web UI's rules; the form's errors become the API's field errors, with their codes."""
    if not form.is_valid():
        raise serializers.ValidationError(
            {
                (NON_FIELD_ERRORS if name == "__all__" else name): [
                    ErrorDetail(message, code=error.code or "invalid") for error in errors for message in error.messages
                ]
                for name, errors in form.errors.as_data().items()
            }
        )
    return form.cleaned_data


def check_dates(planned_start, planned_end) -> None:
    """The dates step's rules (`portal.forms.DatesForm`): work starts today or later, ends after it starts."""
    form_cleaned_data(
        DatesForm(data={"planned_start": planned_start.isoformat(), "planned_end": planned_end.isoformat()})
    )


class DraftFieldsMixin(serializers.Serializer):
    """The fields the sponsor types, as on the portal's steps (project, place, dates)."""

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(),
        help_text=gettext_lazy("One of your organisations (id): the sponsor of the dossier."),
    )
    theme = serializers.PrimaryKeyRelatedField(
        queryset=Theme.objects.all(), help_text=gettext_lazy("The theme (id, see /api/v1/themes/).")
    )
    title = serializers.CharField(max_length=200, help_text=gettext_lazy("Title of the project."))
    object = serializers.CharField(
        max_length=256, help_text=gettext_lazy("What the grant pays for, in one sentence (256 characters at most).")
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("The needs it answers, what will be done, by whom, for whom."),
    )
    communes = serializers.SlugRelatedField(
        slug_field="insee",
        queryset=Commune.objects.all(),
        many=True,
        allow_empty=False,
        help_text=gettext_lazy(
            "INSEE codes of the communes where the project takes place: all of one territory, whose signed "
            "contract the dossier falls under."
        ),
    )
    planned_start = serializers.DateField(
        help_text=gettext_lazy("Planned start of work: today or later (work must not start before submission).")
    )
    planned_end = serializers.DateField(help_text=gettext_lazy("Planned end of work, not before its start."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["organisation"].queryset = sponsor_organisation_list(request.user)


class DossierCreateSerializer(DraftFieldsMixin):
    """The portal's first page (`portal.views.dossiers.dossier_new`): project, communes and dates."""

    requested_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=gettext_lazy(
            "Amount requested from the Region (euros): it becomes the Region's line of the financing plan, "
            "which then sets it."
        ),
    )

    def validate(self, attrs):
        check_dates(attrs["planned_start"], attrs["planned_end"])
        return attrs


class DossierUpdateSerializer(DraftFieldsMixin):
    """A partial edit of a draft (or of an incomplete dossier): only the fields sent change, each group
    through the service of its portal step. Every other field of the dossier is read-only here."""

    tax_basis = serializers.ChoiceField(
        choices=TaxBasis.choices, help_text=gettext_lazy("Whether the financing plan's amounts are HT or TTC.")
    )
    self_financing_exemption = serializers.ChoiceField(
        choices=SelfFinancingExemption.choices,
        allow_blank=True,
        help_text=gettext_lazy(
            "Exemption from the self-financing rule claimed (public-law owners only; ignored for the others)."
        ),
    )

    PROJECT_FIELDS = ("organisation", "theme", "title", "object", "description")
    DATE_FIELDS = ("planned_start", "planned_end")
    PLAN_FIELDS = ("tax_basis", "self_financing_exemption")

    def validate(self, attrs):
        dossier = self.instance
        if any(name in attrs for name in self.DATE_FIELDS):
            check_dates(
                attrs.get("planned_start", dossier.planned_start), attrs.get("planned_end", dossier.planned_end)
            )
        return attrs
