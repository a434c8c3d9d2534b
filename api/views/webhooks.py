"""Webhooks: the subscriptions an organisation's members (its service account included) or a territory's
officers and administrators manage (`webhooks.services`: anyone else gets a 404), and their delivery log.

Each delivery is a signed `POST` (`webhooks.signing` gives the verification recipe), sent after the
commit, retried with exponential backoff for a day; URLs that resolve to non-public addresses are refused
(`webhooks.security`)."""

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response

from api.serializers import webhooks as serializers
from webhooks import security, services
from webhooks.enums import EventType
from webhooks.models import Delivery, Subscription

WEBHOOKS_DESCRIPTION = _(
    'Each delivery is a POST of `{"id", "type", "created_at", "data"}` (JSON) with the headers '
    "`X-Webhook-Id` (the event's id: the same on every attempt, de-duplicate on it), `X-Webhook-Timestamp` "
    "(Unix seconds) and `X-Webhook-Signature: sha256=<hex>`, the HMAC-SHA256 keyed with the subscription's "
    "secret of `{timestamp}.{raw body}`. To verify: compute it on the raw body, compare it with "
    "`hmac.compare_digest`, and reject timestamps older than a few minutes (replays). Answer 2xx; anything "
    "else, redirects included, is retried after 1, 2, 4… minutes (at most an hour apart) for a day."
)


class UnsafeURLError(exceptions.ValidationError):
    """400 `unsafe_url`: the URL cannot receive webhooks; the reason is the detail and the `url` field's error."""

    default_code = security.UNSAFE_URL

    def __init__(self, message: str):
        super().__init__({"url": [ErrorDetail(message, code=security.UNSAFE_URL)]})
        self.default_detail = message  # the error body's `detail` (api.exceptions.error_body)


def _refusal(error: Exception) -> exceptions.APIException:
    if isinstance(error, security.UnsafeURL):
        return UnsafeURLError(error.messages[0])
    return exceptions.PermissionDenied(" ".join(getattr(error, "messages", [str(error)])), code="forbidden")


_SUBSCRIPTION_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The subscription's id (404 if you do not manage it).")
)
_UNSAFE = OpenApiResponse(
    description=_(
        "Invalid payload, by field; code unsafe_url when the URL cannot receive webhooks (not https in "
        "production, credentials in it, a host that does not resolve or resolves to a loopback, private, "
        "link-local or otherwise non-public address)."
    )
)


@extend_schema_view(
    list=extend_schema(description=_("The webhook subscriptions you manage, the newest first.")),
    retrieve=extend_schema(parameters=[_SUBSCRIPTION_ID], description=_("A subscription (without its secret).")),
    create=extend_schema(
        request=serializers.SubscriptionCreateSerializer,
        responses={
            201: serializers.SubscriptionCreatedSerializer,
            400: _UNSAFE,
            403: OpenApiResponse(description=_("You do not instruct this territory (code forbidden).")),
        },
        description=format_lazy(
            "{}\n\n{}",
            _(
                "Subscribes a URL to the events of an organisation's dossiers (its members) or of a territory's "
                "(its officers, administrators). The answer holds the signing `secret`, shown this once."
            ),
            WEBHOOKS_DESCRIPTION,
        ),
    ),
    partial_update=extend_schema(
        parameters=[_SUBSCRIPTION_ID],
        request=serializers.SubscriptionUpdateSerializer,
        responses={
            200: serializers.SubscriptionSerializer,
            400: _UNSAFE,
            404: OpenApiResponse(description=_("No such subscription among those you manage.")),
        },
        description=_("Changes the URL (checked again), the events or the active flag. The secret never changes."),
    ),
    destroy=extend_schema(
        parameters=[_SUBSCRIPTION_ID],
        responses={
            204: OpenApiResponse(description=_("Deleted, with its delivery log.")),
            404: OpenApiResponse(description=_("No such subscription among those you manage.")),
        },
        description=_("Deletes the subscription and its delivery log: nothing more is sent to it."),
    ),
)
class SubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions (no PUT: the owner and the secret never change)."""

    serializer_class = serializers.SubscriptionSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["organisation", "territory", "active"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Subscription.objects.none()
        return services.subscription_list_for_user(self.request.user)

    def create(self, request, *args, **kwargs):
        payload = serializers.SubscriptionCreateSerializer(
            data=request.data, organisations=services.organisations_manageable_by(request.user)
        )
        payload.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_create(actor=request.user, **payload.validated_data)
        except (security.UnsafeURL, DjangoPermissionDenied) as error:
            raise _refusal(error) from None
        body = serializers.SubscriptionCreatedSerializer(subscription, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        payload = serializers.SubscriptionUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        try:
            subscription = services.subscription_update(
                subscription=subscription, actor=request.user, **payload.validated_data
            )
        except (security.UnsafeURL, DjangoPermissionDenied) as error:
            raise _refusal(error) from None
        return Response(self.get_serializer(subscription).data)

    def perform_destroy(self, instance):
        services.subscription_delete(subscription=instance, actor=self.request.user)


class DeliveryFilter(django_filters.FilterSet):
    event_type = django_filters.ChoiceFilter(
        field_name="event__type", choices=EventType.choices, help_text=_("The event's type.")
    )

    class Meta:
        model = Delivery
        fields = ["subscription", "status", "event_type"]


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The delivery log of the subscriptions you manage, the newest first: each event's status, "
            "attempts, last HTTP status and last error. Filter by subscription."
        )
    ),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description=_("The delivery's id (404 if you do not manage its subscription)."),
            )
        ],
        description=_("One delivery, with the payload sent."),
    ),
)
class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The webhooks' delivery log (read-only)."""

    serializer_class = serializers.DeliverySerializer
    filterset_class = DeliveryFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["created_at", "id", "next_attempt_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Delivery.objects.none()
        return services.delivery_list_for_user(self.request.user)
