"""Dossiers: the list and detail scoped exactly as in the web UI (`dossiers.selectors`), and the
lifecycle's transitions as actions (`api.views.transitions`). Creating and editing drafts come later:
for now nothing else writes (PUT/PATCH/DELETE answer 405)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters
from api.serializers import dossiers as serializers
from api.views import transitions
from dossiers.http import client_ip
from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from workflows.lifecycle import TRANSITIONS

_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The dossier's id (404 outside your scope).")
)

_PAYLOADS = "\n".join(
    f"- `{name}`: `{route.payload.__name__.removesuffix('Serializer')}`" for name, route in transitions.ROUTES.items()
)
_INDIRECT = ", ".join(f"`{name}`" for name in transitions.INDIRECT)


@extend_schema_view(
    list=extend_schema(description=_("The dossiers you may see, as in the web UI.")),
    retrieve=extend_schema(
        parameters=[_ID],
        description=_("A dossier in your scope, with the transitions you may fire now."),
    ),
)
class DossierViewSet(viewsets.ReadOnlyModelViewSet):
    """The dossiers of the caller's scope (their organisations' for a sponsor, their territories' for an
    officer, and so on, exactly as in the web UI)."""

    lookup_value_regex = "[0-9]+"
    filterset_class = filters.DossierFilter
    ordering_fields = [
        "id",
        "reference",
        "state",
        "created_at",
        "submitted_at",
        "decided_at",
        "state_changed_at",
        "requested_amount",
        "granted_amount",
    ]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Dossier.objects.none()
        dossiers = dossier_list_for_user(self.request.user)
        if self.action != "list":
            dossiers = dossiers.prefetch_related("communes")
        return dossiers

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.DossierListSerializer
        return serializers.DossierDetailSerializer

    @extend_schema(
        operation_id="dossiers_transitions_fire",
        summary=_("Fire a transition"),
        description=format_lazy(
            "{}\n\n{}\n\n{} {}.",
            _(
                "Fires the transition `name` on the dossier, with its payload, through the same service as the "
                "web UI, and answers the dossier as it now is. The payload of each transition:"
            ),
            _PAYLOADS,
            _(
                "The instruction's steps (declare_*, start_review, complete_review) are done as the task of the "
                "dossier's instruction, taken from the territory's queue if nobody holds it. "
                "Fired elsewhere, refused here with 409 `indirect_transition`:"
            ),
            _INDIRECT,
        ),
        parameters=[
            _ID,
            OpenApiParameter(
                "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(TRANSITIONS), description=_("Transition.")
            ),
        ],
        request=PolymorphicProxySerializer(
            component_name="TransitionPayload",
            serializers=sorted({route.payload for route in transitions.ROUTES.values()}, key=lambda s: s.__name__),
            resource_type_field_name=None,
        ),
        responses={
            200: serializers.DossierDetailSerializer,
            400: OpenApiResponse(description=_("Invalid payload: the errors by field.")),
            403: OpenApiResponse(description=_("Your role or scope does not allow this transition (code forbidden).")),
            404: OpenApiResponse(
                description=_("No such dossier in your scope, or no such transition (code unknown_transition).")
            ),
            409: OpenApiResponse(
                description=_(
                    "The dossier's state, rules or instruction do not allow it now (codes invalid_state, "
                    "concurrent, no_open_task, task_taken, indirect_transition, and the rules' codes)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)", url_name="transition")
    def transition(self, request, pk=None, name=None):
        dossier = self.get_object()
        route = transitions.check_transition(request.user, dossier, name)
        payload = route.payload(data=request.data)
        payload.is_valid(raise_exception=True)
        transitions.fire_transition(
            route, dossier=dossier, actor=request.user, ip_address=client_ip(request), data=payload.validated_data
        )
        dossier = self.get_queryset().filter(pk=dossier.pk).first() or dossier
        return Response(serializers.DossierDetailSerializer(dossier, context=self.get_serializer_context()).data)
