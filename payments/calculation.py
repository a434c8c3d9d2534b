"""What a payment request may pay, by the Region's rules (DOMAIN.md, "Payments"; décret 2018-514 as the
State's comparator), to the cent:

- an advance is at most `advance_max_rate` (30 %) of the grant, and only as the first payment;
- an instalment pays what the justified eligible expenses have earned (grant × justified ÷ eligible
  base, never more than the grant) less what was already paid, while advance plus instalments stay
  within `interim_max_rate` (80 %) of the grant;
- the balance fixes the final grant: reduced pro rata when the justified eligible expenses are below
  the eligible base voted, never above the amount voted; it pays the final grant less what was
  already paid, or, when more was paid, produces a recovery order (titre de recette) for the
  difference; the part of the commitment the final grant no longer needs is released.

Each amount is rounded half-up to the cent once, at the end of its formula. The functions are pure:
they take figures and return the calculation with its steps (a code and an amount each), which the
pages and letters show to the officer and the sponsor; they write nothing."""

from dataclasses import dataclass
from decimal import Decimal

from dossiers.money import ZERO, round_cents


class Kind:
    ADVANCE = "advance"
    INSTALMENT = "instalment"
    BALANCE = "balance"


class PaymentRuleError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Grant:
    """The committee's decision: the amount voted on the eligible base voted."""

    voted: Decimal
    eligible_base: Decimal

    def __post_init__(self):
        if not (self.voted > ZERO and self.eligible_base > ZERO and self.voted <= self.eligible_base):
            raise PaymentRuleError("invalid_grant", "0 < amount voted ≤ eligible base")

    @property
    def rate(self) -> Decimal:
        return self.voted / self.eligible_base

    def earned_by(self, justified: Decimal) -> Decimal:
        """What justified eligible expenses earn: grant × justified ÷ base, rounded once, never above
        the amount voted."""
        return min(round_cents(self.voted * justified / self.eligible_base), self.voted)


@dataclass(frozen=True)
class Step:
    """One line of the calculation shown: `code` names it (advance_cap, earned, interim_cap,
    cumulative, already_paid, final_grant, payable, recovery, released)."""

    code: str
    amount: Decimal


@dataclass(frozen=True)
class Calculation:
    kind: str
    payable: Decimal
    steps: tuple
    recovery: Decimal = ZERO
    final_grant: Decimal | None = None  # the balance only
    released: Decimal = ZERO  # the balance only: the commitment no longer needed

    def step(self, code: str) -> Decimal:
        return next(step.amount for step in self.steps if step.code == code)


def _check_paid(grant: Grant, already_paid: Decimal) -> None:
    if already_paid < ZERO or already_paid > grant.voted:
        raise PaymentRuleError("invalid_paid", "0 ≤ already paid ≤ amount voted")


def _check_justified(justified: Decimal) -> None:
    if justified < ZERO:
        raise PaymentRuleError("invalid_justified", "justified expenses cannot be negative")


def advance(grant: Grant, *, advance_max_rate: Decimal, requested: Decimal | None = None, already_paid=ZERO):
    """The advance: what is requested (by default the maximum), at most `advance_max_rate` of the
    grant; only as the first payment."""
    _check_paid(grant, already_paid)
    if already_paid > ZERO:
        raise PaymentRuleError("advance_after_payment", "an advance is only the first payment")
    if requested is not None and requested <= ZERO:
        raise PaymentRuleError("invalid_requested", "the amount requested must be more than zero")
    cap = round_cents(advance_max_rate * grant.voted)
    payable = cap if requested is None else min(round_cents(requested), cap)
    return Calculation(
        kind=Kind.ADVANCE,
        payable=payable,
        steps=(Step("advance_cap", cap), Step("payable", payable)),
    )


def instalment(grant: Grant, *, interim_max_rate: Decimal, justified: Decimal, already_paid: Decimal):
    """An instalment: what the eligible expenses justified so far have earned, within
    `interim_max_rate` of the grant for advance plus instalments, less what was already paid (never
    negative: an instalment recovers nothing, the balance does)."""
    _check_justified(justified)
    _check_paid(grant, already_paid)
    earned = grant.earned_by(justified)
    cap = round_cents(interim_max_rate * grant.voted)
    cumulative = min(earned, cap)
    payable = max(cumulative - already_paid, ZERO)
    return Calculation(
        kind=Kind.INSTALMENT,
        payable=payable,
        steps=(
            Step("earned", earned),
            Step("interim_cap", cap),
            Step("cumulative", cumulative),
            Step("already_paid", already_paid),
            Step("payable", payable),
        ),
    )


def balance(grant: Grant, *, justified: Decimal, already_paid: Decimal):
    """The balance: the final grant (reduced pro rata below the eligible base, never above the amount
    voted) less what was already paid; a recovery order when more was paid; the commitment released."""
    _check_justified(justified)
    _check_paid(grant, already_paid)
    final = grant.earned_by(justified)
    difference = final - already_paid
    payable, recovery = max(difference, ZERO), max(-difference, ZERO)
    released = grant.voted - final
    return Calculation(
        kind=Kind.BALANCE,
        payable=payable,
        recovery=recovery,
        final_grant=final,
        released=released,
        steps=(
            Step("final_grant", final),
            Step("already_paid", already_paid),
            Step("payable", payable),
            Step("recovery", recovery),
            Step("released", released),
        ),
    )
