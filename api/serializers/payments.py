"""Payments as the API shows them: payment requests with their expense statement, files and calculation,
the signed conventions, the bank details and the payment orders. Every figure the procedure sets (state,
amounts payable, final grant, dates of each step) is read-only; the inputs are validated here for their
types only, the services decide the rest."""

import json
import uuid

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from api.serializers.dossiers import OrganisationSummarySerializer
from payments.models import (
    BankAccount,
    ExpenseStatementLine,
    PaymentFile,
    PaymentKind,
    PaymentOrder,
    PaymentRequest,
    SignedConvention,
)
from payments.presentation import calculation_steps
from payments.services import StatementLine

MONEY = {"max_digits": 14, "decimal_places": 2}


def _absolute(context, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


# Payment requests --------------------------------------------------------------------------------------


class StatementLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExpenseStatementLine
        fields = [
            "id",
            "position",
            "supplier",
            "invoice_reference",
            "invoice_date",
            "amount_ht",
            "amount_ttc",
            "is_eligible",
            "excluded",
            "exclusion_reason",
        ]
        read_only_fields = fields


class PaymentFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = PaymentFile
        fields = ["id", "kind", "original_name", "content_type", "size", "sha256", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        """The file, from `GET /api/v1/payment-requests/{id}/files/{file_id}/download/`."""
        url = reverse("api:payment-request-file-download", args=[document.request_id, document.pk])
        return _absolute(self.context, url)


class CalculationStepSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text=_("The step's rule (advance_cap, earned, payable…)."))
    label = serializers.CharField(read_only=True, help_text=_("The step as the web UI words it."))
    amount = serializers.DecimalField(read_only=True, **MONEY)


REQUEST_LIST_FIELDS = [
    "id",
    "dossier",
    "dossier_reference",
    "organisation",
    "kind",
    "state",
    "requested_amount",
    "payable",
    "recovery",
    "final_grant",
    "submitted_at",
    "checked_at",
    "validated_at",
    "paid_on",
    "decided_at",
]


class PaymentRequestListSerializer(serializers.ModelSerializer):
    dossier_reference = serializers.CharField(source="dossier.reference", read_only=True)
    organisation = OrganisationSummarySerializer(source="dossier.organisation", read_only=True)

    class Meta:
        model = PaymentRequest
        fields = REQUEST_LIST_FIELDS
        read_only_fields = fields


class PaymentRequestDetailSerializer(PaymentRequestListSerializer):
    lines = StatementLineSerializer(many=True, read_only=True)
    files = PaymentFileSerializer(many=True, read_only=True)
    calculation = serializers.SerializerMethodField()

    class Meta:
        model = PaymentRequest
        fields = [
            *REQUEST_LIST_FIELDS,
            "idempotency_key",
            "comment",
            "check_comment",
            "reason",
            "justified_total",
            "released",
            "calculation",
            "order",
            "recovery_reference",
            "recovery_issued_on",
            "lines",
            "files",
        ]
        read_only_fields = fields

    @extend_schema_field(CalculationStepSerializer(many=True))
    def get_calculation(self, payment):
        """The calculation's steps stored with the request (fixed at its validation), with their rule."""
        return [{"code": code, "label": label, "amount": amount} for code, label, amount in calculation_steps(payment)]


class StatementLineInputSerializer(serializers.Serializer):
    supplier = serializers.CharField(label=_("Supplier"), max_length=200)
    invoice_reference = serializers.CharField(label=_("Invoice reference"), max_length=100)
    invoice_date = serializers.DateField(label=_("Invoice date"))
    amount_ht = serializers.DecimalField(label=_("Amount excl. VAT"), min_value=0, **MONEY)
    amount_ttc = serializers.DecimalField(label=_("Amount incl. VAT"), min_value=0, **MONEY)
    is_eligible = serializers.BooleanField(label=_("Eligible"), required=False, default=True)

    def to_internal_value(self, data):
        return StatementLine(**super().to_internal_value(data))


class StatementLinesField(serializers.ListField):
    """The expense statement: a list of lines in a JSON body; in a multipart body, the same list as JSON
    text in one `lines` part."""

    default_error_messages = {"invalid_json": _("The lines must be a JSON list of objects.")}

    def __init__(self, **kwargs):
        super().__init__(child=StatementLineInputSerializer(), **kwargs)

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid_json")
        return super().to_internal_value(data)


class PaymentRequestSubmitSerializer(serializers.Serializer):
    """A payment request as the sponsor's form sends it (JSON, or multipart to attach files)."""

    dossier = serializers.IntegerField(help_text=_("The dossier's id (404 outside your scope)."))
    kind = serializers.ChoiceField(choices=PaymentKind.choices)
    idempotency_key = serializers.UUIDField(
        required=False,
        default=uuid.uuid4,
        help_text=_(
            "Generated by the client for each request it means to make: sent again with the same key (a retry), "
            "the request is created once and answered again (200 instead of 201)."
        ),
    )
    requested_amount = serializers.DecimalField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text=_("For an advance: the amount asked, at most what the rules allow; empty asks for the maximum."),
        **MONEY,
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    lines = StatementLinesField(
        required=False,
        default=list,
        help_text=_("The expense statement (required for an instalment). In a multipart body: the list as JSON text."),
    )
    invoices = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=_("The invoices (PDF, PNG or JPEG, checked by their content); repeat the part for several."),
    )
    completion_statement = serializers.FileField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("For the balance: the completion statement of the project (PDF, PNG or JPEG)."),
    )


class LineExclusionSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The id of a line of the request's statement."))
    reason = serializers.CharField(max_length=500, help_text=_("Why the line no longer counts (the sponsor reads it)."))


class CheckPayloadSerializer(serializers.Serializer):
    exclusions = LineExclusionSerializer(
        many=True, required=False, default=list, help_text=_("The lines excluded from the statement, each with why.")
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text=_("To the sponsor and finance.")
    )


class ReasonPayloadSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, max_length=5000, help_text=_("Why (required; the sponsor reads it).")
    )


class NoPayloadSerializer(serializers.Serializer):
    """No input (an empty object)."""


# Signed conventions --------------------------------------------------------------------------------------


class SignedConventionSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = SignedConvention
        fields = [
            "id",
            "dossier",
            "status",
            "signed_on",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "decided_at",
            "refusal_reason",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, copy) -> str:
        """The signed copy, from `GET /api/v1/conventions/{id}/download/`."""
        return _absolute(self.context, reverse("api:convention-download", args=[copy.pk]))


class ConventionSubmitSerializer(serializers.Serializer):
    dossier = serializers.IntegerField(help_text=_("The dossier's id (404 outside your scope)."))
    file = serializers.FileField(help_text=_("The convention signed by the sponsor, as one PDF (checked by content)."))
    signed_on = serializers.DateField(help_text=_("The date of the sponsor's signature (notification to today)."))


# Bank details --------------------------------------------------------------------------------------------


class BankAccountSerializer(serializers.ModelSerializer):
    organisation = OrganisationSummarySerializer(read_only=True)
    iban = serializers.CharField(source="formatted_iban", read_only=True)
    rib_url = serializers.SerializerMethodField()

    class Meta:
        model = BankAccount
        fields = [
            "id",
            "organisation",
            "holder",
            "iban",
            "masked_iban",
            "bic",
            "status",
            "submitted_at",
            "decided_at",
            "refusal_reason",
            "original_name",
            "content_type",
            "size",
            "rib_url",
        ]
        read_only_fields = fields

    def get_rib_url(self, account) -> str:
        """The RIB, from `GET /api/v1/bank-accounts/{id}/rib/`."""
        return _absolute(self.context, reverse("api:bank-account-rib", args=[account.pk]))


class BankAccountSubmitSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(help_text=_("One of your organisations (404 otherwise)."))
    holder = serializers.CharField(max_length=200, help_text=_("The account holder, as on the RIB."))
    iban = serializers.CharField(max_length=50, help_text=_("Spaces and case do not matter; checked (mod 97)."))
    bic = serializers.CharField(max_length=20)
    file = serializers.FileField(help_text=_("The RIB: a PDF, PNG or JPEG file (checked by its content)."))


# Payment orders ------------------------------------------------------------------------------------------


class PaymentOrderSerializer(serializers.ModelSerializer):
    request_count = serializers.IntegerField(read_only=True)
    total = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)

    class Meta:
        model = PaymentOrder
        fields = ["id", "number", "created_at", "paid_on", "request_count", "total"]
        read_only_fields = fields


class PaymentOrderCreatePayloadSerializer(serializers.Serializer):
    """What to export: all the validated requests waiting for an order, or only some of them."""

    requests = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The ids of the requests to export (as ticked on the web page); absent or null: every validated "
            "request waiting for an order. Those not waiting any more are left out."
        ),
    )


class PaymentOrderMarkPaidPayloadSerializer(serializers.Serializer):
    paid_on = serializers.DateField(
        help_text=_(
            "The date the accounting system paid the order (YYYY-MM-DD): not in the future, nor before the export."
        )
    )
