"""Payment orders for the accounting system, and the recovery orders (titres de recette) to issue.

Finance exports the validated requests waiting for payment as one payment order (`OP-2026-000001`,
numbered per year without gaps), hands its CSV to the accounting system, and records on return the date
the order was paid: each of its requests is then paid, and the sponsors are told. A balance that ends in
a recovery order (more paid than the final grant) is listed, and exported with the same columns, for the
titre de recette to be issued.

Only finance and administrators reach any of it. Each service runs in one transaction and takes its row
locks before checking its guards; a refusal raises `PermissionDenied` or `ValidationError` with a
sentence, and changes nothing.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from committees.models import AgendaItem, ItemResult
from documents.spreadsheets import csv_text
from dossiers.money import format_eur
from messaging.notices import notices_send
from payments.models import ORDERED_REQUEST_STATES, PaymentKind, PaymentOrder, PaymentRequest, RequestState
from payments.permissions import is_finance
from workflows.recipients import sponsor_members

# The columns of the accounting system's import: fixed names, whatever the language of the page.
CSV_COLUMNS = (
    "order_number",
    "dossier_reference",
    "beneficiary",
    "siret_or_rna",
    "iban",
    "bic",
    "amount",
    "kind",
    "budget_line",
    "deliberation_number",
    "request_id",
)


def can_manage_payment_orders(user) -> bool:
    return is_finance(user)


# Selectors -----------------------------------------------------------------------------------------


def _deliberation_number():
    """The number of the committee's approval of the request's dossier (its latest, if voted again)."""
    approvals = AgendaItem.objects.filter(
        dossier=OuterRef("dossier_id"), result=ItemResult.APPROVED, deliberation_number__isnull=False
    ).order_by("-decided_at", "-pk")
    return Subquery(approvals.values("deliberation_number")[:1])


def _for_export(requests: QuerySet[PaymentRequest]) -> QuerySet[PaymentRequest]:
    """Each request with what its CSV line needs, in the same query: dossier, beneficiary, envelope,
    contract, bank details, order and deliberation number."""
    return requests.select_related(
        "dossier__organisation", "dossier__envelope", "dossier__contract", "bank_account", "order"
    ).annotate(deliberation_number=_deliberation_number())


def requests_to_order() -> QuerySet[PaymentRequest]:
    """The validated requests with an amount to pay that no order carries yet, oldest validation first."""
    waiting = PaymentRequest.objects.filter(state=RequestState.VALIDATED, payable__gt=0, order__isnull=True)
    return _for_export(waiting).order_by("validated_at", "pk")


def recovery_orders_to_issue() -> QuerySet[PaymentRequest]:
    """The validated balances that claim money back (more was paid than the final grant) whose recovery
    order finance has not recorded as issued yet."""
    recoveries = PaymentRequest.objects.filter(
        kind=PaymentKind.BALANCE,
        state__in=ORDERED_REQUEST_STATES,
        recovery__gt=0,
        recovery_issued_on__isnull=True,
    )
    return _for_export(recoveries).order_by("validated_at", "pk")


def payment_order_list_for_user(user) -> QuerySet[PaymentOrder]:
    """Every order for finance and administrators, latest first, each with its number of requests and
    its total (in the same query); none for anyone else."""
    if not can_manage_payment_orders(user):
        return PaymentOrder.objects.none()
    return (
        PaymentOrder.objects.select_related("created_by", "paid_recorded_by")
        .annotate(request_count=Count("requests"), total=Sum("requests__payable"))
        .order_by("-created_at", "-pk")
    )


def payment_order_requests(order: PaymentOrder) -> QuerySet[PaymentRequest]:
    return _for_export(PaymentRequest.objects.filter(order=order)).order_by("pk")


# Services ------------------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    """`OP-<year>-<000001>`: one more than the year's last order. The latest order's row is locked first,
    so that concurrent exports take their turn and each counts the orders committed before it."""
    PaymentOrder.objects.select_for_update().order_by("-pk").values_list("pk", flat=True).first()
    prefix = f"OP-{year}-"
    last = (
        PaymentOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{int(last.removeprefix(prefix)) + 1 if last else 1:06d}"


def _order_create(actor, request_ids) -> PaymentOrder:
    number = _next_number(timezone.localdate().year)
    requests = PaymentRequest.objects.select_for_update().filter(
        state=RequestState.VALIDATED, order__isnull=True, payable__gt=0
    )
    if request_ids is not None:
        requests = requests.filter(pk__in=list(request_ids))
    # Locked, then read again: a request another export took meanwhile no longer matches.
    chosen = list(requests.order_by("pk").values_list("pk", flat=True))
    if not chosen:
        raise ValidationError(
            _(
                "No validated payment request is waiting for an order among those chosen: "
                "they may have been exported meanwhile."
            ),
            code="nothing_to_order",
        )
    order = PaymentOrder.objects.create(number=number, created_by=actor)
    PaymentRequest.objects.filter(pk__in=chosen).update(order=order)
    return order


def payment_order_create(*, actor, request_ids: Iterable[int] | None = None) -> PaymentOrder:
    """Puts the validated requests waiting for payment (all of them, or those of `request_ids`) on a new
    payment order, numbered in sequence for the year. Requests exported meanwhile by someone else, no
    longer validated or with nothing to pay are left out; with none left, the export is refused."""
    if not can_manage_payment_orders(actor):
        raise PermissionDenied(_("Only finance exports payment orders."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                return _order_create(actor, request_ids)
        except IntegrityError:
            # The very first order, exported twice at the same moment: neither found an order to lock,
            # and the unique number stopped the second. Its turn now comes after the first.
            return _order_create(actor, request_ids)


def payment_order_mark_paid(*, order: PaymentOrder, actor, paid_on: date) -> PaymentOrder:
    """Records that the accounting system paid the order on `paid_on`: each of its requests is paid on
    that day, and the sponsor's members of each dossier are told (`payment_request_paid`, in the app and by
    e-mail after the commit). Refused for a date in the future or before the export, and a second time."""
    if not can_manage_payment_orders(actor):
        raise PermissionDenied(_("Only finance records the payment of an order."))
    with transaction.atomic():
        locked = PaymentOrder.objects.select_for_update().get(pk=order.pk)
        if locked.paid_on is not None:
            raise ValidationError(
                _("The order %(number)s was already recorded paid on %(date)s.")
                % {"number": locked.number, "date": date_format(locked.paid_on, "DATE_FORMAT")},
                code="already_paid",
            )
        exported_on = timezone.localdate(locked.created_at)
        if paid_on > timezone.localdate():
            raise ValidationError(_("The payment date cannot be in the future."), code="paid_on_in_future")
        if paid_on < exported_on:
            raise ValidationError(
                _("The order was exported on %(date)s: it cannot have been paid before.")
                % {"date": date_format(exported_on, "DATE_FORMAT")},
                code="paid_on_before_export",
            )
        requests = list(
            PaymentRequest.objects.select_for_update(of=("self",))
            .select_related("dossier")
            .filter(order=locked)
            .order_by("pk")
        )
        for request in requests:
            if not can_proceed(request.record_payment):
                raise ValidationError(
                    _("The request %(id)s of dossier %(reference)s is “%(state)s”: it cannot be paid.")
                    % {"id": request.pk, "reference": request.dossier.reference, "state": request.get_state_display()},
                    code="request_not_validated",
                )
            request.record_payment(on=paid_on)
            request.save()
        locked.paid_on, locked.paid_recorded_by = paid_on, actor
        locked.save(update_fields=["paid_on", "paid_recorded_by"])
        for request in requests:
            notices_send(
                dossier=request.dossier,
                code="payment_request_paid",
                values={"kind": request.kind, "amount": format_eur(request.payable), "paid_on": paid_on},
                recipients=sponsor_members(request.dossier),
            )
    return locked


def recovery_order_record(*, request: PaymentRequest, actor, reference: str, issued_on: date) -> PaymentRequest:
    """Finance records the recovery order (titre de recette) the accounting system issued for a balance
    that claims money back: its number and date. Refused for a request with nothing to recover, a second
    time, without a number, or for a date before the validation or in the future."""
    if not can_manage_payment_orders(actor):
        raise PermissionDenied(_("Only finance records the recovery orders."))
    reference = " ".join((reference or "").split())
    with transaction.atomic():
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        if not (locked.recovery and locked.state in ORDERED_REQUEST_STATES):
            raise ValidationError(_("This payment request claims nothing back."), code="nothing_to_recover")
        if locked.recovery_issued_on is not None:
            raise ValidationError(
                _("Its recovery order was already recorded (%(reference)s).")
                % {"reference": locked.recovery_reference},
                code="already_recorded",
            )
        if not reference:
            raise ValidationError({"reference": _("Give the number of the recovery order.")}, code="reference_required")
        validated_on = timezone.localdate(locked.validated_at)
        if not validated_on <= issued_on <= timezone.localdate():
            raise ValidationError(
                {
                    "issued_on": _("The date must be between the validation (%(date)s) and today.")
                    % {"date": date_format(validated_on, "DATE_FORMAT")}
                },
                code="invalid_date",
            )
        locked.recovery_reference = reference[:50]
        locked.recovery_issued_on = issued_on
        locked.recovery_recorded_by = actor
        locked.save(update_fields=["recovery_reference", "recovery_issued_on", "recovery_recorded_by"])
    return locked


# CSV -----------------------------------------------------------------------------------------------


def _csv(requests: Iterable[PaymentRequest], *, amount_of) -> str:
    """UTF-8 text, comma-separated, a header row, amounts with a decimal point and two decimals; a text
    cell a spreadsheet would read as a formula is quoted away."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for request in requests:
        dossier, organisation, account = request.dossier, request.dossier.organisation, request.bank_account
        budget_line = dossier.envelope.label if dossier.envelope_id else dossier.contract.name
        writer.writerow(
            [
                csv_text(request.order.number if request.order_id else ""),
                csv_text(dossier.reference),
                csv_text(organisation.name),
                csv_text(organisation.siret or organisation.rna),
                csv_text(account.iban if account else ""),
                csv_text(account.bic if account else ""),
                f"{amount_of(request):.2f}",
                request.kind,
                csv_text(budget_line),
                csv_text(request.deliberation_number),
                request.pk,
            ]
        )
    return buffer.getvalue()


def payment_order_csv(order: PaymentOrder) -> str:
    """The order as the accounting system imports it: one line per request, its amount payable."""
    return _csv(payment_order_requests(order), amount_of=lambda request: request.payable)


def recovery_orders_csv() -> str:
    """The recovery orders to issue, with the payment orders' columns: the amount is the sum to claim back,
    and there is no order number."""
    return _csv(recovery_orders_to_issue(), amount_of=lambda request: request.recovery)
