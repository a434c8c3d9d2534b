"""The envelopes' figures, live: each contract's programme authorisations (by year or axis) with what
the proposals waiting for a vote would take (planned), what is committed on them, what is paid and what
remains. The sums are always computed from the dossiers and their payments, never stored.

Committed: `workflows.services.envelope_committed_amounts`, the one definition: each granted dossier
commits its final grant once the balance has fixed it (reduced pro rata), otherwise its amount granted;
lapsed, withdrawn and rejected dossiers commit nothing.

Planned: the proposed amounts of the reviewed and scheduled dossiers. A proposal has no envelope until
the vote; an agenda item may name the envelope its approval will commit, and then the proposal is
planned on that envelope; otherwise it is planned on the contract, not yet on one of its envelopes.

Paid: the payment requests paid (advances, instalments and balances, each as soon as the accounting
system has paid it) of the dossiers on the envelope, whatever their state now: a lapse releases the
commitment but does not undo a payment. Paid may pass committed when a balance ends in a recovery order
(titre de recette): the difference is claimed back from the sponsor."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from committees.models import AgendaItem, ItemResult
from dossiers.models import Contract, Dossier, Envelope, Territory
from dossiers.models.dossier import MONEY
from dossiers.money import ZERO, round_cents
from payments.models import PaymentRequest, RequestState
from workflows.enums import COMMITTED_STATES, DossierState, Role
from workflows.permissions import officer_territory_ids, user_roles
from workflows.services import dossier_commitment, envelope_committed_amounts

# The proposals the committee has yet to vote on.
PLANNED_STATES = (DossierState.REVIEWED, DossierState.SCHEDULED)
# Who sees the envelopes: the territory's officers (theirs), the committee, finance, administrators (all).
REGION_WIDE = frozenset({Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.FINANCE, Role.ADMINISTRATOR})
HUNDRED = Decimal(100)


@dataclass
class Figures:
    """Amounts of an envelope, a contract or a total; `planned` counts the proposals on them."""

    amount: Decimal = ZERO
    planned: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.committed

    @property
    def remaining_after_planned(self) -> Decimal:
        return self.remaining - self.planned

    @property
    def committed_share(self) -> Decimal | None:
        """The fraction of the amount committed, None for an empty envelope."""
        return self.committed / self.amount if self.amount else None

    @property
    def bar(self) -> dict[str, str]:
        """Widths (CSS percentages, dot decimals) of the bar's parts: paid, committed but not paid
        yet, planned; each is cut so that the three never pass the whole bar."""
        widths, used = {}, ZERO
        for name, value in (
            ("paid", self.paid),
            ("committed", self.committed - self.paid),
            ("planned", self.planned),
        ):
            share = value * HUNDRED / self.amount if self.amount else ZERO
            share = min(max(share, ZERO), HUNDRED - used)
            used += share
            widths[name] = f"{share:.2f}"
        return widths

    def add(self, other: "Figures") -> None:
        self.amount += other.amount
        self.planned += other.planned
        self.committed += other.committed
        self.paid += other.paid


@dataclass
class EnvelopeFigures(Figures):
    envelope: Envelope | None = None
    # The dossiers committed on it, filled by `contract_page_figures`.
    dossiers: list = field(default_factory=list)


@dataclass
class ContractFigures(Figures):
    """A contract's envelopes and their sum; `planned` adds the proposals not yet on an envelope
    (`unassigned_planned`) to those planned on its envelopes."""

    contract: Contract | None = None
    envelopes: list[EnvelopeFigures] = field(default_factory=list)
    unassigned_planned: Decimal = ZERO


@dataclass
class SplitFigures(Figures):
    """The envelopes of one year or of one axis, across contracts; `key` is None without year or axis."""

    key: int | str | None = None


@dataclass
class ContractPage:
    """What the contract's page shows: its figures, the dossiers committed on each envelope (and any
    committed without one of its envelopes), and the proposals planned."""

    figures: ContractFigures
    unfiled: list = field(default_factory=list)
    proposals: list = field(default_factory=list)


def can_view_envelopes(user) -> bool:
    roles = user_roles(user)
    return bool(roles & REGION_WIDE) or Role.OFFICER in roles


def contract_list_for_user(user) -> QuerySet[Contract]:
    roles = user_roles(user)
    contracts = Contract.objects.select_related("territory", "territory__department")
    if roles & REGION_WIDE:
        return contracts
    if Role.OFFICER in roles:
        return contracts.filter(territory_id__in=officer_territory_ids(user))
    return contracts.none()


def territory_list_for_user(user) -> QuerySet[Territory]:
    """The territories of the contracts the user may see (for the filters)."""
    contracts = contract_list_for_user(user)
    return Territory.objects.filter(pk__in=contracts.values("territory_id")).select_related("department")


def envelope_year_list_for_user(user) -> list[int]:
    """The years of the envelopes of the contracts the user may see (for the filters)."""
    years = (
        Envelope.objects.filter(contract__in=contract_list_for_user(user), year__isnull=False)
        .values_list("year", flat=True)
        .distinct()
        .order_by("year")
    )
    return list(years)


def _pending_item():
    # At most one per dossier (a constraint): no ordering needed.
    return AgendaItem.objects.filter(dossier=OuterRef("pk"), result=ItemResult.PENDING).order_by()


def planned_dossiers() -> QuerySet[Dossier]:
    """The proposals waiting for a vote, with the envelope their pending agenda item names (if any)."""
    return Dossier.objects.filter(state__in=PLANNED_STATES).annotate(
        target_envelope_id=Subquery(_pending_item().values("envelope_id")[:1])
    )


def envelope_paid_amounts(envelope_ids) -> dict[int, Decimal]:
    """What was paid from each envelope: the amounts of the paid requests of the dossiers on it. One
    query; envelopes without any are left out."""
    rows = (
        PaymentRequest.objects.filter(state=RequestState.PAID, dossier__envelope_id__in=list(envelope_ids))
        .values("dossier__envelope_id")
        .annotate(total=Sum("payable"))
    )
    # Rounded: SQLite sums decimals as floats.
    return {row["dossier__envelope_id"]: round_cents(row["total"] or ZERO) for row in rows}


def contract_figures(contracts: Iterable[Contract], *, year: int | None = None) -> list[ContractFigures]:
    """The figures of each contract and of its envelopes (of `year` only, when given), in four queries
    after the contracts' whatever their number. The proposals not yet on an envelope count on the contract
    whatever the year: whichever envelope the vote commits, they will need room."""
    figures = {contract.pk: ContractFigures(contract=contract) for contract in contracts}
    envelopes = Envelope.objects.filter(contract_id__in=figures)
    lines, contract_of = {}, {}
    for envelope in envelopes.order_by("contract_id", F("year").asc(nulls_last=True), "axis", "pk"):
        contract_of[envelope.pk] = envelope.contract_id
        if year is not None and envelope.year != year:
            continue
        line = EnvelopeFigures(envelope=envelope, amount=envelope.amount)
        lines[envelope.pk] = line
        figures[envelope.contract_id].envelopes.append(line)
    for pk, committed in envelope_committed_amounts(lines).items():
        lines[pk].committed = committed
    for pk, paid in envelope_paid_amounts(lines).items():
        lines[pk].paid = paid
    planned = (
        planned_dossiers()
        .filter(contract_id__in=figures)
        .values("contract_id", "target_envelope_id")
        .annotate(total=Coalesce(Sum("proposed_amount"), ZERO))
    )
    for row in planned:
        target = row["target_envelope_id"]
        if contract_of.get(target) != row["contract_id"]:
            figures[row["contract_id"]].unassigned_planned += row["total"]
        elif target in lines:
            lines[target].planned += row["total"]
        # else: planned on an envelope of another year than the one asked for.
    for row in figures.values():
        for line in row.envelopes:
            row.add(line)
        row.planned += row.unassigned_planned
    return list(figures.values())


def totals(rows: list[ContractFigures]) -> ContractFigures:
    total = ContractFigures()
    for row in rows:
        total.add(row)
        total.unassigned_planned += row.unassigned_planned
    return total


def _split(rows: list[ContractFigures], key) -> list[SplitFigures]:
    splits: dict = {}
    for row in rows:
        for line in row.envelopes:
            value = key(line.envelope)
            splits.setdefault(value, SplitFigures(key=value)).add(line)
    # The envelopes without a year or an axis come last.
    return [splits[value] for value in sorted(splits, key=lambda value: (value is None, value or 0))]


def totals_by_year(rows: list[ContractFigures]) -> list[SplitFigures]:
    """The envelopes' figures by year; `planned` counts only the proposals planned on an envelope."""
    return _split(rows, lambda envelope: envelope.year)


