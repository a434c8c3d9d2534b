"""Roadmaps and follow-up meetings as the API shows them: a contract's roadmap with its operations and their
planned / filed / funded / paid figures, the meetings with their participants and decisions. The figures,
statuses set by the dossiers, numbers and versions are read-only; the inputs are validated here for their
types only, `roadmaps.services` decides the rest."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.models import DocumentJob
from dossiers.models import Contract, Organisation, Theme
from roadmaps.enums import DecisionKind, OperationStatus, Priority
from roadmaps.meetings import meeting_decision_list
from roadmaps.models import FollowUpMeeting, MeetingDecision, RoadmapOperation

MONEY = {"max_digits": 14, "decimal_places": 2}


class FiguresSerializer(serializers.Serializer):
    planned = serializers.DecimalField(read_only=True, help_text=_("Expected support, unless abandoned."), **MONEY)
    filed = serializers.DecimalField(read_only=True, help_text=_("Requested by the dossiers filed."), **MONEY)
    funded = serializers.DecimalField(read_only=True, help_text=_("Granted (final grant once fixed)."), **MONEY)
    paid = serializers.DecimalField(read_only=True, help_text=_("Paid by the paid payment requests."), **MONEY)


class AxisFiguresSerializer(FiguresSerializer):
    axis = serializers.CharField(read_only=True)


class ThemeFiguresSerializer(FiguresSerializer):
    theme_id = serializers.IntegerField(read_only=True)
    theme = serializers.CharField(read_only=True)


class SummarySerializer(serializers.Serializer):
    by_axis = AxisFiguresSerializer(many=True, read_only=True)
    by_theme = ThemeFiguresSerializer(many=True, read_only=True)
    total = FiguresSerializer(read_only=True)


class RoadmapListSerializer(serializers.ModelSerializer):
    """A contract whose roadmap the caller follows, with its version and totals."""

    contract = serializers.IntegerField(source="pk", read_only=True)
    territory = serializers.IntegerField(source="territory_id", read_only=True)
    version = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = ["contract", "name", "territory", "generation", "version", "totals"]
        read_only_fields = fields

    def get_version(self, contract) -> int:
        """The roadmap's current version (0: nothing recorded yet)."""
        return contract.roadmap.version if hasattr(contract, "roadmap") else 0

    @extend_schema_field(FiguresSerializer(allow_null=True))
    def get_totals(self, contract):
        """The roadmap's totals; null without any operation."""
        totals = self.context.get("totals", {}).get(contract.pk)
        return FiguresSerializer(totals).data if totals is not None else None


class OperationSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="roadmap.contract_id", read_only=True)
    dossier_reference = serializers.SerializerMethodField()

    class Meta:
        model = RoadmapOperation
        fields = [
            "id",
            "contract",
            "number",
            "title",
            "sponsor",
            "sponsor_name",
            "theme",
            "axis",
            "estimated_cost",
            "expected_support",
            "expected_year",
            "priority",
            "status",
            "dossier",
            "dossier_reference",
            "updated_at",
        ]
        read_only_fields = fields

    def get_dossier_reference(self, operation) -> str:
        return operation.dossier.reference if operation.dossier_id else ""


class OperationWithFiguresSerializer(OperationSerializer):
    planned_amount = serializers.DecimalField(read_only=True, **MONEY)
    filed_amount = serializers.DecimalField(read_only=True, **MONEY)
    funded_amount = serializers.DecimalField(read_only=True, **MONEY)
    paid_amount = serializers.DecimalField(read_only=True, **MONEY)

    class Meta(OperationSerializer.Meta):
        fields = [*OperationSerializer.Meta.fields, "planned_amount", "filed_amount", "funded_amount", "paid_amount"]
        read_only_fields = fields


class MeetingSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpMeeting
        fields = ["id", "held_on"]
        read_only_fields = fields


class RoadmapDetailSerializer(serializers.Serializer):
    contract = RoadmapListSerializer(read_only=True)
    version = serializers.IntegerField(read_only=True)
    operations = OperationWithFiguresSerializer(many=True, read_only=True)
    summary = SummarySerializer(read_only=True)
    meetings = MeetingSummarySerializer(many=True, read_only=True)


