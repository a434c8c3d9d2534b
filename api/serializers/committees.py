"""The Commission permanente as the API shows it: sessions, their agenda items with the votes' counts
and results, scenarios with their figures, the members' declared interests; and the payloads of the
secretariat's actions. Everything the procedure sets (status, results, amounts voted, deliberation
numbers, a scenario's session) is read-only: only the actions change it, through the web UI's services
and, where the web UI has one, its form."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.transitions import FormPayloadSerializer
from committees.forms import SessionForm
from committees.models import CAST_CHOICES, AgendaItem, Body, MemberInterest, Scenario, SessionStatus, VoteChoice
from committees.selectors import committee_member_list
from committees.services import AGENDA_ORDERS
from committees.voting import member_name
from dossiers.models import Dossier, Organisation, Territory


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


def _member(user) -> dict:
    return {"id": user.pk, "name": member_name(user)}


# Sessions ---------------------------------------------------------------------------------------------

SESSION_FIELDS = [
    "id",
    "body",
    "sits_on",
    "place",
    "status",
    "quorum",
    "item_count",
    "decided_count",
    "closing",
    "created_at",
]


class SessionListSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    body = serializers.ChoiceField(choices=Body.choices, read_only=True)
    sits_on = serializers.DateField(read_only=True)
    place = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=SessionStatus.choices, read_only=True)
    quorum = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("The session's quorum; empty: more than half of its members.")
    )
    item_count = serializers.IntegerField(read_only=True, help_text=_("Items on the agenda."))
    decided_count = serializers.IntegerField(read_only=True, help_text=_("Items whose result is applied."))
    closing = serializers.SerializerMethodField(help_text=_("The closing is applying the results now."))
    created_at = serializers.DateTimeField(read_only=True)

    def get_closing(self, session) -> bool:
        return session.closing_since is not None


class VoteCountsSerializer(serializers.Serializer):
    for_ = serializers.IntegerField(read_only=True)
    against = serializers.IntegerField(read_only=True)
    abstention = serializers.IntegerField(read_only=True)
    not_taking_part = serializers.IntegerField(read_only=True)
    withdrawn = serializers.IntegerField(read_only=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["for"] = fields.pop("for_")
        return fields


class ItemDossierSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    organisation = serializers.CharField(read_only=True, help_text=_("The sponsor's name."))
    territory = serializers.CharField(read_only=True, help_text=_("The territory's name."))
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


class AgendaItemSerializer(serializers.ModelSerializer):
    dossier = serializers.SerializerMethodField()
    votes = serializers.SerializerMethodField(help_text=_("The counts of the recorded votes."))
    amount_put_to_vote = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=_("What an approval commits: the committee's amendment, else the proposal."),
    )

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "session",
            "position",
            "dossier",
            "added_at",
            "proposed_amount",
            "eligible_base",
            "envelope",
            "outcome",
            "amended_amount",
            "amount_put_to_vote",
            "outcome_reason",
            "outcome_recorded_at",
            "voted_en_bloc",
            "votes",
            "result",
            "voted_amount",
            "decided_at",
            "deliberation_number",
            "apply_error",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "outcome": {"help_text": _("The outcome of the vote recorded (empty: no vote yet).")},
            "result": {"help_text": _("The result applied to the dossier at the closing (empty: not yet).")},
            "apply_error": {"help_text": _("Why applying the result was refused at the closing, if it was.")},
        }

    @extend_schema_field(ItemDossierSerializer)
    def get_dossier(self, item):
        dossier = item.dossier
        return {
            "id": dossier.pk,
            "reference": dossier.reference,
            "title": dossier.title,
            "state": dossier.state,
            "organisation": dossier.organisation.name,
            "territory": dossier.territory.name,
            "requested_amount": f"{dossier.requested_amount:.2f}",
        }

    @extend_schema_field(VoteCountsSerializer)
    def get_votes(self, item):
        return {choice.value: getattr(item, f"votes_{choice.value}", 0) for choice in VoteChoice}


class SessionDetailSerializer(SessionListSerializer):
    """A session with its members, who is present, and its agenda in order (from the view's context)."""

    members = serializers.SerializerMethodField()
    present = serializers.SerializerMethodField(help_text=_("The ids of the members recorded as present."))
    quorum_required = serializers.SerializerMethodField(
        help_text=_("Members present and not withdrawn needed before a result is recorded.")
    )
    next_status = serializers.SerializerMethodField(
        help_text=_("The status `POST …/status/` moves the session on to (empty: closed with its results).")
    )
    items = serializers.SerializerMethodField()

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, session):
        return [_member(member) for member in self.context["roll"].members.values()]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_present(self, session):
        return sorted(self.context["roll"].present)

    def get_quorum_required(self, session) -> int:
        return session.quorum_for(len(self.context["roll"].members))

    @extend_schema_field(serializers.ChoiceField(choices=SessionStatus.choices, allow_null=True))
    def get_next_status(self, session):
        status = session.next_status
        return status if status != SessionStatus.CLOSED else None

    @extend_schema_field(AgendaItemSerializer(many=True))
    def get_items(self, session):
        return AgendaItemSerializer(self.context["items"], many=True, context=self.context).data


