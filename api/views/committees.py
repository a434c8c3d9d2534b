"""The Commission permanente through the API, as on its pages of the staff site (`committees.views`,
`committees.scenario_views`, `committees.member_views`), each action through the same service:

- sessions (`session_list_for_user`): the secretariat and administrators create them
  (`session_create`, validated by the web's form), move them on (`session_set_status`), record the
  attendance, the votes item by item or en bloc and the deferrals (`committees.voting`), and close them
  (`session_close_enqueue`: every result applied to its dossier by the dossier's services, approvals
  with the amount voted);
- a session's agenda: dossiers put on it (`dossier_schedule`) or taken off (`dossier_unschedule`), its
  order (`agenda_reorder`);
- scenarios (`committees.scenarios`): read, saved, deleted and turned into an agenda;
- the committee members' declared interests (`committees.interests`).

Who: the committee's secretariat and members and the administrators see the sessions; the secretariat
and the administrators act (members get 403, code forbidden); for everyone else a session is a 404.
Scenarios are the officers' (their territories' envelopes), the secretariat's and the administrators'.
Refusals of the services: a state of the session, agenda or scenario → 409 with the service's code; a
payload → 400; a refusal writes nothing.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exceptions import Conflict, service_refusal_exception, service_refusals
from api.serializers import committees as serializers
from api.views.transitions import refusal_exception
from committees.interests import interest_declare, interest_remove
from committees.models import AgendaItem, CommitteeSession, ItemResult, MemberInterest, Scenario
from committees.permissions import can_manage_sessions, is_committee_member
from committees.scenarios import (
    can_turn_scenarios,
    envelope_list_for_scenarios,
    scenario_delete,
    scenario_figures,
    scenario_list_for_user,
    scenario_save,
    scenario_to_agenda,
)
from committees.selectors import (
    agenda_item_list_with_votes,
    session_list_for_user,
    sessions_open_for_agenda,
)
from committees.services import agenda_reorder, session_create, session_set_status
from committees.voting import (
    Roll,
    item_defer,
    item_record_votes,
    session_close_enqueue,
    session_record_attendance,
    session_record_block_vote,
)
from dossiers.http import client_ip
from dossiers.selectors import dossier_list_for_user
from workflows.services import TransitionRefused, dossier_schedule, dossier_unschedule


def refusal(error: DjangoValidationError | PermissionDenied) -> exceptions.APIException:
    """A service's refusal: 403 `forbidden`, 409 for a state code (`api.exceptions.STATE_CONFLICT_CODES`: a
    session's, an agenda's, a scenario's or an interest's), else 400 with its codes."""
    return service_refusal_exception(error)


def _require_manager(user) -> None:
    if not can_manage_sessions(user):
        raise exceptions.PermissionDenied(
            _("Only the committee's secretariat or an administrator can do this."), code="forbidden"
        )


def _path_id(name, what):
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


_SESSION_ID = _path_id("id", gettext_lazy("The session's id (404 unless you see the committee's sessions)."))
_SESSION_PK = _path_id("session_pk", gettext_lazy("The session's id (404 unless you see the committee's sessions)."))
_ITEM_ID = _path_id("id", gettext_lazy("The agenda item's id, on this session."))
_FORBIDDEN = OpenApiResponse(
    description=gettext_lazy("Only the committee's secretariat and administrators act (code forbidden).")
)
_NOT_FOUND = OpenApiResponse(description=gettext_lazy("No such session (or item) in your scope."))


def _errors(conflicts: str) -> dict:
    return {
        400: OpenApiResponse(description=gettext_lazy("Invalid payload: the errors by field, or the service's code.")),
        403: _FORBIDDEN,
        404: _NOT_FOUND,
        409: OpenApiResponse(description=conflicts),
    }


# Sessions ---------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "The committee's sessions, most recent first, with their numbers of items (for the committee's "
            "secretariat and members and the administrators; empty for everyone else)."
        )
    ),
    retrieve=extend_schema(
        parameters=[_SESSION_ID],
        description=gettext_lazy(
            "A session with its members, attendance, quorum, next status and its agenda in order: each item's "
            "dossier, proposal, votes' counts, outcome and result."
        ),
    ),
    create=extend_schema(
        request=serializers.SessionCreateSerializer,
        responses={
            201: serializers.SessionDetailSerializer,
            400: OpenApiResponse(description=gettext_lazy("Invalid payload, or a date in the past (code past_date).")),
            403: _FORBIDDEN,
        },
        description=gettext_lazy(
            "Creates a session in preparation (`session_create`, validated by the web UI's form): a date not in "
            "the past, its members (by default every committee member) and its quorum. The secretariat and "
            "administrators only."
        ),
    ),
)
class CommitteeSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The Commission permanente's sessions, and the secretariat's actions on them."""

    lookup_value_regex = "[0-9]+"
    ordering_fields = ["sits_on", "id", "created_at"]
    ordering = ["-sits_on", "-id"]
    filterset_fields = ["status", "body"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return CommitteeSession.objects.none()
        return session_list_for_user(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.SessionListSerializer
        return serializers.SessionDetailSerializer

    def _detail(self, session, status_code=status.HTTP_200_OK):
        session = self.get_queryset().get(pk=session.pk)
        context = {
            **self.get_serializer_context(),
            "roll": Roll.of(session),
            "items": agenda_item_list_with_votes(self.request.user, session),
        }
        return Response(serializers.SessionDetailSerializer(session, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def create(self, request, *args, **kwargs):
        _require_manager(request.user)
        payload = serializers.SessionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            session = session_create(actor=request.user, **payload.validated_data)
        return self._detail(session, status.HTTP_201_CREATED)

    def _managed(self):
        session = self.get_object()
        _require_manager(self.request.user)
        return session

    @extend_schema(
        operation_id="committee_sessions_status",
        summary=gettext_lazy("Move a session on"),
        description=gettext_lazy(
            "In preparation → convened → held (`session_set_status`), never back. Convening issues the "
            "presentation report. Closing is `POST …/close/`."
        ),
        parameters=[_SESSION_ID],
        request=serializers.SessionStatusSerializer,
        responses={
            200: serializers.SessionDetailSerializer,
            **_errors(gettext_lazy("Not the next status (code invalid_status).")),
        },
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request, pk=None, **kwargs):
        session = self._managed()
        payload = serializers.SessionStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            session = session_set_status(session=session, actor=request.user, status=payload.validated_data["status"])
        return self._detail(session)

    @extend_schema(
        operation_id="committee_sessions_attendance",
        summary=gettext_lazy("Record the attendance"),
        description=gettext_lazy(
            "Which members are present (the others absent), once the session is convened and until it is closed."
        ),
        parameters=[_SESSION_ID],
        request=serializers.AttendanceSerializer,
        responses={
            200: serializers.SessionDetailSerializer,
            **_errors(gettext_lazy("The session is not convened or held (code invalid_session_status), or closing.")),
        },
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None, **kwargs):
        session = self._managed()
        payload = serializers.AttendanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            session_record_attendance(session=session, actor=request.user, present=payload.validated_data["present"])
        return self._detail(session)

    @extend_schema(
        operation_id="committee_sessions_block_vote",
        summary=gettext_lazy("Vote en bloc"),
        description=gettext_lazy(
            "One vote for every item without a vote yet, less the exceptions: each present member's choice "
            "applies to every item, except those the member is withdrawn from (déport). One refusal (quorum, a "
            "missing vote, a rejection without reason) refuses the block and records nothing."
        ),
        parameters=[_SESSION_ID],
        request=serializers.BlockVoteSerializer,
        responses={
            200: serializers.SessionDetailSerializer,
            **_errors(
                gettext_lazy(
                    "The session is not held (invalid_session_status), no item is left (empty_block), or an item's "
                    "quorum is not reached (quorum_not_reached)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="block-vote", url_name="block-vote")
    def block_vote(self, request, pk=None, **kwargs):
        session = self._managed()
        payload = serializers.BlockVoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            session_record_block_vote(
                session=session,
                actor=request.user,
                votes=payload.choices(),
                exceptions=payload.validated_data["exceptions"],
                reason=payload.validated_data["reason"],
            )
        return self._detail(session)

    @extend_schema(
        operation_id="committee_sessions_close",
        summary=gettext_lazy("Close a session"),
        description=gettext_lazy(
            "Once every item has its vote: applies each result to its dossier through the dossier's services "
            "(approved with the amount voted, rejected or deferred), in a background task, then closes the "
            "session and has the letters issued. An item the services refuse keeps its vote and its "
            "`apply_error`; the session then stays held. `closing` says whether the task is still running."
        ),
        parameters=[_SESSION_ID],
        request=None,
        responses={
            200: serializers.SessionDetailSerializer,
            **_errors(
                gettext_lazy(
                    "The session is not held (invalid_session_status), has no item (empty_agenda), has items "
                    "without vote (items_without_vote) or is being closed (closing)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, **kwargs):
        session = self._managed()
        with service_refusals():
            session = session_close_enqueue(session=session, actor=request.user)
        return self._detail(session)


# The agenda -------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[_SESSION_PK], description=gettext_lazy("The session's agenda in order, with the votes' counts.")
    ),
    retrieve=extend_schema(parameters=[_SESSION_PK, _ITEM_ID], description=gettext_lazy("One item of the agenda.")),
    create=extend_schema(
        parameters=[_SESSION_PK],
        request=serializers.AgendaAddSerializer,
        responses={
            201: serializers.AgendaItemSerializer,
            **_errors(
                gettext_lazy(
                    "The dossier or the session does not allow it (invalid_state, session_closed, "
                    "already_on_session and the rules' codes)."
                )
            ),
        },
        description=gettext_lazy(
            "Puts a reviewed dossier last on the agenda (`dossier_schedule`, the `schedule` transition), with "
            "its proposal as it stands; the session must be in preparation or convened."
        ),
    ),
    destroy=extend_schema(
        parameters=[_SESSION_PK, _ITEM_ID],
        responses={
            204: None,
            **_errors(gettext_lazy("The result is applied (already_applied), or the agenda is closed.")),
        },
        description=gettext_lazy(
            "Takes the item's dossier off the agenda (`dossier_unschedule`): it is reviewed again."
        ),
    ),
)
class AgendaItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The items of one session's agenda, and the committee's votes on them."""

    serializer_class = serializers.AgendaItemSerializer
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["position", "id"]
    ordering = ["position", "id"]
    filterset_fields = ["outcome", "result"]

    def get_session(self) -> CommitteeSession:
        if not hasattr(self, "_session"):
            session = session_list_for_user(self.request.user).filter(pk=self.kwargs["session_pk"]).first()
            if session is None:
                raise Http404
            self._session = session
        return self._session

    def get_queryset(self) -> QuerySet[AgendaItem]:
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return AgendaItem.objects.none()
        return agenda_item_list_with_votes(self.request.user, self.get_session())

    def _item(self, item, status_code=status.HTTP_200_OK):
        item = self.get_queryset().get(pk=item.pk)
        return Response(self.get_serializer(item).data, status=status_code)

    def create(self, request, *args, **kwargs):
        session = self.get_session()
        _require_manager(request.user)
        payload = serializers.AgendaAddSerializer(
            data=request.data, dossiers=dossier_list_for_user(request.user, staff_only=True)
        )
        payload.is_valid(raise_exception=True)
        dossier = payload.validated_data["dossier"]
        try:
            dossier_schedule(dossier=dossier, actor=request.user, session=session, ip_address=client_ip(request))
        except TransitionRefused as error:
            raise refusal_exception(error) from None
        return self._item(AgendaItem.objects.get(session=session, dossier=dossier), status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        item = self.get_object()
        _require_manager(request.user)
        if item.result != ItemResult.PENDING:
            raise Conflict(_("The committee's decision is applied."), code="already_applied")
        try:
            dossier_unschedule(dossier=item.dossier, actor=request.user, ip_address=client_ip(request))
        except TransitionRefused as error:
            raise refusal_exception(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="committee_sessions_items_reorder",
        summary=gettext_lazy("Order the agenda"),
        description=gettext_lazy(
            "Numbers the agenda again from 1: sorted by territory, contract or theme, or in the order of "
            "`items` (every item once). While the session is in preparation or convened."
        ),
        parameters=[_SESSION_PK],
        request=serializers.AgendaReorderSerializer,
        responses={
            200: serializers.AgendaItemSerializer(many=True),
            **_errors(gettext_lazy("The agenda is closed (code agenda_closed).")),
        },
    )
    @action(detail=False, methods=["post"])
    def reorder(self, request, session_pk=None, **kwargs):
        session = self.get_session()
        _require_manager(request.user)
        payload = serializers.AgendaReorderSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            agenda_reorder(
                session=session,
                actor=request.user,
                order_by=payload.validated_data.get("order_by"),
                item_ids=payload.validated_data.get("items"),
            )
        return Response(self.get_serializer(agenda_item_list_with_votes(request.user, session), many=True).data)

    @extend_schema(
        operation_id="committee_sessions_items_vote",
        summary=gettext_lazy("Record the vote on an item"),
        description=gettext_lazy(
            "Each present member's choice (the members withdrawn from the item are recorded as such), the "
            "committee's amendment of the amount if any, and a reason if the item is rejected; recording a vote "
            "again replaces the earlier one. The result reaches the dossier when the session is closed."
        ),
        parameters=[_SESSION_PK, _ITEM_ID],
        request=serializers.ItemVoteSerializer,
        responses={
            200: serializers.AgendaItemSerializer,
            **_errors(
                gettext_lazy(
                    "The session is not held (invalid_session_status), the result is applied (already_applied), "
                    "or the quorum is not reached (quorum_not_reached)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def vote(self, request, session_pk=None, pk=None, **kwargs):
        item = self.get_object()
        _require_manager(request.user)
        payload = serializers.ItemVoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            item_record_votes(
                item=item,
                actor=request.user,
                votes=payload.choices(),
                amended_amount=payload.validated_data["amended_amount"],
                reason=payload.validated_data["reason"],
            )
        return self._item(item)

    @extend_schema(
        operation_id="committee_sessions_items_defer",
        summary=gettext_lazy("Defer an item"),
        description=gettext_lazy("The committee defers the item to a later session, with its reason (quorum needed)."),
        parameters=[_SESSION_PK, _ITEM_ID],
        request=serializers.DeferSerializer,
        responses={
            200: serializers.AgendaItemSerializer,
            **_errors(gettext_lazy("The session is not held, the result is applied, or no quorum.")),
        },
    )
    @action(detail=True, methods=["post"])
    def defer(self, request, session_pk=None, pk=None, **kwargs):
        item = self.get_object()
        _require_manager(request.user)
        payload = serializers.DeferSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            item_defer(item=item, actor=request.user, reason=payload.validated_data["reason"])
        return self._item(item)


# Scenarios --------------------------------------------------------------------------------------------

_SCENARIO_ID = _path_id("id", gettext_lazy("The scenario's id (404 outside your scope)."))
_SCENARIO_ERRORS = {
    400: OpenApiResponse(description=gettext_lazy("Invalid payload, or lines the rules refuse (each with its code).")),
    403: OpenApiResponse(
        description=gettext_lazy("Only its author, the secretariat or an administrator changes it (code forbidden).")
    ),
    404: OpenApiResponse(description=gettext_lazy("No such scenario in your scope.")),
    409: OpenApiResponse(
        description=gettext_lazy(
            "The envelope is closed (envelope_closed) or the scenario was turned (already_turned)."
        )
    ),
}


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "The scenarios over the envelopes you may program (your territories' for an officer, every one for "
            "the secretariat and administrators), most recently changed first, with their number of lines and total."
        )
    ),
    retrieve=extend_schema(
        parameters=[_SCENARIO_ID],
        description=gettext_lazy(
            "A scenario with its figures against its envelope: what is committed, the room before and after, its "
            "totals by theme, its average rate and its lines."
        ),
    ),
    create=extend_schema(
        request=serializers.ScenarioWriteSerializer,
        responses={201: serializers.ScenarioDetailSerializer, **_SCENARIO_ERRORS},
        description=gettext_lazy(
            "Saves a new scenario (`scenario_save`): reviewed dossiers of the envelope's contract, each with its "
            "eligible base and amount. Never commits money nor changes a dossier."
        ),
    ),
    update=extend_schema(
        parameters=[_SCENARIO_ID],
        request=serializers.ScenarioWriteSerializer,
        responses={200: serializers.ScenarioDetailSerializer, **_SCENARIO_ERRORS},
        description=gettext_lazy("Replaces the scenario's name, note and every line (its envelope stays)."),
    ),
    destroy=extend_schema(
        parameters=[_SCENARIO_ID],
        responses={204: None, **_SCENARIO_ERRORS},
        description=gettext_lazy("Deletes the scenario (never what an agenda it was turned into holds)."),
    ),
)
class ScenarioViewSet(viewsets.ModelViewSet):
    """What-if programmings of an envelope ahead of a session ("simulation")."""

    lookup_value_regex = "[0-9]+"
    http_method_names = ["get", "post", "put", "delete", "head", "options"]
    ordering_fields = ["updated_at", "created_at", "id", "name"]
    ordering = ["-updated_at", "-id"]
    filterset_fields = ["envelope"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Scenario.objects.none()
        return scenario_list_for_user(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.ScenarioSerializer
        return serializers.ScenarioDetailSerializer

    def _detail(self, scenario, status_code=status.HTTP_200_OK):
        scenario = self.get_queryset().get(pk=scenario.pk)
        context = {**self.get_serializer_context(), "figures": scenario_figures(scenario)}
        return Response(serializers.ScenarioDetailSerializer(scenario, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _save(self, request, scenario=None):
        payload = serializers.ScenarioWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        envelope = envelope_list_for_scenarios(request.user).filter(pk=data["envelope"]).first()
        if envelope is None:
            raise exceptions.ValidationError(
                {"envelope": [exceptions.ErrorDetail(_("No such envelope in your scope."), code="does_not_exist")]}
            )
        with service_refusals():
            return scenario_save(
                actor=request.user,
                envelope=envelope,
                name=data["name"],
                note=data["note"],
                lines=[(line["dossier"], line["eligible_base"], line["amount"]) for line in data["lines"]],
                scenario=scenario,
            )

    def create(self, request, *args, **kwargs):
        return self._detail(self._save(request), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        return self._detail(self._save(request, self.get_object()))

    def destroy(self, request, *args, **kwargs):
        try:
            scenario_delete(actor=request.user, scenario=self.get_object())
        except PermissionDenied as error:
            raise refusal(error) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="scenarios_to_agenda",
        summary=gettext_lazy("Turn a scenario into an agenda"),
        description=gettext_lazy(
            "Puts each dossier of the scenario on the agenda of an open session (`dossier_schedule`), with the "
            "scenario's amount and base as the proposal and its envelope as the one the approval commits; a "
            "line the dossier's services refuse is reported with its reason, the others go on. The secretariat "
            "and administrators only."
        ),
        parameters=[_SCENARIO_ID],
        request=serializers.ScenarioAgendaSerializer,
        responses={
            200: serializers.ScenarioAgendaReportSerializer,
            **_SCENARIO_ERRORS,
            409: OpenApiResponse(
                description=gettext_lazy(
                    "Already turned (already_turned), the session's agenda is closed (session_closed_for_agenda) "
                    "or the envelope is closed (envelope_closed)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def agenda(self, request, pk=None, **kwargs):
        scenario = self.get_object()
        if not can_turn_scenarios(request.user):
            raise exceptions.PermissionDenied(
                _("Only the committee's secretariat or an administrator can build an agenda."), code="forbidden"
            )
        payload = serializers.ScenarioAgendaSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = sessions_open_for_agenda().filter(pk=payload.validated_data["session"]).first()
        if session is None:
            raise exceptions.ValidationError(
                {"session": [exceptions.ErrorDetail(_("Choose a session whose agenda is open."), code="invalid")]}
            )
        with service_refusals():
            report = scenario_to_agenda(
                scenario=scenario, session=session, actor=request.user, ip_address=client_ip(request)
            )
        body = {
            "session": session.pk,
            "scheduled": [dossier.pk for dossier in report.scheduled],
            "refused": [
                {"dossier": dossier.pk, "reference": dossier.reference, "reason": reason}
                for dossier, reason in report.refused
            ],
        }
        return Response(serializers.ScenarioAgendaReportSerializer(body).data)


# Declared interests -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "The interests you declared as a committee member (empty for everyone else): you withdraw (déport) "
            "from every item whose sponsor or territory they name."
        )
    ),
    create=extend_schema(
        request=serializers.InterestDeclareSerializer,
        responses={
            201: serializers.InterestSerializer,
            400: OpenApiResponse(description=gettext_lazy("Neither or both of organisation and territory.")),
            403: OpenApiResponse(description=gettext_lazy("Committee members only (code forbidden).")),
            409: OpenApiResponse(description=gettext_lazy("Already declared (code duplicate_interest).")),
        },
        description=gettext_lazy("Declares your interest in an organisation or a territory (`interest_declare`)."),
    ),
    destroy=extend_schema(
        parameters=[_path_id("id", gettext_lazy("The interest's id (404 unless it is yours)."))],
        responses={
            204: None,
            404: OpenApiResponse(description=gettext_lazy("No such interest among yours.")),
            409: OpenApiResponse(
                description=gettext_lazy("A held session relies on it: remove it once closed (code session_held).")
            ),
        },
        description=gettext_lazy("Removes one of your declared interests (`interest_remove`)."),
    ),
)
class InterestViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """A committee member's own declared interests, as on their page."""

    serializer_class = serializers.InterestSerializer
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["declared_on", "id"]
    ordering = ["declared_on", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or not is_committee_member(self.request.user):
            return MemberInterest.objects.none()
        return MemberInterest.objects.filter(member=self.request.user)

    def create(self, request, *args, **kwargs):
        if not is_committee_member(request.user):
            raise exceptions.PermissionDenied(_("Only committee members declare interests."), code="forbidden")
        payload = serializers.InterestDeclareSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            interest = interest_declare(member=request.user, actor=request.user, **payload.validated_data)
        return Response(serializers.InterestSerializer(interest).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        with service_refusals():
            interest_remove(member=request.user, interest=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
