"""Payments through the API, with the web UI's services, selectors and rules:

- payment requests (`payments.selectors.payment_request_list_for_user`: a sponsor those of its
  organisations' dossiers, an officer those of its territories, finance and administrators all): the
  sponsor asks (`payment_request_submit`, its idempotency key, its expense statement and files checked by
  their content), the territory's officer checks (`payment_request_check`), finance validates
  (`payment_request_validate`), either sends back or rejects with a reason; the files are downloaded
  through the web UI's view;
- signed conventions (`payments.conventions`): the sponsor uploads the signed copy, the territory's
  officer countersigns it (the dossier's `sign_agreement`) or refuses it;
- bank details (`payments.bank`): the organisation's members send them, finance validates or refuses;
- payment orders (`payments.orders`): finance exports the validated requests as a new order, downloads
  its CSV (the web UI's download) and records its payment.

Outside one's scope: 404. A refusal of a service changes nothing and answers 403 (`forbidden`: the role
does not allow it), 400 (the payload: lines, files, reasons) or 409 (the state: another request in
progress, a convention to sign, bank details to validate, a request already handled…), with its code.
"""

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, parsers, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.exceptions import Conflict, service_refusal_exception, service_refusals
from api.schema import uploaded_file_responses
from api.serializers import payments as serializers
from api.views.transitions import refusal_exception
from dossiers.http import attachment_response, client_ip
from dossiers.models import Dossier, Organisation
from dossiers.selectors import dossier_list_for_user
from payments import services
from payments.bank import (
    bank_account_list_for_user,
    bank_account_refuse,
    bank_account_submit,
    bank_account_validate,
)
from payments.conventions import (
    convention_countersign,
    convention_refuse,
    convention_submit,
    signed_convention_list_for_user,
)
from payments.models import (
    BankAccount,
    BankAccountStatus,
    ConventionStatus,
    PaymentKind,
    PaymentOrder,
    PaymentRequest,
    RequestState,
    SignedConvention,
)
from payments.order_views import PaymentOrderExportView
from payments.orders import (
    can_manage_payment_orders,
    payment_order_create,
    payment_order_list_for_user,
    payment_order_mark_paid,
)
from payments.selectors import payment_request_list_for_user
from payments.views import payment_file_download
from workflows.permissions import organisation_ids
from workflows.services import TransitionRefused

# Refusals ----------------------------------------------------------------------------------------------

# The codes of `PaymentRefused` that are about what was sent (400); `forbidden` is the role (403); every
# other code is about the state of the dossier, its requests or its bank details (409).
PAYLOAD_CODES = frozenset(
    {
        "invalid_kind",
        "statement_required",
        "completion_statement_required",
        "invalid_line",
        "unknown_line",
        "exclusion_reason_required",
        "reason_required",
        "invalid_requested",
        "empty_file",
        "file_too_large",
        "file_type",
        "file",
    }
)


def payment_refusal_exception(refusal: services.PaymentRefused) -> exceptions.APIException:
    if refusal.code == "forbidden":
        return exceptions.PermissionDenied(refusal.message, code="forbidden")
    if refusal.code in PAYLOAD_CODES:
        return exceptions.ValidationError(refusal.message, code=refusal.code)
    return Conflict(refusal.message, code=refusal.code)


def _id_parameter(what, name="id"):
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=what)


def _dossier_in_scope(user, pk) -> Dossier:
    dossier = dossier_list_for_user(user).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


# Payment requests --------------------------------------------------------------------------------------


class PaymentRequestFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=RequestState.choices, help_text=_("One or more states (repeat the parameter).")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=PaymentKind.choices, help_text=_("One or more types (repeat the parameter).")
    )

    class Meta:
        model = PaymentRequest
        fields = ["dossier", "state", "kind"]


