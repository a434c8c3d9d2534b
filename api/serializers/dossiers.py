"""Dossiers as the API shows them. Every field the procedure sets (state, reference, territory, the
review's proposal, the committee's grant, the dates of each step) is read-only."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from dossiers.models import Dossier, Organisation


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