class SessionCreateSerializer(FormPayloadSerializer):
    """A new session, validated by the web UI's form; without `members`, every committee member (the
    form ticks them all)."""

    form_class = SessionForm
    body = serializers.ChoiceField(choices=Body.choices, required=False, default=Body.PERMANENT_COMMITTEE)
    sits_on = serializers.DateField(help_text=_("Not in the past."))
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    members = serializers.PrimaryKeyRelatedField(
        queryset=committee_member_list(),
        many=True,
        required=False,
        help_text=_("Ids of committee members; omitted: every committee member."),
    )
    quorum = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text=_("Omitted: more than half of the members.")
    )

    def to_internal_value(self, data):
        """The form's defaults for what is omitted: the Commission permanente, every committee member."""
        defaults = {
            "body": [Body.PERMANENT_COMMITTEE.value],
            "members": [str(pk) for pk in committee_member_list().values_list("pk", flat=True)],
        }
        data = data.copy()
        for name, value in defaults.items():
            if name in data:
                continue
            if hasattr(data, "setlist"):
                data.setlist(name, value)
            else:
                data[name] = value if name == "members" else value[0]
        return super().to_internal_value(data)


class SessionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=SessionStatus.choices,
        help_text=_("The next status (convened, then held); a session is closed by `POST …/close/`."),
    )


class AttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=True, help_text=_("The ids of the members present.")
    )


class VoteSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text=_("A present member's id."))
    choice = serializers.ChoiceField(choices=[(c.value, c.label) for c in CAST_CHOICES])


class VotesSerializer(serializers.Serializer):
    votes = VoteSerializer(
        many=True,
        help_text=_("One choice per present member not withdrawn from the item (déport is recorded for them)."),
    )

    def validate_votes(self, votes):
        members = [vote["member"] for vote in votes]
        if len(set(members)) != len(members):
            raise serializers.ValidationError(_("A member appears twice."), code="duplicate_member")
        return votes

    def choices(self) -> dict[int, str]:
        return {vote["member"]: vote["choice"] for vote in self.validated_data["votes"]}


class ItemVoteSerializer(VotesSerializer):
    amended_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The amount amended by the committee; empty: the amount proposed. Never above the request."),
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required if the item is rejected.")
    )


class BlockVoteSerializer(VotesSerializer):
    exceptions = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text=_("Ids of the items voted on one by one instead."),
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required if the vote rejects items.")
    )


class DeferSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text=_("The reason for the deferral."))


class AgendaAddSerializer(serializers.Serializer):
    dossier = serializers.PrimaryKeyRelatedField(
        queryset=Dossier.objects.none(), help_text=_("A reviewed dossier's id (of your scope as the Region's staff).")
    )

    def __init__(self, *args, dossiers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dossiers is not None:
            self.fields["dossier"].queryset = dossiers


class AgendaReorderSerializer(serializers.Serializer):
    order_by = serializers.ChoiceField(
        choices=list(AGENDA_ORDERS), required=False, help_text=_("Sort the agenda by territory, contract or theme.")
    )
    items = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("Or: every item's id once, in the new order."),
    )

    def validate(self, attrs):
        if ("order_by" in attrs) == ("items" in attrs):
            raise serializers.ValidationError(_("Give either `order_by` or `items`."), code="order_or_items")
        return attrs