_REQUEST_ID = _id_parameter(_("The payment request's id (404 outside your scope)."))
_REFUSALS = {
    400: OpenApiResponse(
        description=_(
            "The payload: field errors, or the service's codes invalid_kind, statement_required, "
            "completion_statement_required, invalid_line, unknown_line, exclusion_reason_required, "
            "reason_required, invalid_requested, empty_file, file_too_large, file_type."
        )
    ),
    403: OpenApiResponse(description=_("Your role does not allow this action on a request you see (forbidden).")),
    404: OpenApiResponse(description=_("No such request (or dossier) in your scope.")),
    409: OpenApiResponse(
        description=_(
            "The state does not allow it now: invalid_state, convention_not_signed, request_in_progress, "
            "balance_asked, nothing_payable, advance_after_payment, bank_details_not_validated, concurrent…"
        )
    ),
}


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The payment requests you may see, as in the web UI: a sponsor's members those of its dossiers, "
            "an officer those of their territories, finance and administrators all of them."
        )
    ),
    retrieve=extend_schema(
        parameters=[_REQUEST_ID],
        description=_("A payment request with its expense statement, its files and its calculation."),
    ),
)
class PaymentRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The payment requests (advance, instalment, balance) of the caller's scope."""

    lookup_value_regex = "[0-9]+"
    filterset_class = PaymentRequestFilter
    ordering_fields = ["id", "submitted_at", "checked_at", "validated_at", "payable"]
    ordering = ["-submitted_at", "-id"]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return PaymentRequest.objects.none()
        requests = payment_request_list_for_user(self.request.user)
        if self.action != "list":
            requests = requests.select_related("dossier__rule_set").prefetch_related("lines", "files")
        return requests

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.PaymentRequestListSerializer
        if self.action == "create":
            return serializers.PaymentRequestSubmitSerializer
        return serializers.PaymentRequestDetailSerializer

    def _answer(self, payment, status_code=status.HTTP_200_OK) -> Response:
        payment = self.get_queryset().get(pk=payment.pk)
        body = serializers.PaymentRequestDetailSerializer(payment, context=self.get_serializer_context()).data
        return Response(body, status=status_code)

    @extend_schema(
        request={
            "multipart/form-data": serializers.PaymentRequestSubmitSerializer,
            "application/json": serializers.PaymentRequestSubmitSerializer,
        },
        responses={
            201: serializers.PaymentRequestDetailSerializer,
            200: OpenApiResponse(
                serializers.PaymentRequestDetailSerializer,
                description=_("A retry with the key of a request already made: that request, unchanged."),
            ),
            **_REFUSALS,
        },
        description=_(
            "A member of the dossier's organisation asks for a payment, through the web UI's service and "
            "checks: the dossier notified (its convention signed when one is required) or in payment, no other "
            "request in progress and no balance asked; an instalment needs its expense statement, the balance its "
            "completion statement; the files are PDF, PNG or JPEG by their content. Send multipart to attach "
            "files (the `lines` as JSON text). A refusal creates nothing."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = serializers.PaymentRequestSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        dossier = _dossier_in_scope(request.user, data["dossier"])
        again = PaymentRequest.objects.filter(dossier=dossier, idempotency_key=data["idempotency_key"]).exists()
        try:
            payment = services.payment_request_submit(
                dossier=dossier,
                actor=request.user,
                kind=data["kind"],
                idempotency_key=data["idempotency_key"],
                lines=data["lines"],
                invoices=data["invoices"],
                completion_statement=data["completion_statement"],
                requested_amount=data["requested_amount"],
                comment=data["comment"],
            )
        except services.PaymentRefused as refusal:
            raise payment_refusal_exception(refusal) from None
        return self._answer(payment, status.HTTP_200_OK if again else status.HTTP_201_CREATED)

    def _act(self, service, **arguments) -> Response:
        payment = self.get_object()
        try:
            payment = service(request=payment, actor=self.request.user, **arguments)
        except services.PaymentRefused as refusal:
            raise payment_refusal_exception(refusal) from None
        return self._answer(payment)

    @extend_schema(
        operation_id="payment_requests_check",
        summary=_("Check a request"),
        description=_(
            "The territory's officer checks a submitted request: the lines excluded (each with its reason) no "
            "longer count and the figures are computed again. The sponsor and finance are told."
        ),
        parameters=[_REQUEST_ID],
        request=serializers.CheckPayloadSerializer,
        responses={200: serializers.PaymentRequestDetailSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="check", url_name="check")
    def check(self, request, pk=None, **kwargs):
        payload = serializers.CheckPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        exclusions = {item["line"]: item["reason"] for item in data["exclusions"]}
        return self._act(services.payment_request_check, exclusions=exclusions, comment=data["comment"])

    @extend_schema(
        operation_id="payment_requests_validate",
        summary=_("Validate a request"),
        description=_(
            "Finance validates a checked request: its figures are fixed, the validated bank details recorded, the "
            "certificat de paiement issued; the dossier moves to in_payment at its first payment and to paid at "
            "the balance, exactly as in the web UI."
        ),
        parameters=[_REQUEST_ID],
        request=serializers.NoPayloadSerializer,
        responses={200: serializers.PaymentRequestDetailSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="validate", url_name="validate")
    def validate(self, request, pk=None, **kwargs):
        return self._act(services.payment_request_validate)

    @extend_schema(
        operation_id="payment_requests_send_back",
        summary=_("Send a request back"),
        description=_(
            "Returned to the sponsor with the reason, to correct and ask again: by the territory's officer, or by "
            "finance once checked."
        ),
        parameters=[_REQUEST_ID],
        request=serializers.ReasonPayloadSerializer,
        responses={200: serializers.PaymentRequestDetailSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="send-back", url_name="send-back")
    def send_back(self, request, pk=None, **kwargs):
        self.get_object()  # outside the scope: 404 before anything is said about the payload
        payload = serializers.ReasonPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._act(services.payment_request_send_back, reason=payload.validated_data["reason"])

    @extend_schema(
        operation_id="payment_requests_reject",
        summary=_("Reject a request"),
        description=_("Rejected with the reason: by the territory's officer, or by finance once checked."),
        parameters=[_REQUEST_ID],
        request=serializers.ReasonPayloadSerializer,
        responses={200: serializers.PaymentRequestDetailSerializer, **_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="reject", url_name="reject")
    def reject(self, request, pk=None, **kwargs):
        self.get_object()  # outside the scope: 404 before anything is said about the payload
        payload = serializers.ReasonPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._act(services.payment_request_reject, reason=payload.validated_data["reason"])

    @extend_schema(
        operation_id="payment_requests_file_download",
        summary=_("Download a request's file"),
        description=_("An invoice or the completion statement, as an attachment (never cached)."),
        parameters=[_REQUEST_ID, _id_parameter(_("The file's id (404 if not one of the request's)."), "file_id")],
        responses={
            **uploaded_file_responses(_("The file.")),
            404: OpenApiResponse(description=_("No such request in your scope, or no such file.")),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"files/(?P<file_id>[0-9]+)/download",
        url_name="file-download",
    )
    def file_download(self, request, pk=None, file_id=None, **kwargs):
        payment = self.get_object()
        # The web UI's download view: its own scope check, headers and file name.
        return payment_file_download(request._request, request_pk=payment.pk, file_pk=int(file_id))


# Signed conventions ------------------------------------------------------------------------------------


class SignedConventionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ConventionStatus.choices)

    class Meta:
        model = SignedConvention
        fields = ["dossier", "status"]


_CONVENTION_ID = _id_parameter(_("The signed copy's id (404 outside your scope)."))
_CONVENTION_REFUSALS = {
    400: OpenApiResponse(description=_("The payload (codes not_pdf, file_type, invalid_date, reason_required…).")),
    403: OpenApiResponse(description=_("Your role does not allow it (forbidden).")),
    404: OpenApiResponse(description=_("No such copy (or dossier) in your scope.")),
    409: OpenApiResponse(
        description=_(
            "The state: invalid_state, convention_not_required, copy_exists, already_decided, or the "
            "refusal of the dossier's sign_agreement."
        )
    ),
}


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The signed copies of the conventions you may see: your organisations' dossiers', and for the "
            "Region's staff those of the dossiers they see; the latest first."
        )
    ),
    retrieve=extend_schema(parameters=[_CONVENTION_ID], description=_("A signed copy and its status.")),
)
class SignedConventionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The conventions signed by the sponsors, and their countersignature by the territory's officers."""

    serializer_class = serializers.SignedConventionSerializer
    filterset_class = SignedConventionFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["uploaded_at", "id"]
    ordering = ["-uploaded_at", "-id"]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return SignedConvention.objects.none()
        return signed_convention_list_for_user(self.request.user)

    def _answer(self, copy, status_code=status.HTTP_200_OK) -> Response:
        copy = SignedConvention.objects.get(pk=copy.pk)
        return Response(self.get_serializer(copy).data, status=status_code)

    @extend_schema(
        request={"multipart/form-data": serializers.ConventionSubmitSerializer},
        responses={201: serializers.SignedConventionSerializer, **_CONVENTION_REFUSALS},
        description=_(
            "A member of the dossier's organisation sends the convention they signed (one PDF, checked by its "
            "content) while the notified grant needs it and no other copy waits or is countersigned. The "
            "territory's officers are told. A refusal stores nothing."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = serializers.ConventionSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        dossier = _dossier_in_scope(request.user, data["dossier"])
        with service_refusals(fields={"uploaded": "file"}):
            copy = convention_submit(
                dossier=dossier, actor=request.user, uploaded=data["file"], signed_on=data["signed_on"]
            )
        return self._answer(copy, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="conventions_countersign",
        summary=_("Countersign a signed copy"),
        description=_(
            "The territory's officer countersigns the copy waiting to be checked: the dossier's sign_agreement is "
            "recorded, dated today (the dossier moves to agreement_signed)."
        ),
        parameters=[_CONVENTION_ID],
        request=serializers.NoPayloadSerializer,
        responses={200: serializers.SignedConventionSerializer, **_CONVENTION_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="countersign", url_name="countersign")
    def countersign(self, request, pk=None, **kwargs):
        copy = self.get_object()
        try:
            copy = convention_countersign(copy=copy, actor=request.user, ip_address=client_ip(request))
        except TransitionRefused as refusal:
            raise refusal_exception(refusal) from None
        except (DjangoValidationError, PermissionDenied) as error:
            raise service_refusal_exception(error) from None
        return self._answer(copy)

    @extend_schema(
        operation_id="conventions_refuse",
        summary=_("Refuse a signed copy"),
        description=_("The territory's officer refuses the copy, saying why; the sponsor may send a new one."),
        parameters=[_CONVENTION_ID],
        request=serializers.ReasonPayloadSerializer,
        responses={200: serializers.SignedConventionSerializer, **_CONVENTION_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="refuse", url_name="refuse")
    def refuse(self, request, pk=None, **kwargs):
        copy = self.get_object()
        payload = serializers.ReasonPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            copy = convention_refuse(copy=copy, actor=request.user, reason=payload.validated_data["reason"])
        return self._answer(copy)

    @extend_schema(
        operation_id="conventions_download",
        summary=_("Download a signed copy"),
        description=_("The signed copy (PDF), as an attachment (never cached)."),
        parameters=[_CONVENTION_ID],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The PDF.")),
            404: OpenApiResponse(description=_("No such copy in your scope.")),
        },
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None, **kwargs):
        return attachment_response(self.get_object())


# Bank details ------------------------------------------------------------------------------------------


class BankAccountFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BankAccountStatus.choices)

    class Meta:
        model = BankAccount
        fields = ["organisation", "status"]


_ACCOUNT_ID = _id_parameter(_("The bank details' id (404 outside your scope)."))
_BANK_REFUSALS = {
    400: OpenApiResponse(description=_("The payload: holder, iban, bic, file or reason, with the field's error.")),
    403: OpenApiResponse(description=_("Only finance validates or refuses bank details (forbidden).")),
    404: OpenApiResponse(description=_("No such bank details (or organisation) in your scope.")),
    409: OpenApiResponse(description=_("Already validated or refused (already_decided).")),
}


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The bank details you may see: every organisation's for finance and administrators, your "
            "organisations' for a sponsor's members; the latest first."
        )
    ),
    retrieve=extend_schema(parameters=[_ACCOUNT_ID], description=_("One set of bank details and its status.")),
)
class BankAccountViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The beneficiaries' bank details: sent by the organisation's members, validated once by finance."""

    serializer_class = serializers.BankAccountSerializer
    filterset_class = BankAccountFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["submitted_at", "id"]
    ordering = ["-submitted_at", "-id"]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return BankAccount.objects.none()
        return bank_account_list_for_user(self.request.user)

    def _answer(self, account, status_code=status.HTTP_200_OK) -> Response:
        account = self.get_queryset().get(pk=account.pk)
        return Response(self.get_serializer(account).data, status=status_code)

    @extend_schema(
        request={"multipart/form-data": serializers.BankAccountSubmitSerializer},
        responses={201: serializers.BankAccountSerializer, **_BANK_REFUSALS},
        description=_(
            "A member of the organisation sends its bank details with the RIB: they replace the current ones and "
            "wait for finance; no payment goes out until finance validates them."
        ),
    )
    def create(self, request, *args, **kwargs):
        payload = serializers.BankAccountSubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organisation = Organisation.objects.filter(pk=data["organisation"], pk__in=organisation_ids(request.user))
        organisation = organisation.first()
        if organisation is None:
            raise Http404
        with service_refusals(fields={"uploaded": "file"}):
            account = bank_account_submit(
                organisation=organisation,
                actor=request.user,
                holder=data["holder"],
                iban=data["iban"],
                bic=data["bic"],
                uploaded=data["file"],
            )
        return self._answer(account, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="bank_accounts_validate",
        summary=_("Validate bank details"),
        description=_("Finance validates details waiting for it: payments may go to them."),
        parameters=[_ACCOUNT_ID],
        request=serializers.NoPayloadSerializer,
        responses={200: serializers.BankAccountSerializer, **_BANK_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="validate", url_name="validate")
    def validate(self, request, pk=None, **kwargs):
        account = self.get_object()
        with service_refusals():
            account = bank_account_validate(account=account, actor=request.user)
        return self._answer(account)

    @extend_schema(
        operation_id="bank_accounts_refuse",
        summary=_("Refuse bank details"),
        description=_("Finance refuses details waiting for it, saying why; the sponsor sends new ones."),
        parameters=[_ACCOUNT_ID],
        request=serializers.ReasonPayloadSerializer,
        responses={200: serializers.BankAccountSerializer, **_BANK_REFUSALS},
    )
    @action(detail=True, methods=["post"], url_path="refuse", url_name="refuse")
    def refuse(self, request, pk=None, **kwargs):
        account = self.get_object()
        payload = serializers.ReasonPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            account = bank_account_refuse(account=account, actor=request.user, reason=payload.validated_data["reason"])
        return self._answer(account)

    @extend_schema(
        operation_id="bank_accounts_rib",
        summary=_("Download the RIB"),
        description=_("The RIB sent with the details, as an attachment (never cached)."),
        parameters=[_ACCOUNT_ID],
        responses={
            **uploaded_file_responses(_("The file.")),
            404: OpenApiResponse(description=_("No such bank details in your scope.")),
        },
    )
    @action(detail=True, methods=["get"], url_path="rib", url_name="rib")
    def rib(self, request, pk=None, **kwargs):
        return attachment_response(self.get_object())


# Payment orders ----------------------------------------------------------------------------------------

_ORDER_ID = _id_parameter(_("The order's id (404 outside your scope: anyone but finance and administrators)."))
_ORDER_NOT_FOUND = OpenApiResponse(
    description=_("No such order in your scope: the payment orders are for finance and administrators only.")
)


class PaymentOrderCSVRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: text/csv`: the CSV itself is the web UI's response, sent as it is; an
    error answered to such a client keeps its JSON body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | str):
            return data
        return renderers.JSONRenderer().render(data)


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The payment orders sent to the accounting system, the latest first, each with its number of requests "
            "and its total (finance and administrators; empty for anyone else). The requests of an order: "
            "`GET /api/v1/payment-requests/` (their `order` field)."
        )
    ),
    retrieve=extend_schema(parameters=[_ORDER_ID], description=_("One payment order.")),
)
class PaymentOrderViewSet(viewsets.ReadOnlyModelViewSet):
    """The payment orders, as finance handles them on the web UI (/region/payment-orders/), through the same
    services (`payments.orders`): the validated requests waiting for payment exported as a new order, its CSV
    for the accounting system, the record of its payment. Anyone but finance and administrators: 404."""

    serializer_class = serializers.PaymentOrderSerializer
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["created_at", "id", "number"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return PaymentOrder.objects.none()
        return payment_order_list_for_user(self.request.user)

    def _answer(self, order, status_code=status.HTTP_200_OK) -> Response:
        order = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(order).data, status=status_code)

    @extend_schema(
        summary=_("Export the waiting requests as a new order"),
        description=_(
            "Finance puts the validated requests with an amount to pay that no order carries yet (all of them, or "
            "those of `requests`) on a new payment order, numbered in sequence for the year without gaps "
            "(`OP-2026-000001`), as the web UI's export does. Requests exported meanwhile, no longer validated or "
            "with nothing to pay are left out; with none left, nothing is created (409 nothing_to_order)."
        ),
        request=serializers.PaymentOrderCreatePayloadSerializer,
        responses={
            201: serializers.PaymentOrderSerializer,
            400: OpenApiResponse(description=_("The payload: `requests` is not a list of ids.")),
            404: _ORDER_NOT_FOUND,
            409: OpenApiResponse(description=_("No validated request is waiting for an order (nothing_to_order).")),
        },
    )
    def create(self, request, *args, **kwargs):
        if not can_manage_payment_orders(request.user):
            raise Http404  # as the web UI: the orders do not exist for anyone else
        payload = serializers.PaymentOrderCreatePayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            order = payment_order_create(actor=request.user, request_ids=payload.validated_data["requests"])
        return self._answer(order, status.HTTP_201_CREATED)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            # An error is JSON, as documented, even to a client that asked for the CSV (`Accept: text/csv`).
            response.accepted_renderer = renderers.JSONRenderer()
            response.accepted_media_type = response.accepted_renderer.media_type
        return response

    @extend_schema(
        operation_id="payment_orders_csv",
        summary=_("Download the order's CSV"),
        description=_(
            "The order as the accounting system imports it, exactly as the web UI's download: UTF-8, "
            "comma-separated, a header row (order_number, dossier_reference, beneficiary, siret_or_rna, iban, bic, "
            "amount, kind, budget_line, deliberation_number, request_id), one line per request with its amount "
            "payable (a decimal point, two decimals); a text cell a spreadsheet would read as a formula is quoted "
            "away. An attachment named after the order's number, never cached."
        ),
        parameters=[_ORDER_ID],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The CSV file.")),
            404: _ORDER_NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="csv",
        url_name="csv",
        renderer_classes=[renderers.JSONRenderer, PaymentOrderCSVRenderer],
    )
    def csv(self, request, pk=None, **kwargs):
        order = self.get_object()
        # The web UI's download view: its own access check, headers and file name.
        return PaymentOrderExportView.as_view()(request._request, pk=order.pk)

    @extend_schema(
        operation_id="payment_orders_mark_paid",
        summary=_("Record the order paid"),
        description=_(
            "Finance records the date the accounting system paid the order: each of its requests is paid on that "
            "day (the dossier moves as through the web UI) and the sponsors' members are told. Refused, changing "
            "nothing, for a date in the future or before the export (400) and a second time (409)."
        ),
        parameters=[_ORDER_ID],
        request=serializers.PaymentOrderMarkPaidPayloadSerializer,
        responses={
            200: serializers.PaymentOrderSerializer,
            400: OpenApiResponse(
                description=_("The payload: field errors, or paid_on_in_future, paid_on_before_export.")
            ),
            404: _ORDER_NOT_FOUND,
            409: OpenApiResponse(
                description=_(
                    "The order's state: already_paid, or request_not_validated (one of its requests cannot be paid)."
                )
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="mark-paid", url_name="mark-paid")
    def mark_paid(self, request, pk=None, **kwargs):
        order = self.get_object()
        payload = serializers.PaymentOrderMarkPaidPayloadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with service_refusals():
            order = payment_order_mark_paid(order=order, actor=request.user, **payload.validated_data)
        return self._answer(order)
