"""Reading the roadmaps: the contracts whose roadmap a user sees, their operations with what their
dossiers asked, were granted and were paid, and the summary of a roadmap per axis and per theme.

The figures of an operation:
- planned: its expected regional support, unless it is abandoned;
- filed: the amount its dossier requested, once the dossier is submitted (filed, funded, completed);
- funded: its dossier's grant (the final grant once the balance fixed it), once voted (funded, completed);
- paid: what the paid payment requests of its dossier paid.
Every figure is summed by the database, whatever the number of operations."""

from decimal import Decimal

from django.db.models import Case, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from dossiers.models import Contract, Dossier
from dossiers.models.dossier import MONEY
from dossiers.money import ZERO, round_cents
from dossiers.selectors import dossier_list_for_user
from payments.models import PaymentRequest, RequestState
from roadmaps.enums import OperationStatus
from roadmaps.models import Roadmap, RoadmapOperation
from roadmaps.services import roadmap_territory_ids
from workflows.permissions import is_administrator

FILED_STATUSES = (OperationStatus.FILED, OperationStatus.FUNDED, OperationStatus.COMPLETED)
FUNDED_STATUSES = (OperationStatus.FUNDED, OperationStatus.COMPLETED)
FIGURES = ("planned", "filed", "funded", "paid")

_MONEY = DecimalField(**MONEY)
_NOTHING = Value(ZERO, output_field=_MONEY)


def roadmap_contract_list_for_user(user) -> QuerySet[Contract]:
    """The contracts whose roadmap the user sees: all for administrators, those of the territories they
    instruct or follow otherwise; nothing for anyone else."""
    contracts = Contract.objects.select_related("territory", "roadmap")
    if is_administrator(user):
        return contracts
    return contracts.filter(territory_id__in=roadmap_territory_ids(user))


def operation_list_for_user(user) -> QuerySet[RoadmapOperation]:
    """The operations of the roadmaps the user sees."""
    operations = RoadmapOperation.objects.select_related("roadmap__contract__territory")
    if is_administrator(user):
        return operations
    return operations.filter(roadmap__contract__territory_id__in=roadmap_territory_ids(user))


def dossiers_to_link(user, operation: RoadmapOperation) -> QuerySet[Dossier]:
    """The dossiers of the operation's contract the user sees that realise no operation yet."""
    return (
        dossier_list_for_user(user)
        .filter(contract_id=operation.roadmap.contract_id, roadmap_operation__isnull=True)
        .order_by("reference")
    )


def _paid_by_dossier():
    return (
        PaymentRequest.objects.filter(dossier=OuterRef("dossier_id"), state=RequestState.PAID)
        .order_by()
        .values("dossier")
        .annotate(total=Sum("payable"))
        .values("total")
    )


def _figures() -> dict:
    """The four figures of an operation, as expressions on RoadmapOperation."""
    return {
        "planned": Case(
            When(~Q(status=OperationStatus.ABANDONED), then=F("expected_support")),
            default=_NOTHING,
            output_field=_MONEY,
        ),
        "filed": Case(
            When(Q(status__in=FILED_STATUSES, dossier__isnull=False), then=F("dossier__requested_amount")),
            default=_NOTHING,
            output_field=_MONEY,
        ),
        "funded": Case(
            When(
                Q(status__in=FUNDED_STATUSES, dossier__isnull=False),
                then=Coalesce("dossier__final_amount", "dossier__granted_amount", _NOTHING, output_field=_MONEY),
            ),
            default=_NOTHING,
            output_field=_MONEY,
        ),
        "paid": Coalesce(Subquery(_paid_by_dossier(), output_field=_MONEY), _NOTHING, output_field=_MONEY),
    }


def operation_list_with_figures(roadmap: Roadmap) -> QuerySet[RoadmapOperation]:
    """The roadmap's operations in order, each with `filed_amount`, `funded_amount` and `paid_amount`
    (and `planned_amount`), its sponsor, theme and dossier, in one query."""
    figures = _figures()
    return (
        RoadmapOperation.objects.filter(roadmap=roadmap)
        .select_related("sponsor", "theme", "dossier")
        .annotate(**{f"{name}_amount": expression for name, expression in figures.items()})
        .order_by("number")
    )


def _rounded(row: dict) -> dict:
    # Rounded: SQLite sums decimals as floats.
    return {**row, **{name: round_cents(Decimal(row[name] or ZERO)) for name in FIGURES}}


def _sums(operations: QuerySet[RoadmapOperation], *keys: str) -> list[dict]:
    """The figures of `operations` summed per value of `keys` (one query; all when no key)."""
    figures = _figures()
    sums = {name: Coalesce(Sum(expression), _NOTHING, output_field=_MONEY) for name, expression in figures.items()}
    operations = operations.order_by()
    if not keys:
        return [_rounded(operations.aggregate(**sums))]
    return [_rounded(row) for row in operations.values(*keys).annotate(**sums).order_by(*keys)]


def roadmap_summary(roadmap: Roadmap) -> dict:
    """The roadmap's planned, filed, funded and paid amounts per axis, per theme and in total, in three
    queries whatever the number of operations:
    `{"by_axis": [{"axis", "planned", "filed", "funded", "paid"}, …],
      "by_theme": [{"theme_id", "theme", "planned", …}, …], "total": {"planned", …}}`.
    Operations without an axis are grouped under the axis "" (listed first)."""
    operations = RoadmapOperation.objects.filter(roadmap=roadmap)
    by_theme = [{**row, "theme": row.pop("theme__label")} for row in _sums(operations, "theme__label", "theme_id")]
    return {"by_axis": _sums(operations, "axis"), "by_theme": by_theme, "total": _sums(operations)[0]}


def contract_totals(contracts) -> dict[int, dict]:
    """The roadmap totals of each contract (planned, filed, funded, paid), by contract id, in one query;
    contracts without any operation are left out."""
    operations = RoadmapOperation.objects.filter(roadmap__contract__in=contracts)
    return {row.pop("roadmap__contract_id"): row for row in _sums(operations, "roadmap__contract_id")}
