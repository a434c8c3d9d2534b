"""Payment requests: the sponsor asks (advance, instalment or balance), the territory's officer checks the
expense statement (excluding lines with a reason), finance validates; the figures follow the rule set
(`payments.calculation`) and are shown at every step.

Every service runs in one transaction and locks the dossier's row first, so the requests of one dossier
are handled one at a time: two finance officers validating the same request at once give one validation
and a clean refusal, and each calculation starts from the payments ordered before it. A refusal raises
`PaymentRefused` (a code and a message) and changes nothing.

Side effects: notices (`messaging.notices`) to the people who act next or who asked; the validation
issues the certificat de paiement (`documents`, rendered after the commit), moves the dossier to
`in_payment` at its first payment and to `paid` with its final grant at the balance (which releases the
unused commitment: commitments are summed as the final grant once there is one).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import ConcurrentTransition, can_proceed

from documents.uploads import check_upload, save_with_file
from dossiers.models import Dossier
from dossiers.money import ZERO, format_eur, round_cents
from dossiers.rules import convention_required
from messaging.notices import notices_send
from payments import calculation
from payments.bank import bank_account_for_payment
from payments.models import (
    OPEN_REQUEST_STATES,
    ORDERED_REQUEST_STATES,
    ExpenseStatementLine,
    PaymentFile,
    PaymentFileKind,
    PaymentKind,
    PaymentRequest,
    RequestState,
)
from payments.permissions import is_finance, is_sponsor_member, is_territory_officer
from workflows.enums import DossierState, Role
from workflows.recipients import sponsor_members, territory_officers

PAYABLE_STATES = frozenset({DossierState.NOTIFIED, DossierState.AGREEMENT_SIGNED, DossierState.IN_PAYMENT})


class PaymentRefused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StatementLine:
    """A line of the expense statement as the sponsor sends it."""

    supplier: str
    invoice_reference: str
    invoice_date: date
    amount_ht: Decimal
    amount_ttc: Decimal
    is_eligible: bool = True


# Who -----------------------------------------------------------------------------------------------


def finance_users():
    return get_user_model().objects.filter(is_active=True, groups__name=Role.FINANCE)


# Figures -------------------------------------------------------------------------------------------


def grant_of(granted_amount: Decimal, eligible_base: Decimal | None) -> calculation.Grant:
    """The committee's decision as the payment rules read it. An amount amended above the base the
    officer proposed keeps its own amount as the base (rate 100 %)."""
    return calculation.Grant(voted=granted_amount, eligible_base=max(eligible_base or ZERO, granted_amount))


def dossier_grant(dossier: Dossier) -> calculation.Grant:
    return grant_of(dossier.granted_amount, dossier.eligible_base)


def _counted(lines, tax_basis: str) -> Decimal:
    return sum((line.amount_for(tax_basis) for line in lines if line.counts), ZERO)


def dossier_paid_and_justified(dossier: Dossier, *, excluding: PaymentRequest | None = None) -> tuple[Decimal, Decimal]:
    """What the requests ordered so far (validated or paid) paid and justified."""
    ordered = PaymentRequest.objects.filter(dossier=dossier, state__in=ORDERED_REQUEST_STATES)
    if excluding is not None:
        ordered = ordered.exclude(pk=excluding.pk)
    # Rounded: SQLite sums decimals as floats.
    paid = round_cents(ordered.aggregate(total=Sum("payable"))["total"] or ZERO)
    lines = ExpenseStatementLine.objects.filter(request__in=ordered)
    return paid, _counted(lines, dossier.tax_basis)


def request_calculation(request: PaymentRequest, *, lines=None) -> tuple[calculation.Calculation, Decimal]:
    """The request's calculation from today's figures (the grant, what was paid and justified before,
    and the request's own lines as checked: excluded lines do not count), and the eligible expenses
    justified so far, this request's included."""
    dossier = request.dossier
    grant = dossier_grant(dossier)
    rules = dossier.rule_set
    already_paid, justified_before = dossier_paid_and_justified(dossier, excluding=request)
    lines = list(request.lines.all()) if lines is None else lines
    justified = justified_before + _counted(lines, dossier.tax_basis)
    try:
        if request.kind == PaymentKind.ADVANCE:
            figures = calculation.advance(
                grant,
                advance_max_rate=rules.advance_max_rate,
                requested=request.requested_amount,
                already_paid=already_paid,
            )
        elif request.kind == PaymentKind.INSTALMENT:
            figures = calculation.instalment(
                grant, interim_max_rate=rules.interim_max_rate, justified=justified, already_paid=already_paid
            )
        else:
            figures = calculation.balance(grant, justified=justified, already_paid=already_paid)
    except calculation.PaymentRuleError as error:
        raise PaymentRefused(error.code, str(RULE_MESSAGES.get(error.code, error))) from None
    return figures, justified


RULE_MESSAGES = {
    "advance_after_payment": gettext_lazy("An advance can only be the first payment of a grant."),
    "invalid_requested": gettext_lazy("The amount requested must be more than zero."),
    "invalid_grant": gettext_lazy("The grant has no amount or eligible base to pay against."),
}


def figures_fields(figures: calculation.Calculation, justified: Decimal) -> dict:
    """The request's columns that hold a calculation (the services' and the demo's)."""
    return {
        "payable": figures.payable,
        "recovery": figures.recovery,
        "final_grant": figures.final_grant,
        "released": figures.released if figures.final_grant is not None else None,
        "justified_total": justified,
        "calculation": [{"code": step.code, "amount": str(step.amount)} for step in figures.steps],
    }


def _store_figures(request: PaymentRequest, figures: calculation.Calculation, justified: Decimal) -> None:
    for name, value in figures_fields(figures, justified).items():
        setattr(request, name, value)


# Locks ---------------------------------------------------------------------------------------------


def _lock_dossier(dossier_id: int) -> Dossier:
    return (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("organisation", "rule_set", "territory")
        .get(pk=dossier_id)
    )


def _lock_request(request: PaymentRequest) -> PaymentRequest:
    """The request and its dossier, locked (the dossier first, as every payment service does)."""
    dossier = _lock_dossier(request.dossier_id)
    locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
    locked.dossier = dossier
    return locked


def _save_transition(request: PaymentRequest) -> None:
    try:
        request.save()
    except ConcurrentTransition:
        raise PaymentRefused(
            "concurrent", _("Someone handled this request at the same moment; reload it and try again.")
        ) from None


# Submission ----------------------------------------------------------------------------------------


def payment_request_submit(
    *,
    dossier: Dossier,
    actor,
    kind: str,
    idempotency_key,
    lines: list[StatementLine] = (),
    invoices=(),
    completion_statement=None,
    requested_amount: Decimal | None = None,
    comment: str = "",
) -> PaymentRequest:
    """The sponsor asks for a payment. Sent twice with the same `idempotency_key` (a double click, a
    form sent again), it creates one request and returns it both times.

    Guards: a member of the dossier's organisation; the dossier notified (its convention signed when one
    is required) or in payment; no other request in progress, no balance asked already; an instalment
    has an expense statement; the balance has the completion statement; the files are PDF, PNG or JPEG
    by their content; an advance or instalment must have something to pay. The invoices and the
    completion statement are stored with the request; nothing is stored when it is refused."""
    if not is_sponsor_member(actor, dossier):
        raise PaymentRefused("forbidden", _("Only the sponsor's members ask for the payments of its dossiers."))
    checked_files = []
    for uploaded in invoices:
        checked_files.append((PaymentFileKind.INVOICE, uploaded, _checked(uploaded)))
    if completion_statement is not None:
        checked_files.append(
            (PaymentFileKind.COMPLETION_STATEMENT, completion_statement, _checked(completion_statement))
        )
    stored = []
    try:
        with transaction.atomic():
            locked = _lock_dossier(dossier.pk)
            existing = PaymentRequest.objects.filter(dossier=locked, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            _submission_guard(locked, kind, lines, completion_statement)
            request = PaymentRequest(
                dossier=locked,
                kind=kind,
                idempotency_key=idempotency_key,
                requested_amount=requested_amount if kind == PaymentKind.ADVANCE else None,
                comment=comment,
                created_by=actor,
            )
            statement = [
                ExpenseStatementLine(
                    position=position,
                    supplier=line.supplier,
                    invoice_reference=line.invoice_reference,
                    invoice_date=line.invoice_date,
                    amount_ht=line.amount_ht,
                    amount_ttc=line.amount_ttc,
                    is_eligible=line.is_eligible,
                )
                for position, line in enumerate(lines, start=1)
            ]
            _lines_guard(statement)
            figures, justified = request_calculation(request, lines=statement)
            if kind != PaymentKind.BALANCE and figures.payable <= ZERO:
                raise PaymentRefused(
                    "nothing_payable",
                    _(
                        "Nothing is payable on this request: what was paid already reaches what the rules "
                        "allow before the balance, or the expenses justified do not earn more."
                    ),
                )
            _store_figures(request, figures, justified)
            request.save()
            for line in statement:
                line.request = request
            ExpenseStatementLine.objects.bulk_create(statement)
            for file_kind, uploaded, checked in checked_files:
                stored.append(_store_file(request, file_kind, uploaded, checked, actor))
            notices_send(
                dossier=locked,
                code="payment_request_submitted",
                values={"kind": request.kind},
                recipients=territory_officers(locked),
            )
    except IntegrityError:
        for document in stored:
            document.file.delete(save=False)
        # The same form sent twice at the same moment (the other one created it), or another request
        # created meanwhile; any other integrity error is a bug, raised as it is.
        existing = PaymentRequest.objects.filter(dossier=dossier, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        if PaymentRequest.objects.filter(dossier=dossier, state__in=OPEN_REQUEST_STATES).exists():
            raise PaymentRefused(
                "request_in_progress", _("Another payment request of this dossier is in progress.")
            ) from None
        raise
    except BaseException:
        for document in stored:
            document.file.delete(save=False)
        raise
    return request


def _checked(uploaded):
    try:
        return check_upload(uploaded)
    except ValidationError as error:
        raise PaymentRefused(error.code or "file", f"{uploaded.name}: {error.messages[0]}") from None


def _store_file(request, kind, uploaded, checked, actor) -> PaymentFile:
    return save_with_file(PaymentFile(request=request, kind=kind, uploaded_by=actor), uploaded, checked)


def _submission_guard(dossier: Dossier, kind: str, lines, completion_statement) -> None:
    if kind not in PaymentKind.values:
        raise PaymentRefused("invalid_kind", _("Unknown type of payment."))
    if dossier.state not in PAYABLE_STATES:
        raise PaymentRefused(
            "invalid_state",
            _("Payments can be asked once the decision is notified; the dossier is “%(state)s”.")
            % {"state": dossier.get_state_display()},
        )
    if dossier.state == DossierState.NOTIFIED and convention_required(
        dossier=dossier, amount=dossier.granted_amount, rule_set=dossier.rule_set
    ):
        raise PaymentRefused(
            "convention_not_signed", _("The convention must be signed by both parties before any payment.")
        )
    requests = PaymentRequest.objects.filter(dossier=dossier)
    if requests.filter(state__in=[RequestState.SUBMITTED, RequestState.CHECKED]).exists():
        raise PaymentRefused(
            "request_in_progress",
            _("Another payment request of this dossier is in progress: wait for its validation."),
        )
    if (
        requests.filter(kind=PaymentKind.BALANCE)
        .exclude(state__in=[RequestState.RETURNED, RequestState.REJECTED])
        .exists()
    ):
        raise PaymentRefused("balance_asked", _("The balance has already been asked for: no other payment can follow."))
    if kind == PaymentKind.INSTALMENT and not lines:
        raise PaymentRefused("statement_required", _("An instalment needs the expense statement (one line at least)."))
    if kind == PaymentKind.BALANCE and completion_statement is None:
        raise PaymentRefused(
            "completion_statement_required", _("The balance needs the completion statement of the project.")
        )


def _lines_guard(lines: list[ExpenseStatementLine]) -> None:
    today = timezone.localdate()
    for line in lines:
        problem = None
        if not line.supplier.strip() or not line.invoice_reference.strip():
            problem = _("the supplier and the invoice reference are required")
        elif line.invoice_date > today:
            problem = _("the invoice date is in the future")
        elif line.amount_ht <= ZERO:
            problem = _("the amount excluding VAT must be more than zero")
        elif line.amount_ttc < line.amount_ht:
            problem = _("the amount including VAT cannot be below the amount excluding VAT")
        if problem:
            raise PaymentRefused(
                "invalid_line",
                _("Line %(position)s of the expense statement: %(problem)s.")
                % {"position": line.position, "problem": problem},
            )


# Check, validation, return, rejection ---------------------------------------------------------------


def payment_request_check(
    *, request: PaymentRequest, actor, exclusions: dict[int, str] | None = None, comment: str = ""
):
    """The territory's officer checks the statement: lines of `exclusions` (line id → reason) no longer
    count; the figures are computed again. Notifies the sponsor and finance."""
    exclusions = exclusions or {}
    with transaction.atomic():
        locked = _lock_request(request)
        if not is_territory_officer(actor, locked.dossier):
            raise PaymentRefused("forbidden", _("Only the territory's officers check its payment requests."))
        if not can_proceed(locked.record_check):
            raise _state_refusal(locked)
        lines = list(locked.lines.all())
        known = {line.pk for line in lines}
        if set(exclusions) - known:
            raise PaymentRefused("unknown_line", _("A line to exclude is not part of this request."))
        for line in lines:
            reason = (exclusions.get(line.pk) or "").strip()
            if line.pk in exclusions and not reason:
                raise PaymentRefused(
                    "exclusion_reason_required",
                    _("Say why the line “%(line)s” is excluded.") % {"line": line},
                )
            line.excluded, line.exclusion_reason = bool(reason), reason
        figures, justified = request_calculation(locked, lines=lines)
        ExpenseStatementLine.objects.bulk_update(lines, ["excluded", "exclusion_reason"])
        _store_figures(locked, figures, justified)
        locked.record_check(at=timezone.now(), actor=actor, comment=comment)
        _save_transition(locked)
        notices_send(
            dossier=locked.dossier,
            code="payment_request_checked",
            values={"kind": locked.kind, "amount": format_eur(figures.payable), "comment": comment},
            recipients=sponsor_members(locked.dossier) | finance_users(),
        )
    return locked


def payment_request_validate(*, request: PaymentRequest, actor) -> PaymentRequest:
    """Finance validates a checked request: the figures are fixed from the payments ordered so far, the
    beneficiary's validated bank details are recorded with it, the certificat de paiement is issued,
    the dossier moves to `in_payment` at its first payment and to `paid` with its final grant at the
    balance. Needs the organisation's current bank details validated."""
    from documents.models import DocumentKind
    from documents.services import document_request
    from workflows import services as lifecycle

    with transaction.atomic():
        locked = _lock_request(request)
        dossier = locked.dossier
        if not is_finance(actor):
            raise PaymentRefused("forbidden", _("Only finance validates payments."))
        if not can_proceed(locked.record_validation):
            raise _state_refusal(locked)
        account = bank_account_for_payment(dossier.organisation)
        if account is None:
            raise PaymentRefused(
                "bank_details_not_validated",
                _("The beneficiary's bank details are not validated (new or changed details wait for finance)."),
            )
        lines = list(locked.lines.all())
        figures, justified = request_calculation(locked, lines=lines)
        _store_figures(locked, figures, justified)
        locked.bank_account = account
        now = timezone.now()
        locked.record_validation(at=now, actor=actor)
        if figures.payable == ZERO:
            # Nothing to pay (a balance settled by what was paid, or a recovery order): no payment order
            # will carry it, so it is settled at once.
            locked.record_payment(on=timezone.localdate(now))
        _save_transition(locked)
        try:
            if dossier.state != DossierState.IN_PAYMENT:
                dossier = lifecycle.dossier_start_payment(dossier=dossier, actor=actor)
            if locked.kind == PaymentKind.BALANCE:
                dossier = lifecycle.dossier_mark_paid(dossier=dossier, actor=actor, final_amount=figures.final_grant)
        except lifecycle.TransitionRefused as refusal:
            raise PaymentRefused(refusal.code, refusal.message) from None
        document_request(kind=DocumentKind.PAYMENT_CERTIFICATE, dossier=dossier, payment_request=locked, actor=actor)
        notices_send(
            dossier=dossier,
            code="payment_request_validated",
            values={"kind": locked.kind, "amount": format_eur(figures.payable)},
            recipients=sponsor_members(dossier),
        )
        if figures.recovery > ZERO:
            notices_send(
                dossier=dossier,
                code="payment_recovery",
                values={"amount": format_eur(figures.recovery), "final_grant": format_eur(figures.final_grant)},
                recipients=sponsor_members(dossier) | territory_officers(dossier),
            )
    return locked


def _decide(request: PaymentRequest, actor, reason: str, *, method: str, notice: str) -> PaymentRequest:
    reason = reason.strip()
    with transaction.atomic():
        locked = _lock_request(request)
        dossier = locked.dossier
        allowed = is_territory_officer(actor, dossier) or (is_finance(actor) and locked.state == RequestState.CHECKED)
        if not allowed:
            raise PaymentRefused("forbidden", _("You may not decide on this payment request."))
        if not can_proceed(getattr(locked, method)):
            raise _state_refusal(locked)
        if not reason:
            raise PaymentRefused("reason_required", _("A reason is required."))
        getattr(locked, method)(at=timezone.now(), actor=actor, reason=reason)
        _save_transition(locked)
        notices_send(
            dossier=dossier,
            code=notice,
            values={"kind": locked.kind, "comment": reason},
            recipients=sponsor_members(dossier),
        )
    return locked


def payment_request_send_back(*, request: PaymentRequest, actor, reason: str) -> PaymentRequest:
    """Returned to the sponsor with the reason (to correct and ask again): by the territory's officer, or
    by finance once checked."""
    return _decide(request, actor, reason, method="send_back", notice="payment_request_returned")


def payment_request_reject(*, request: PaymentRequest, actor, reason: str) -> PaymentRequest:
    """Rejected with the reason: by the territory's officer, or by finance once checked."""
    return _decide(request, actor, reason, method="refuse", notice="payment_request_rejected")


def _state_refusal(request: PaymentRequest) -> PaymentRefused:
    return PaymentRefused(
        "invalid_state",
        _("This payment request is “%(state)s”: the action is no longer possible.")
        % {"state": request.get_state_display()},
    )
