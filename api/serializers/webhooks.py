"""Webhook subscriptions and their delivery log. The secret is in the answer to the creation only; the
owner (organisation or territory) is chosen at creation and never changes."""

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from dossiers.models import Organisation, Territory
from webhooks.enums import EventType
from webhooks.models import Delivery, Subscription
from webhooks.security import URL_MAX_LENGTH

SUBSCRIPTION_FIELDS = ["id", "organisation", "territory", "url", "events", "active", "created_at", "created_by"]

_EVENTS_HELP = gettext_lazy(
    "The events sent: dossier.state_changed (a transition fired), message.posted (a message in a dossier's "
    "thread; the Region's internal notes to territories only), document.issued (a letter of a dossier, or a "
    "follow-up meeting's minutes for a territory), payment.updated (a payment request filed or changing state)."
)
_URL_HELP = gettext_lazy(
    "Where deliveries are POSTed: https in production; its host must resolve to public addresses only "
    "(checked now and at each delivery; refused with code unsafe_url). Redirects are not followed."
)


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), help_text=_EVENTS_HELP)
    url = serializers.CharField(max_length=URL_MAX_LENGTH, help_text=_URL_HELP)

    class Meta:
        model = Subscription
        fields = SUBSCRIPTION_FIELDS
        read_only_fields = fields
        extra_kwargs = {
            "organisation": {"help_text": gettext_lazy("The organisation whose dossiers' events are sent.")},
            "territory": {"help_text": gettext_lazy("The territory whose dossiers' events are sent.")},
        }


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "The key of the deliveries' HMAC-SHA256 signature. Shown in this answer only: keep it safe."
        ),
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SUBSCRIPTION_FIELDS, "secret"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    """A new subscription, for an organisation you belong to or a territory you instruct (exactly one)."""

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("An organisation you are a member of: its dossiers' events."),
    )
    territory = serializers.PrimaryKeyRelatedField(
        queryset=Territory.objects.all(),
        required=False,
        allow_null=True,
        help_text=gettext_lazy("A territory you instruct (officers, administrators): its dossiers' events."),
    )
    url = serializers.CharField(max_length=URL_MAX_LENGTH, help_text=_URL_HELP)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False, help_text=_EVENTS_HELP
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:  # an organisation one is not a member of does not exist, for the caller
            self.fields["organisation"].queryset = organisations

    def validate(self, attrs):
        if (attrs.get("organisation") is None) == (attrs.get("territory") is None):
            raise serializers.ValidationError(
                gettext_lazy("Give either an organisation or a territory."), code="one_owner"
            )
        return attrs


class SubscriptionUpdateSerializer(serializers.Serializer):
    """The changes of a subscription (PATCH): any of its URL, events and active flag."""

    url = serializers.CharField(max_length=URL_MAX_LENGTH, required=False, help_text=_URL_HELP)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        required=False,
        help_text=_EVENTS_HELP,
    )
    active = serializers.BooleanField(
        required=False, help_text=gettext_lazy("Inactive: nothing is sent until it is active again.")
    )


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.event_id", read_only=True, help_text=gettext_lazy("X-Webhook-Id."))
    event_type = serializers.ChoiceField(source="event.type", choices=EventType.choices, read_only=True)
    payload = serializers.JSONField(
        source="event.payload", read_only=True, help_text=gettext_lazy("The body sent (its JSON).")
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "created_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields
