"""The Region's rules, computed from a dossier's data and the rule set in force for it.

Each function returns what it found (figures included) so the refusal message and the officer's
screen can show why, not only whether.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce

from dossiers.enums import PUBLIC_FUNDER_KINDS, FunderKind
from dossiers.models import DeMinimisDeclaration, Dossier, Organisation, RuleSet
from dossiers.money import ZERO, add_months
from workflows.enums import FUNDED_STATES


@dataclass(frozen=True)
class FinancingPlan:
    total_cost: Decimal
    eligible_expenses: Decimal
    total_funding: Decimal
    region_funding: Decimal
    own_contribution: Decimal
    public_funding: Decimal

    @property
    def is_balanced(self) -> bool:
        return self.total_funding == self.total_cost

    @property
    def own_share_of_public(self) -> Decimal | None:
        return self.own_contribution / self.public_funding if self.public_funding else None


def financing_plan(
    *, expenses: Iterable[tuple[Decimal, bool]], funding: Iterable[tuple[str, Decimal]]
) -> FinancingPlan:
    """Sums an expense list of (amount, eligible) and a funding list of (funder kind, amount)."""
    expenses, funding = list(expenses), list(funding)
    return FinancingPlan(
        total_cost=sum((amount for amount, _ in expenses), ZERO),
        eligible_expenses=sum((amount for amount, eligible in expenses if eligible), ZERO),
        total_funding=sum((amount for _, amount in funding), ZERO),
        region_funding=sum((amount for kind, amount in funding if kind == FunderKind.REGION), ZERO),
        own_contribution=sum((amount for kind, amount in funding if kind == FunderKind.OWN), ZERO),
        public_funding=sum((amount for kind, amount in funding if kind in PUBLIC_FUNDER_KINDS), ZERO),
    )


def dossier_financing_plan(dossier: Dossier) -> FinancingPlan:
    return financing_plan(
        expenses=dossier.expense_lines.values_list("amount", "is_eligible"),
        funding=dossier.funding_lines.values_list("funder_kind", "amount"),
    )


def meets_self_financing(plan: FinancingPlan, minimum_rate: Decimal) -> bool:
    """CGCT L1111-10 III: the public-law owner's own contribution is at least `minimum_rate` of all
    public funding, its own contribution included; private money is outside the calculation."""
    return plan.public_funding > 0 and plan.own_contribution >= minimum_rate * plan.public_funding


@dataclass(frozen=True)
class DeMinimisRoom:
    window_start: date
    declared: Decimal
    granted_here: Decimal
    cap: Decimal

    @property
    def received(self) -> Decimal:
        return self.declared + self.granted_here

    @property
    def room(self) -> Decimal:
        return max(self.cap - self.received, ZERO)


def de_minimis_room(
    *, organisation: Organisation, on: date, rule_set: RuleSet, exclude: Dossier | None = None
) -> DeMinimisRoom:
    """De minimis aid received by an undertaking over the rolling period ending on `on`: what it
    declared from other public bodies plus what this system granted it (EU regulation 2023/2831)."""
    window_start = add_months(on, -12 * rule_set.de_minimis_years)
    declared = DeMinimisDeclaration.objects.filter(
        organisation=organisation, granted_on__gt=window_start, granted_on__lte=on
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    granted = Dossier.objects.filter(
        organisation=organisation, state__in=FUNDED_STATES, decided_at__date__gt=window_start
    )
    if exclude is not None:
        granted = granted.exclude(pk=exclude.pk)
    granted_here = granted.aggregate(total=Coalesce(Sum("granted_amount"), ZERO))["total"]
    return DeMinimisRoom(
        window_start=window_start, declared=declared, granted_here=granted_here, cap=rule_set.de_minimis_cap
    )


def convention_required(*, dossier: Dossier, amount: Decimal, rule_set: RuleSet) -> bool:
    """Loi 2000-321 art. 10 / décret 2001-495: private-law beneficiaries above the threshold sign a
    convention; the officer may require one for any grant."""
    if dossier.convention_decided:
        return True
    return not dossier.organisation.is_public_law and amount > rule_set.convention_threshold


@dataclass(frozen=True)
class LapseDeadlines:
    start: date
    completion: date


def lapse_deadlines(
    *, notified_on: date, rule_set: RuleSet, extended: str | None = None, extension_months: int = 0
) -> LapseDeadlines:
    """Caducité: start within `start_delay_months` of notification, complete within
    `completion_delay_months`. An extension granted on one of them (`extended`: "start" or
    "completion") moves that one by `extension_months`."""
    start = add_months(notified_on, rule_set.start_delay_months)
    completion = add_months(notified_on, rule_set.completion_delay_months)
    if extended == "start":
        start = add_months(start, extension_months)
    elif extended == "completion":
        completion = add_months(completion, extension_months)
    return LapseDeadlines(start=start, completion=completion)


def completeness_due(*, submitted_on: date, rule_set: RuleSet) -> date:
    return add_months(submitted_on, rule_set.completeness_delay_months)
