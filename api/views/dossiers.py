"""Dossiers: the list and detail scoped exactly as in the web UI (`dossiers.selectors`), the drafts as
their sponsor writes them on the portal (`portal.services`: created, edited step by step, financing plan),
and the lifecycle's transitions as actions (`api.views.transitions`).

PATCH edits a draft (or an incomplete dossier); PUT is not offered (405): the dossier is never replaced as
a whole. DELETE answers 405 too: the portal deletes no dossier; a sponsor withdraws it
(`POST .../transitions/withdraw/`)."""

from collections.abc import Mapping

from django.db import transaction
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
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api import filters
from api.serializers import dossiers as serializers
from api.serializers.portal import FinancingPlanSerializer
from api.views import transitions
from api.views.portal import check_content_edit, check_sponsor
from dossiers.enums import DossierKind, SelfFinancingExemption
from dossiers.http import client_ip
from dossiers.models import Dossier
from dossiers.rules import dossier_financing_plan
from dossiers.selectors import dossier_list_for_user
from portal import services as portal_services
from portal.selectors import financing_problems
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
    create=extend_schema(
        request=serializers.DossierCreateSerializer,
        responses={
            201: serializers.DossierDetailSerializer,
            400: OpenApiResponse(
                description=_(
                    "Invalid payload: the errors by field, or the place's code (no_commune, "
                    "commune_outside_territories, communes_in_several_territories, no_signed_contract)."
                )
            ),
            403: OpenApiResponse(description=_("Only project sponsors file dossiers (code forbidden).")),
        },
        description=_(
            "Opens a draft for one of your organisations, as the portal's first page does "
            "(`portal.services.dossier_start`, same rules): the project, its communes (INSEE codes, all of one "
            "territory: the dossier falls under its signed contract) and its dates; the amount requested "
            "becomes the Region's line of the financing plan. The reference is given now; state, territory "
            "and contract follow from the procedure and the communes."
        ),
    ),
    partial_update=extend_schema(
        parameters=[_ID],
        request=serializers.DossierUpdateSerializer,
        responses={
            200: serializers.DossierDetailSerializer,
            400: OpenApiResponse(
                description=_(
                    "Invalid payload: the errors by field, or the services' codes (the place's codes, "
                    "territory_locked, organisation_locked)."
                )
            ),
            403: OpenApiResponse(
                description=_("You see the dossier but are not a member of its sponsor (code forbidden).")
            ),
            404: OpenApiResponse(description=_("No such dossier in your scope.")),
            409: OpenApiResponse(
                description=_(
                    "The dossier is no longer a draft nor incomplete (code invalid_state), or the dates or plan "
                    "of an engineering dossier, which follow its post (code engineering_post)."
                )
            ),
        },
        description=_(
            "Edits a draft (or a dossier declared incomplete) as the portal's steps do, each group of fields "
            "through its service: project (organisation, theme, title, object, description), place "
            "(communes: a draft follows them to their territory's contract, an incomplete dossier stays in "
            "its territory), dates, and the plan's tax basis and self-financing exemption. Only the fields "
            "sent change; all succeed or nothing changes. Every other field (state, reference, territory, "
            "contract, amounts set by the financing plan or the procedure) is read-only: sending it has no "
            "effect. An engineering dossier's dates and plan follow its post (code engineering_post)."
        ),
    ),
)
class DossierViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The dossiers of the caller's scope (their organisations' for a sponsor, their territories' for an
    officer, and so on, exactly as in the web UI); their sponsor's members create and edit the drafts."""

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

    def _detail(self, dossier, status_code=status.HTTP_200_OK) -> Response:
        dossier = dossier_list_for_user(self.request.user).prefetch_related("communes").get(pk=dossier.pk)
        body = serializers.DossierDetailSerializer(dossier, context=self.get_serializer_context()).data
        return Response(body, status=status_code)

    def create(self, request, *args, **kwargs):
        check_sponsor(request.user)
        payload = serializers.DossierCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        dossier = portal_services.dossier_start(actor=request.user, **payload.validated_data)
        return self._detail(dossier, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        dossier = self.get_object()
        check_content_edit(request.user, dossier)
        if dossier.kind == DossierKind.ENGINEERING:
            sent = set(request.data) if isinstance(request.data, Mapping) else set()
            update = serializers.DossierUpdateSerializer
            follow_the_post = sorted(sent & {*update.DATE_FIELDS, *update.PLAN_FIELDS})
            if follow_the_post:
                raise transitions.Conflict(
                    _(
                        "An engineering post's period and financing plan follow the post (%(fields)s cannot be "
                        "written here): change the post with PUT %(url)s."
                    )
                    % {"fields": ", ".join(follow_the_post), "url": f"/api/v1/dossiers/{dossier.pk}/engineering-post/"},
                    code="engineering_post",
                )
        payload = serializers.DossierUpdateSerializer(
            dossier, data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data, actor = payload.validated_data, request.user
        with transaction.atomic():  # every step or none
            if any(name in data for name in payload.PROJECT_FIELDS):
                current = {
                    "organisation": dossier.organisation,
                    "theme": dossier.theme,
                    "title": dossier.title,
                    "object": dossier.object,
                    "description": dossier.description,
                }
                fields = {name: data.get(name, value) for name, value in current.items()}
                dossier = portal_services.dossier_project_update(dossier=dossier, actor=actor, **fields)
            if "communes" in data:
                dossier = portal_services.dossier_place_update(dossier=dossier, actor=actor, communes=data["communes"])
            if any(name in data for name in payload.DATE_FIELDS):
                dossier = portal_services.dossier_dates_update(
                    dossier=dossier,
                    actor=actor,
                    planned_start=data.get("planned_start", dossier.planned_start),
                    planned_end=data.get("planned_end", dossier.planned_end),
                )
            if any(name in data for name in payload.PLAN_FIELDS):
                # The portal saves these with the plan: the lines are saved again as they are.
                dossier = portal_services.financing_plan_save(
                    dossier=dossier,
                    actor=actor,
                    expenses=list(dossier.expense_lines.values("label", "amount", "is_eligible")),
                    funding=list(dossier.funding_lines.values("funder_kind", "funder_name", "amount", "status")),
                    tax_basis=data.get("tax_basis", dossier.tax_basis),
                    self_financing_exemption=data.get("self_financing_exemption", dossier.self_financing_exemption),
                )
        return self._detail(dossier)

    def _financing_plan(self, dossier) -> Response:
        plan = dossier_financing_plan(dossier)
        body = {
            "tax_basis": dossier.tax_basis,
            "self_financing_exemption": dossier.self_financing_exemption,
            "expenses": dossier.expense_lines.all(),
            "funding": dossier.funding_lines.all(),
            "requested_amount": dossier.requested_amount,
            "totals": {**vars(plan), "is_balanced": plan.is_balanced},
            "problems": financing_problems(dossier),
        }
        return Response(FinancingPlanSerializer(body, context=self.get_serializer_context()).data)

    @extend_schema(
        methods=["GET"],
        operation_id="dossiers_financing_plan_retrieve",
        summary=_("Read the financing plan"),
        parameters=[_ID],
        responses={200: FinancingPlanSerializer, 404: OpenApiResponse(description=_("No such dossier in your scope."))},
        description=_(
            "The dossier's financing plan (expenses and resources), its totals and what the Region's rules find "
            "wrong in it, to whoever may see the dossier."
        ),
    )
    @extend_schema(
        methods=["PUT"],
        operation_id="dossiers_financing_plan_update",
        summary=_("Replace the financing plan"),
        parameters=[_ID],
        request=FinancingPlanSerializer,
        responses={
            200: FinancingPlanSerializer,
            400: OpenApiResponse(description=_("Invalid payload: the errors by field (and by line).")),
            403: OpenApiResponse(
                description=_("You see the dossier but are not a member of its sponsor (code forbidden).")
            ),
            404: OpenApiResponse(description=_("No such dossier in your scope.")),
            409: OpenApiResponse(
                description=_(
                    "The dossier is no longer a draft nor incomplete (code invalid_state), or an engineering "
                    "dossier, whose plan follows its post (code engineering_post)."
                )
            ),
        },
        description=_(
            "Replaces the whole plan through the portal's service (`portal.services.financing_plan_save`): the "
            "amount requested becomes the total of the Region's lines; the exemption is kept only for a "
            "public-law owner. As on the portal, a plan the rules find wrong (unbalanced, Region above the "
            "eligible expenses, self-financing short...) is saved and its `problems` listed, with their codes: "
            "the submission refuses it until they are fixed."
        ),
    )
    @action(detail=True, methods=["get", "put"], url_path="financing-plan", url_name="financing-plan")
    def financing_plan(self, request, pk=None, **kwargs):
        dossier = self.get_object()
        if request.method == "GET":
            return self._financing_plan(dossier)
        check_content_edit(request.user, dossier)
        if dossier.kind == DossierKind.ENGINEERING:
            raise transitions.Conflict(
                _("An engineering post's financing plan follows the post: change the post on the portal."),
                code="engineering_post",
            )
        payload = FinancingPlanSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        dossier = portal_services.financing_plan_save(
            dossier=dossier,
            actor=request.user,
            expenses=[dict(line) for line in data["expenses"]],
            funding=[dict(line) for line in data["funding"]],
            tax_basis=data["tax_basis"],
            self_financing_exemption=data.get("self_financing_exemption", SelfFinancingExemption.NONE),
        )
        return self._financing_plan(dossier)

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