# Scenarios --------------------------------------------------------------------------------------------


class ScenarioSerializer(serializers.ModelSerializer):
    line_count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = Scenario
        fields = [
            "id",
            "envelope",
            "name",
            "note",
            "created_by",
            "created_at",
            "updated_at",
            "session",
            "turned_at",
            "line_count",
            "total",
        ]
        read_only_fields = fields

    @extend_schema_field(MemberSerializer)
    def get_created_by(self, scenario):
        return _member(scenario.created_by)


class ScenarioDossierSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    organisation = serializers.CharField(read_only=True, help_text=_("The sponsor's name."))
    theme = serializers.CharField(read_only=True)
    requested_amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)


class ScenarioLineSerializer(serializers.Serializer):
    dossier = serializers.SerializerMethodField()
    eligible_base = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    rate = serializers.DecimalField(max_digits=10, decimal_places=6, read_only=True, allow_null=True)

    @extend_schema_field(ScenarioDossierSerializer)
    def get_dossier(self, line):
        dossier = line.dossier
        return {
            "id": dossier.pk,
            "reference": dossier.reference,
            "title": dossier.title,
            "state": dossier.state,
            "organisation": dossier.organisation.name,
            "theme": dossier.theme.label,
            "requested_amount": f"{dossier.requested_amount:.2f}",
        }


class ThemeTotalSerializer(serializers.Serializer):
    theme = serializers.CharField(source="theme.label", read_only=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    count = serializers.IntegerField(read_only=True)


class ScenarioFiguresSerializer(serializers.Serializer):
    envelope_amount = serializers.DecimalField(
        source="envelope.amount", max_digits=14, decimal_places=2, read_only=True
    )
    committed = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    room_before = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    base_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    remaining = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text=_("Negative when the scenario exceeds the room.")
    )
    exceeds = serializers.BooleanField(read_only=True)
    rate = serializers.DecimalField(max_digits=10, decimal_places=6, read_only=True, allow_null=True)
    themes = ThemeTotalSerializer(many=True, read_only=True)
    lines = ScenarioLineSerializer(many=True, read_only=True)


class ScenarioDetailSerializer(ScenarioSerializer):
    figures = serializers.SerializerMethodField()

    class Meta(ScenarioSerializer.Meta):
        fields = [*ScenarioSerializer.Meta.fields, "figures"]
        read_only_fields = fields

    @extend_schema_field(ScenarioFiguresSerializer)
    def get_figures(self, scenario):
        return ScenarioFiguresSerializer(self.context["figures"]).data


class ScenarioLineWriteSerializer(serializers.Serializer):
    dossier = serializers.IntegerField(help_text=_("A reviewed dossier of the envelope's contract."))
    eligible_base = serializers.DecimalField(max_digits=14, decimal_places=2)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class ScenarioWriteSerializer(serializers.Serializer):
    envelope = serializers.IntegerField(help_text=_("An envelope you may program (it stays the scenario's)."))
    name = serializers.CharField(max_length=120)
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    lines = ScenarioLineWriteSerializer(many=True)


class ScenarioAgendaSerializer(serializers.Serializer):
    session = serializers.IntegerField(help_text=_("A session whose agenda is open."))


class ScenarioRefusalSerializer(serializers.Serializer):
    dossier = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)


class ScenarioAgendaReportSerializer(serializers.Serializer):
    session = serializers.IntegerField(read_only=True)
    scheduled = serializers.ListField(
        child=serializers.IntegerField(), read_only=True, help_text=_("The dossiers put on the agenda.")
    )
    refused = ScenarioRefusalSerializer(many=True, read_only=True)


# Declared interests -----------------------------------------------------------------------------------


class InterestSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberInterest
        fields = ["id", "organisation", "territory", "description", "declared_on"]
        read_only_fields = fields


class InterestDeclareSerializer(serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("An organisation's id; or a territory, not both."),
    )
    territory = serializers.PrimaryKeyRelatedField(
        queryset=Territory.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("A territory's id; or an organisation, not both."),
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("E.g. chair of the association.")
    )
