"""Roadmaps and follow-up meetings through the API, with the web UI's selectors and services: the contracts'
roadmaps (`roadmaps.selectors`), their operations added, changed and linked to the dossier that realises
them (`roadmaps.services`), the follow-up meetings prepared and changed, their decisions recorded as one
new version of the roadmap (`meeting_record_decisions`) and their minutes issued (`roadmaps.minutes`).

Only the territory's officers and elected representatives and the administrators (`can_view_roadmap`,
`roadmap_territory_ids`): for anyone else every address is a 404, as for a contract outside their scope.
A refusal of a service changes nothing: 400 for the payload, 409 when the roadmap's state forbids it
(an operation settled by its dossier, already linked, the minutes being rendered)."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exceptions import service_refusals
from api.serializers import roadmaps as serializers
from dossiers.models import Contract
from dossiers.selectors import dossier_list_for_user
from roadmaps.enums import OperationStatus
from roadmaps.meetings import meeting_list_for_user, meeting_update
from roadmaps.minutes import minutes_issue
from roadmaps.models import FollowUpMeeting, RoadmapOperation
from roadmaps.selectors import (
    contract_totals,
    operation_list_for_user,
    operation_list_with_figures,
    roadmap_contract_list_for_user,
    roadmap_summary,
)
from roadmaps.services import (
    Decision,
    NewOperation,
    meeting_create,
    meeting_record_decisions,
    operation_add,
    operation_link_dossier,
    operation_update,
    roadmap_for_contract,
)

_REFUSALS = {
    400: OpenApiResponse(
        description=gettext_lazy("The payload: field errors, or the service's code (invalid_amounts…).")
    ),
    404: OpenApiResponse(description=gettext_lazy("No such contract, operation or meeting in your scope.")),
    409: OpenApiResponse(
        description=gettext_lazy(
            "The roadmap's state: settled, already_linked, dossier_linked, status_locked, minutes_pending."
        )
    ),
}


def _contract_in_scope(user, pk) -> Contract:
    contract = roadmap_contract_list_for_user(user).filter(pk=pk).first()
    if contract is None:
        raise Http404
    return contract


def _id_parameter(what, name="id"):
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


# Roadmaps ----------------------------------------------------------------------------------------------


class RoadmapFilter(django_filters.FilterSet):
    class Meta:
        model = Contract
        fields = ["territory", "generation"]


_CONTRACT_ID = _id_parameter(gettext_lazy("The contract's id (404 outside your scope)."))


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "The contracts whose roadmap you follow (officers and elected representatives of their territory, "
            "administrators), each with its current version and planned / filed / funded / paid totals."
        )
    ),
    retrieve=extend_schema(
        parameters=[_CONTRACT_ID],
        responses=serializers.RoadmapDetailSerializer,
        description=gettext_lazy(
            "A contract's roadmap: its operations with their figures, the summary per axis and per theme, and "
            "its follow-up meetings."
        ),
    ),
)
class RoadmapViewSet(viewsets.ReadOnlyModelViewSet):
    """The contracts' roadmaps (by contract id)."""

    serializer_class = serializers.RoadmapListSerializer
    filterset_class = RoadmapFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["id", "name", "generation"]
    ordering = ["territory__name", "generation", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Contract.objects.none()
        return roadmap_contract_list_for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        contracts = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(contracts)
        context = {**self.get_serializer_context(), "totals": contract_totals([contract.pk for contract in page])}
        return self.get_paginated_response(serializers.RoadmapListSerializer(page, many=True, context=context).data)

    def retrieve(self, request, *args, **kwargs):
        contract = self.get_object()
        roadmap = roadmap_for_contract(contract)
        context = self.get_serializer_context()
        summary = roadmap_summary(roadmap)
        body = {
            "contract": serializers.RoadmapListSerializer(
                contract, context={**context, "totals": {contract.pk: summary["total"]}}
            ).data,
            "version": roadmap.version,
            "operations": serializers.OperationWithFiguresSerializer(
                operation_list_with_figures(roadmap).select_related("roadmap"), many=True, context=context
            ).data,
            "summary": serializers.SummarySerializer(summary).data,
            "meetings": serializers.MeetingSummarySerializer(
                roadmap.meetings.order_by("-held_on", "-pk"), many=True
            ).data,
        }
        return Response(body)


# Operations --------------------------------------------------------------------------------------------


class OperationFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="roadmap__contract", help_text=gettext_lazy("The contract (id)."))
    status = django_filters.MultipleChoiceFilter(
        choices=OperationStatus.choices, help_text=gettext_lazy("One or more statuses (repeat the parameter).")
    )

    class Meta:
        model = RoadmapOperation
        fields = ["contract", "status", "theme", "expected_year"]


_OPERATION_ID = _id_parameter(gettext_lazy("The operation's id (404 outside your scope)."))
_EDITABLE = [name for name in serializers.OperationWriteSerializer().fields if name != "contract"]