class OperationWriteSerializer(serializers.Serializer):
    """An operation's fields: all needed to add one (with `contract`); any of them to change one."""

    contract = serializers.IntegerField(help_text=_("The contract whose roadmap gets the operation (add only)."))
    title = serializers.CharField(max_length=200)
    theme = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all())
    estimated_cost = serializers.DecimalField(min_value=0, **MONEY)
    expected_support = serializers.DecimalField(
        min_value=0, help_text=_("The regional support expected, at most the estimated cost."), **MONEY
    )
    expected_year = serializers.IntegerField(min_value=2000, max_value=2100)
    axis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.MEDIUM)
    sponsor = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True, default=None
    )
    sponsor_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("A sponsor not registered.")
    )
    status = serializers.ChoiceField(
        choices=OperationStatus.choices,
        required=False,
        help_text=_("Change only: between identified and under_construction, before a dossier realises the operation."),
    )


class LinkDossierSerializer(serializers.Serializer):
    dossier = serializers.IntegerField(help_text=_("A dossier of the same contract you see, realising no operation."))


class ParticipantSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "name"]
        read_only_fields = fields

    def get_name(self, user) -> str:
        return user.get_full_name() or user.get_username()


class DecisionSerializer(serializers.ModelSerializer):
    operation_number = serializers.IntegerField(source="operation.number", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = MeetingDecision
        fields = ["id", "kind", "operation", "operation_number", "details", "decided_by", "version"]
        read_only_fields = fields


class MeetingListSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="roadmap.contract_id", read_only=True)
    participant_count = serializers.IntegerField(read_only=True)
    decision_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FollowUpMeeting
        fields = ["id", "contract", "held_on", "created_at", "participant_count", "decision_count"]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingListSerializer):
    participants = ParticipantSerializer(many=True, read_only=True)
    decisions = serializers.SerializerMethodField()

    class Meta(MeetingListSerializer.Meta):
        fields = [*MeetingListSerializer.Meta.fields, "participants", "partners", "agenda", "minutes", "decisions"]
        read_only_fields = fields

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, meeting):
        """The decisions recorded at the meeting, in their order, with the roadmap version each wrote."""
        return DecisionSerializer(meeting_decision_list(meeting), many=True).data


class MeetingWriteSerializer(serializers.Serializer):
    """A meeting prepared (with `contract`), or changed (any field but `contract`)."""

    contract = serializers.IntegerField(help_text=_("The contract whose follow-up meeting it is (create only)."))
    held_on = serializers.DateField()
    participants = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=_("Users' ids: officers or elected representatives of the contract's territory."),
    )
    partners = serializers.CharField(required=False, allow_blank=True, default="")
    agenda = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.CharField(required=False, allow_blank=True, help_text=_("Change only."))


class DecisionInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    decided_by = serializers.CharField(max_length=200, help_text=_("Who took the decision (the meeting, its chair…)."))
    operation = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("The operation (modify_estimate, postpone, abandon).")
    )
    title = serializers.CharField(max_length=200, required=False, help_text=_("add"))
    theme = serializers.PrimaryKeyRelatedField(queryset=Theme.objects.all(), required=False, help_text=_("add"))
    axis = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, default=Priority.MEDIUM)
    sponsor_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    estimated_cost = serializers.DecimalField(min_value=0, required=False, help_text=_("add, modify_estimate"), **MONEY)
    expected_support = serializers.DecimalField(
        min_value=0, required=False, help_text=_("add, modify_estimate"), **MONEY
    )
    expected_year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, help_text=_("add, postpone")
    )
    reason = serializers.CharField(max_length=500, required=False, help_text=_("abandon"))

    NEEDED = {
        DecisionKind.ADD: ("title", "theme", "estimated_cost", "expected_support", "expected_year"),
        DecisionKind.MODIFY_ESTIMATE: ("operation", "estimated_cost", "expected_support"),
        DecisionKind.POSTPONE: ("operation", "expected_year"),
        DecisionKind.ABANDON: ("operation", "reason"),
    }

    def validate(self, data):
        missing = {
            name: _("Needed for this decision.") for name in self.NEEDED[data["kind"]] if data.get(name) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing, code="required")
        return data


class DecisionsPayloadSerializer(serializers.Serializer):
    decisions = DecisionInputSerializer(
        many=True, help_text=_("Applied together (all or nothing) as one new version of the roadmap.")
    )


class MinutesJobSerializer(serializers.ModelSerializer):
    """The minutes' rendering: `document` (then in `GET /api/v1/documents/`) once `status` is done."""

    class Meta:
        model = DocumentJob
        fields = ["id", "number", "version", "status", "requested_at", "finished_at", "document"]
        read_only_fields = fields
