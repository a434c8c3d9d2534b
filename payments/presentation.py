"""How a payment request's calculation reads, for the officer, finance, the sponsor and the certificate:
one line per step, with the rule behind it."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from dossiers.money import ZERO, format_eur, format_rate


def _labels(request) -> dict[str, str]:
    dossier, rules = request.dossier, request.dossier.rule_set
    granted = format_eur(dossier.granted_amount)
    values = {"granted": granted, "basis": dossier.tax_basis.upper()}
    return {
        "advance_cap": _("Advance ceiling: %(rate)s of the grant of %(granted)s")
        % {**values, "rate": format_rate(rules.advance_max_rate)},
        "earned": _("Earned by the eligible expenses justified so far (%(justified)s %(basis)s), at the grant's rate")
        % {**values, "justified": format_eur(request.justified_total or 0)},
        "interim_cap": _("Ceiling of advance plus instalments: %(rate)s of the grant of %(granted)s")
        % {**values, "rate": format_rate(rules.interim_max_rate)},
        "cumulative": _("Total due before the balance"),
        "already_paid": _("Already paid or ordered"),
        "final_grant": _(
            "Final grant: the grant's rate × the eligible expenses justified (%(justified)s %(basis)s), "
            "at most %(granted)s"
        )
        % {**values, "justified": format_eur(request.justified_total or 0)},
        "payable": _("Amount payable"),
        "recovery": _("To be claimed back (recovery order)"),
        "released": _("Commitment released on the envelope"),
    }


def calculation_steps(request, *, language: str | None = None) -> list[tuple[str, str, Decimal]]:
    """(code, label, amount) for each step stored with the request, in `language` (the current one by
    default)."""
    with translation.override(language or translation.get_language()):
        labels = _labels(request)
        return [
            (step["code"], labels.get(step["code"], step["code"]), Decimal(step["amount"]))
            for step in request.calculation
        ]


@dataclass(frozen=True)
class PaymentSummary:
    granted: Decimal | None
    final: Decimal | None
    ordered: Decimal  # validated or paid
    paid: Decimal
    recovery: Decimal
    can_ask: bool
    why_not: str

    @property
    def remaining(self) -> Decimal | None:
        """What may still be paid: the final grant (else the amount granted) less what was ordered."""
        ceiling = self.final if self.final is not None else self.granted
        return max(ceiling - self.ordered, ZERO) if ceiling is not None else None


def payment_summary(dossier, requests) -> PaymentSummary:
    """The figures of a dossier's payments from its requests (already loaded), and whether its sponsor
    may ask for a payment now (with the reason when not)."""
    from dossiers.rules import convention_required
    from payments.models import OPEN_REQUEST_STATES, ORDERED_REQUEST_STATES, PaymentKind, RequestState
    from payments.services import PAYABLE_STATES
    from workflows.enums import DossierState

    ordered = [request for request in requests if request.state in ORDERED_REQUEST_STATES]
    why_not = ""
    if dossier.state not in PAYABLE_STATES:
        why_not = _("Payments can be asked once the decision is notified, until the balance.")
    elif dossier.state == DossierState.NOTIFIED and convention_required(
        dossier=dossier, amount=dossier.granted_amount, rule_set=dossier.rule_set
    ):
        why_not = _("The convention must be signed by both parties before the first payment.")
    elif any(request.state in OPEN_REQUEST_STATES for request in requests):
        why_not = _("A payment request is being handled: the next one can be asked once it is validated.")
    elif any(request.kind == PaymentKind.BALANCE and request.state in ORDERED_REQUEST_STATES for request in requests):
        why_not = _("The balance has been asked: no other payment can follow.")
    return PaymentSummary(
        granted=dossier.granted_amount,
        final=dossier.final_amount,
        ordered=sum((request.payable or ZERO for request in ordered), ZERO),
        paid=sum((request.payable or ZERO for request in ordered if request.state == RequestState.PAID), ZERO),
        recovery=sum((request.recovery or ZERO for request in ordered), ZERO),
        can_ask=not why_not,
        why_not=why_not,
    )