def totals_by_axis(rows: list[ContractFigures]) -> list[SplitFigures]:
    """The envelopes' figures by axis; `planned` counts only the proposals planned on an envelope."""
    return _split(rows, lambda envelope: envelope.axis or None)


def _paid_by_dossier():
    return (
        PaymentRequest.objects.filter(dossier=OuterRef("pk"), state=RequestState.PAID)
        .order_by()
        .values("dossier")
        .annotate(total=Sum("payable"))
        .values("total")
    )


def contract_page_figures(contract: Contract) -> ContractPage:
    """The contract's figures with the dossiers behind them, in six queries whatever their number: the
    dossiers committed, and those no longer committed (lapsed, withdrawn) that were paid something."""
    (figures,) = contract_figures([contract])
    lines = {line.envelope.pk: line for line in figures.envelopes}
    page = ContractPage(figures=figures)
    dossiers = (
        Dossier.objects.filter(contract=contract)
        .annotate(paid_amount=Coalesce(Subquery(_paid_by_dossier()), ZERO, output_field=DecimalField(**MONEY)))
        .filter(Q(state__in=COMMITTED_STATES) | Q(paid_amount__gt=0))
        .select_related("organisation", "theme")
        .order_by("reference")
    )
    for dossier in dossiers:
        dossier.committed_amount = dossier_commitment(dossier)
        line = lines.get(dossier.envelope_id)
        (line.dossiers if line else page.unfiled).append(dossier)
    proposals = (
        planned_dossiers()
        .filter(contract=contract)
        .select_related("organisation", "theme")
        .annotate(session_sits_on=Subquery(_pending_item().values("session__sits_on")[:1]))
        .order_by("reference")
    )
    for dossier in proposals:
        line = lines.get(dossier.target_envelope_id)
        dossier.target_envelope = line.envelope if line else None
        page.proposals.append(dossier)
    return page