@extend_schema_view(
    list=extend_schema(description=gettext_lazy("The operations of the roadmaps you follow.")),
    retrieve=extend_schema(parameters=[_OPERATION_ID], description=gettext_lazy("One operation of a roadmap.")),
)
class OperationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The roadmaps' operations: added, changed, linked to their dossier, each change a new version."""

    serializer_class = serializers.OperationSerializer
    filterset_class = OperationFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["number", "id", "expected_year", "updated_at"]
    ordering = ["roadmap", "number"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return RoadmapOperation.objects.none()
        return operation_list_for_user(self.request.user).select_related("dossier")

    def _answer(self, operation, status_code=status.HTTP_200_OK) -> Response:
        operation = self.get_queryset().get(pk=operation.pk)
        return Response(serializers.OperationSerializer(operation).data, status=status_code)

    @extend_schema(
        request=serializers.OperationWriteSerializer,
        responses={201: serializers.OperationSerializer, **_REFUSALS},
        description=gettext_lazy("Adds an operation to the contract's roadmap (outside a meeting), as a new version."),
    )
    def create(self, request, *args, **kwargs):
        payload = serializers.OperationWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        contract = _contract_in_scope(request.user, data.pop("contract"))
        data.pop("status", None)
        with service_refusals():
            created = operation_add(
                roadmap=roadmap_for_contract(contract), actor=request.user, operation=NewOperation(**data)
            )
        return self._answer(created, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[_OPERATION_ID],
        request=serializers.OperationWriteSerializer(partial=True),
        responses={200: serializers.OperationSerializer, **_REFUSALS},
        description=gettext_lazy(
            "Changes the fields sent (not the contract) and writes a new version with each change before and "
            "after; refused when nothing changes (400 unchanged). The status moves only between identified and "
            "under_construction before a dossier realises the operation (409 status_locked)."
        ),
    )
    def partial_update(self, request, *args, **kwargs):
        operation = self.get_object()
        payload = serializers.OperationWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        changes = {name: value for name, value in payload.validated_data.items() if name in _EDITABLE}
        if not changes:
            raise exceptions.ValidationError(_("Nothing was changed."), code="unchanged")
        with service_refusals():
            operation = operation_update(operation=operation, actor=request.user, **changes)
        return self._answer(operation)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        operation_id="roadmap_operations_link_dossier",
        summary=gettext_lazy("Link the dossier that realises the operation"),
        description=gettext_lazy(
            "Links a dossier of the same contract (one you see, realising no other operation); the operation "
            "takes the status of the dossier's step, then follows it."
        ),
        parameters=[_OPERATION_ID],
        request=serializers.LinkDossierSerializer,
        responses={200: serializers.OperationSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="link-dossier", url_name="link-dossier")
    def link_dossier(self, request, pk=None, **kwargs):
        operation = self.get_object()
        payload = serializers.LinkDossierSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier = dossier_list_for_user(request.user).filter(pk=payload.validated_data["dossier"]).first()
        if dossier is None:
            raise exceptions.ValidationError(
                {"dossier": [exceptions.ErrorDetail(_("No such dossier in your scope."), code="does_not_exist")]}
            )
        with service_refusals():
            operation = operation_link_dossier(operation=operation, dossier=dossier, actor=request.user)
        return self._answer(operation)


# Follow-up meetings ------------------------------------------------------------------------------------


class MeetingFilter(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="roadmap__contract", help_text=gettext_lazy("The contract (id)."))
    held_after = django_filters.DateFilter(
        field_name="held_on", lookup_expr="gte", help_text=gettext_lazy("Held on or after.")
    )
    held_before = django_filters.DateFilter(
        field_name="held_on", lookup_expr="lte", help_text=gettext_lazy("Held on or before.")
    )

    class Meta:
        model = FollowUpMeeting
        fields = ["contract", "held_after", "held_before"]


_MEETING_ID = _id_parameter(gettext_lazy("The meeting's id (404 outside your scope)."))


def _participants(ids):
    users = list(get_user_model().objects.filter(pk__in=ids))
    if len(users) != len(set(ids)):
        raise exceptions.ValidationError(
            {"participants": [exceptions.ErrorDetail(_("Unknown user."), code="does_not_exist")]}
        )
    return users


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy("The follow-up meetings of the contracts you follow, the latest first.")
    ),
    retrieve=extend_schema(
        parameters=[_MEETING_ID],
        description=gettext_lazy("A meeting: participants, agenda, minutes, and its decisions with their version."),
    ),
)
class FollowUpMeetingViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The contracts' follow-up meetings (comités de suivi)."""

    filterset_class = MeetingFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["held_on", "id"]
    ordering = ["-held_on", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return FollowUpMeeting.objects.none()
        meetings = meeting_list_for_user(self.request.user)
        if self.action != "list":
            participants = get_user_model().objects.order_by("last_name", "first_name", "username")
            meetings = meetings.prefetch_related(Prefetch("participants", queryset=participants))
        return meetings

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.MeetingListSerializer
        return serializers.MeetingDetailSerializer

    def _answer(self, meeting, status_code=status.HTTP_200_OK) -> Response:
        meeting = self.get_queryset().get(pk=meeting.pk)
        return Response(serializers.MeetingDetailSerializer(meeting).data, status=status_code)

    @extend_schema(
        request=serializers.MeetingWriteSerializer,
        responses={201: serializers.MeetingDetailSerializer, **_REFUSALS},
        description=gettext_lazy(
            "Prepares a meeting of the contract: its date, participants (officers or elected representatives of "
            "the contract's territory: 400 participant_outside otherwise), partners and agenda."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = serializers.MeetingWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        contract = _contract_in_scope(request.user, data["contract"])
        with service_refusals():
            meeting = meeting_create(
                roadmap=roadmap_for_contract(contract),
                actor=request.user,
                held_on=data["held_on"],
                participants=_participants(data["participants"]),
                partners=data["partners"],
                agenda=data["agenda"],
            )
        return self._answer(meeting, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[_MEETING_ID],
        request=serializers.MeetingWriteSerializer(partial=True),
        responses={200: serializers.MeetingDetailSerializer, **_REFUSALS},
        description=gettext_lazy(
            "Changes the fields sent among the date, participants, partners, agenda and minutes (the contract "
            "stays); the decisions and versions are not touched."
        ),
    )
    def partial_update(self, request, *args, **kwargs):
        meeting = self.get_object()
        payload = serializers.MeetingWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        participants = (
            _participants(data["participants"]) if "participants" in data else list(meeting.participants.all())
        )
        with service_refusals():
            meeting = meeting_update(
                meeting=meeting,
                actor=request.user,
                held_on=data.get("held_on", meeting.held_on),
                participants=participants,
                partners=data.get("partners", meeting.partners),
                agenda=data.get("agenda", meeting.agenda),
                minutes=data.get("minutes", meeting.minutes),
            )
        return self._answer(meeting)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        operation_id="follow_up_meetings_decisions",
        summary=gettext_lazy("Record the meeting's decisions"),
        description=gettext_lazy(
            "Applies the decisions together (add an operation, modify its estimate, postpone, abandon) and writes "
            "one new version of the roadmap referring to the meeting; one refused decision refuses them all "
            "(400, or 409 settled for an operation its dossier settled)."
        ),
        parameters=[_MEETING_ID],
        request=serializers.DecisionsPayloadSerializer,
        responses={200: serializers.MeetingDetailSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="decisions", url_name="decisions")
    def decisions(self, request, pk=None, **kwargs):
        meeting = self.get_object()
        payload = serializers.DecisionsPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        operations = {
            operation.pk: operation
            for operation in RoadmapOperation.objects.filter(
                roadmap=meeting.roadmap,
                pk__in=[item.get("operation") for item in payload.validated_data["decisions"]],
            )
        }
        decisions = []
        for item in payload.validated_data["decisions"]:
            if item["kind"] == "add":
                details = {
                    "operation": NewOperation(
                        title=item["title"],
                        theme=item["theme"],
                        estimated_cost=item["estimated_cost"],
                        expected_support=item["expected_support"],
                        expected_year=item["expected_year"],
                        axis=item["axis"],
                        priority=item["priority"],
                        sponsor_name=item["sponsor_name"],
                    )
                }
                operation = None
            else:
                operation = operations.get(item["operation"])
                if operation is None:
                    raise exceptions.ValidationError(_("The operation is not on this roadmap."), code="other_roadmap")
                wanted = {
                    "modify_estimate": ("estimated_cost", "expected_support"),
                    "postpone": ("expected_year",),
                    "abandon": ("reason",),
                }[item["kind"]]
                details = {name: item[name] for name in wanted}
            decisions.append(
                Decision(kind=item["kind"], decided_by=item["decided_by"], operation=operation, details=details)
            )
        with service_refusals():
            meeting_record_decisions(meeting=meeting, actor=request.user, decisions=decisions)
        return self._answer(meeting)

    @extend_schema(
        operation_id="follow_up_meetings_minutes",
        summary=gettext_lazy("Issue the minutes"),
        description=gettext_lazy(
            "Asks for the meeting's minutes as a PDF (a new version of the same number after the first): rendered "
            "in the background, then listed in `GET /api/v1/documents/` and e-mailed to the participants. "
            "Refused while the minutes are empty (400 minutes_empty) or their first version is being rendered "
            "(409 minutes_pending)."
        ),
        parameters=[_MEETING_ID],
        request=None,
        responses={202: serializers.MinutesJobSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="minutes", url_name="minutes")
    def minutes(self, request, pk=None, **kwargs):
        meeting = self.get_object()
        with service_refusals():
            job = minutes_issue(meeting=meeting, actor=request.user)
        job.refresh_from_db()
        return Response(serializers.MinutesJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
