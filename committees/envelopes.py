"""The envelopes' figures, live: each contract's programme authorisations (by year or axis) with what
is committed on them (the grants voted and not released), what remains, and what the proposals waiting
for a vote would take (planned). Lapsed, withdrawn and rejected dossiers commit nothing: the sums are
always computed from the dossiers, never stored.

Payments (paid amounts per envelope) come with the payment records."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from dossiers.models import Contract, Dossier, Envelope
from dossiers.money import ZERO
from workflows.enums import COMMITTED_STATES, DossierState, Role
from workflows.permissions import officer_territory_ids, user_roles

# The proposals the committee has yet to vote on.
PLANNED_STATES = (DossierState.REVIEWED, DossierState.SCHEDULED)
# Who sees the envelopes: the territory's officers (theirs), the committee, finance, administrators (all).
REGION_WIDE = frozenset({Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.FINANCE, Role.ADMINISTRATOR})


@dataclass
class ContractFigures:
    contract: Contract
    envelopes: list = field(default_factory=list)
    amount: Decimal = ZERO
    committed: Decimal = ZERO
    planned: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.committed

    @property
    def remaining_after_planned(self) -> Decimal:
        return self.remaining - self.planned


def can_view_envelopes(user) -> bool:
    roles = user_roles(user)
    return bool(roles & REGION_WIDE) or Role.OFFICER in roles


def contract_list_for_user(user) -> QuerySet[Contract]:
    roles = user_roles(user)
    contracts = Contract.objects.select_related("territory")
    if roles & REGION_WIDE:
        return contracts
    if Role.OFFICER in roles:
        return contracts.filter(territory_id__in=officer_territory_ids(user))
    return contracts.none()


def contract_figures(contracts: QuerySet[Contract]) -> list[ContractFigures]:
    """The figures of each contract and of its envelopes, in three queries whatever their number."""
    figures = {contract.pk: ContractFigures(contract=contract) for contract in contracts}
    envelopes = Envelope.objects.filter(contract_id__in=figures).annotate(
        committed=Coalesce(Sum("dossiers__granted_amount", filter=Q(dossiers__state__in=COMMITTED_STATES)), ZERO)
    )
    for envelope in envelopes.order_by("contract_id", "year", "axis"):
        envelope.remaining = envelope.amount - envelope.committed
        row = figures[envelope.contract_id]
        row.envelopes.append(envelope)
        row.amount += envelope.amount
        row.committed += envelope.committed
    planned = (
        Dossier.objects.filter(contract_id__in=figures, state__in=PLANNED_STATES)
        .values("contract_id")
        .annotate(total=Coalesce(Sum("proposed_amount"), ZERO))
    )
    for row in planned:
        figures[row["contract_id"]].planned = row["total"]
    return list(figures.values())


def totals(rows: list[ContractFigures]) -> dict:
    return {
        "amount": sum((row.amount for row in rows), ZERO),
        "committed": sum((row.committed for row in rows), ZERO),
        "planned": sum((row.planned for row in rows), ZERO),
        "remaining": sum((row.remaining for row in rows), ZERO),
    }
