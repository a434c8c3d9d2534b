"""Les chiffres: the figures of the contracts for the region, each contract type, each department, each
territory and each theme, computed by the database whatever the number of dossiers.

Who sees what (`figures_scope`): the dashboards are the envelopes' audience (`can_view_envelopes`): the
committee's secretariat and members, finance and administrators see the whole region; territorial
officers see the figures of the territories they instruct only (every figure is computed over them,
not filtered afterwards); anyone else (sponsors, consulted services, the territories' elected
representatives, who do not see the envelopes either) gets a 404.

The amounts, each in euros:
- requested: the amount requested of the dossiers filed (submitted at least once, whatever became of
  them since);
- voted: the amount granted at the vote (`granted_amount`) of every dossier the committee approved,
  whatever became of it since (a later lapse or reduction does not change what was voted);
- committed: voted minus the commitments released since: what `workflows.services.
  envelope_committed_amounts` sums for the envelopes (the one definition): for each dossier that holds a
  commitment, its final grant once the balance has fixed it (reduced pro rata), otherwise its amount
  granted; lapsed and withdrawn grants commit nothing;
- paid: the payment requests paid (`payable`), as on the envelopes' pages;
- the envelopes' figures (amount, planned, committed, paid) come from `committees.envelopes.
  contract_figures`, summed over the contracts of the territory, department, contract type or region;
- per inhabitant: committed divided by the municipal population of the territories' communes (those
  of their EPCIs in the region).

The counts: the dossiers filed by state, the funded projects (dossiers that hold a commitment:
`FUNDED_STATES`), the engineering posts funded (dossiers of kind `engineering` that hold a commitment,
with their commitment), the roadmaps' operations planned (not abandoned), filed (a dossier filed, funded
or completed), funded (funded or completed) and completed.

The delays, as medians in days: instruction, from the submission to the committee's decision (approval
or rejection); payment, from a payment request's submission to its payment.

Filters: the contracts' generation; a year, which counts each figure in the year of its event: requested
and the states in the year of the submission, voted, committed, funded and instruction times in the year
of the decision, paid and payment delays in the year of the payment, the envelopes of that year, the
roadmap operations expected that year.

Cost: a fixed number of queries whatever the number of dossiers (`dashboard_figures` runs at most 13): the
dossiers are summed once, grouped by contract, theme, kind and state, and the few hundred groups are
added up per dimension in Python; the medians use window functions, one query per delay (`_medians`).
The last figures are kept (`Snapshot`) and served at once while a task computes them again after a
change (`dashboard_for_user`)."""

import hashlib
import pickle
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone, translation

from committees.envelopes import REGION_WIDE, Figures, can_view_envelopes, contract_figures
from dossiers.enums import ContractType, DossierKind
from dossiers.models import Commune, Contract, Dossier, Envelope, Territory, Theme
from dossiers.money import ZERO, round_cents
from figures.models import Snapshot
from payments.models import PaymentOrder, PaymentRequest, RequestState
from roadmaps.enums import OperationStatus
from roadmaps.models import RoadmapOperation, RoadmapVersion
from roadmaps.selectors import FILED_STATUSES, FUNDED_STATUSES
from workflows.enums import FUNDED_STATES, DossierState, Role
from workflows.models import AuditEvent
from workflows.permissions import officer_territory_ids, user_roles

# The dimensions of the tables, in the order of the page; the region is the total of each.
DIMENSIONS = ("contract_type", "department", "territory", "theme")
# Every state a filed dossier can be in, in the lifecycle's order.
FILED_STATES = tuple(state for state in DossierState if state != DossierState.DRAFT)
# Changes that write no stamp (an envelope closed, a territory renamed, a draft edited) show after this.
CACHE_TIMEOUT = 300
# How long a process keeps the last figures of a key in its own cache (they are in `Snapshot` too).
LOCAL_TIMEOUT = 24 * 3600
# Part of the snapshots' keys: change it when `Dashboard` or `Row` change, so that no process reads the
# figures pickled by an older version.
SNAPSHOT_FORMAT = 1
# A recompute not finished after this (its worker died) is started again by the next view.
REFRESH_TIMEOUT = 600


def can_view_figures(user) -> bool:
    return can_view_envelopes(user)


def figures_scope(user) -> frozenset[int] | None:
    """The territories whose figures the user sees: None for the whole region (secretariat, committee
    members, finance, administrators), the territories they instruct for officers. Call it only for a
    user who `can_view_figures`."""
    if user_roles(user) & REGION_WIDE:
        return None
    if Role.OFFICER in user_roles(user):
        return officer_territory_ids(user)
    return frozenset()


@dataclass(frozen=True)
class Filters:
    generation: str | None = None
    year: int | None = None


@dataclass
class Row:
    """The figures of the region or of one contract type, department, territory or theme."""

    key: object = None
    label: str = ""
    requested: Decimal = ZERO
    voted: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    filed: int = 0
    states: dict = field(default_factory=lambda: dict.fromkeys(FILED_STATES, 0))
    funded: int = 0
    engineering_funded: int = 0
    engineering_committed: Decimal = ZERO
    payments: int = 0
    # None for the themes: envelopes and populations belong to territories, not to themes.
    envelope: Figures | None = None
    population: int | None = None
    operations: dict = field(default_factory=lambda: dict.fromkeys(("planned", "filed", "funded", "completed"), 0))
    instruction_days: float | None = None
    payment_days: float | None = None
    # The map's colour of a territory: its contract's type (the generation filtered, else the first).
    contract_type: str | None = None

    @property
    def per_inhabitant(self) -> Decimal | None:
        if not self.population:
            return None
        return round_cents(self.committed / self.population)

    @property
    def contract_type_label(self) -> str:
        return str(ContractType(self.contract_type).label) if self.contract_type else ""

    @property
    def state_counts(self) -> list[tuple[str, int]]:
        return [(state, self.states[state]) for state in FILED_STATES]


@dataclass
class Dashboard:
    region: Row
    by: dict[str, list[Row]]
    filters: Filters
    regional: bool
    # The territories' departments, for the map: {territory id: department code}.
    territory_departments: dict = field(default_factory=dict)
    # Set by `figures_refresh`: the page caches its rendering under this key (one per computation).
    cache_key: str = ""
    computed_at: datetime | None = None
    # Set by `dashboard_for_user`: figures computed before the last change, being computed again.
    stale: bool = False


def _year(name: str, year: int | None) -> Q:
    return Q(**{f"{name}__year": year}) if year else Q()


def _money(value) -> Decimal:
    # Rounded: SQLite sums decimals as floats.
    return round_cents(Decimal(value or 0))


class DaysBetween(Func):
    """The days from `start` to `end` (datetimes or dates, a date counting from its midnight UTC), as a
    float computed by the database itself: SQLite's `julianday` rather than Django's duration
    arithmetic, which SQLite runs as a Python function called for each row."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s::timestamptz)) / 86400.0)",
            arg_joiner="::timestamptz - ",
        )


def _medians(queryset, days: DaysBetween, keys: dict[str, str | None]) -> dict[str, dict]:
    """The median of `days` over `queryset` for each value of each of `keys` ({name: field, or None for
    the whole queryset}), as {name: {value: median}} ({None: median} for None), in ONE query that
    returns only the rows in the middle of some group: each row is numbered in order of `days` within
    its group of each key (one window per key), and only the middle one (odd count) or two (even count)
    of each group are read. Portable (SQLite and PostgreSQL window functions; on PostgreSQL it gives
    what percentile_cont(0.5) would); the rows are read and joined once for every key."""
    queryset = queryset.order_by().annotate(days=days)
    middle, columns = Q(), ["days"]
    for number, key in enumerate(keys.values()):
        partition = [F(key)] if key else None
        position, size = f"position_{number}", f"size_{number}"
        queryset = queryset.annotate(
            **{
                position: Window(RowNumber(), partition_by=partition, order_by=F("days").asc()),
                size: Window(Count("pk"), partition_by=partition),
            }
        )
        middle |= Q(**{f"{position}__gte": (F(size) + 1) / 2, f"{position}__lte": (F(size) + 2) / 2})
        columns += [position, size] + ([key] if key else [])
    middles = {name: defaultdict(list) for name in keys}
    for row in queryset.filter(middle).values(*columns):
        for number, (name, key) in enumerate(keys.items()):
            position, size = row[f"position_{number}"], row[f"size_{number}"]
            if (size + 1) // 2 <= position <= (size + 2) // 2:
                middles[name][row[key] if key else None].append(row["days"])
    return {
        name: {group: round(sum(values) / len(values), 1) for group, values in groups.items()}
        for name, groups in middles.items()
    }


# What each dimension is on a dossier, for the medians.
MEDIAN_KEYS = {
    "contract_type": "contract__contract_type",
    "department": "territory__department_id",
    "territory": "territory_id",
    "theme": "theme_id",
}


class _Builder:
    """Adds the grouped rows of each query to the rows of every dimension they belong to."""

    def __init__(self, contracts: list[Contract], territories: list[Territory], themes: list[Theme], filters):
        self.region = Row(label="", envelope=Figures(), population=0)
        self.rows: dict[str, dict] = {dimension: {} for dimension in DIMENSIONS}
        self.contracts = {contract.pk: contract for contract in contracts}
        for territory in territories:
            self._row("department", territory.department_id, str(territory.department), envelope=True)
            self._row("territory", territory.pk, territory.name, envelope=True)
        for contract in sorted(contracts, key=lambda contract: contract.generation):
            self._row("contract_type", contract.contract_type, str(ContractType(contract.contract_type).label), True)
            # The filtered generation's type colours the territory on the map; without a filter, the first
            # generation's (2018–2021): its types came from the diagnostics, while every contract of
            # 2023–2025 is a contract of development and transitions, which would paint one colour.
            territory_row = self.rows["territory"][contract.territory_id]
            if territory_row.contract_type is None:
                territory_row.contract_type = contract.contract_type
        for theme in themes:
            self._row("theme", theme.pk, theme.label)

    def _row(self, dimension, key, label, envelope=False) -> Row:
        rows = self.rows[dimension]
        if key not in rows:
            rows[key] = Row(key=key, label=label, envelope=Figures() if envelope else None, population=None)
        return rows[key]

    def targets(self, contract_id: int, theme_id: int | None = None) -> list[Row]:
        """The rows a figure of this contract (and theme) adds to."""
        contract = self.contracts[contract_id]
        rows = [
            self.region,
            self.rows["contract_type"][contract.contract_type],
            self.rows["department"][contract.territory.department_id],
            self.rows["territory"][contract.territory_id],
        ]
        if theme_id is not None and theme_id in self.rows["theme"]:
            rows.append(self.rows["theme"][theme_id])
        return rows


def dashboard_figures(scope: frozenset[int] | None, filters: Filters) -> Dashboard:
    """Every figure of the dashboards over the territories of `scope` (None: the region), in the same
    number of queries whatever the number of dossiers, operations and payments."""
    territories = Territory.objects.select_related("department").order_by("department_id", "name")
    contracts = Contract.objects.select_related("territory")
    if scope is not None:
        territories = territories.filter(pk__in=scope)
        contracts = contracts.filter(territory_id__in=scope)
    if filters.generation:
        contracts = contracts.filter(generation=filters.generation)
    territories, contracts = list(territories), list(contracts)
    builder = _Builder(contracts, territories, list(Theme.objects.order_by("position", "label")), filters)
    contract_ids = [contract.pk for contract in contracts]
    year = filters.year

    # The dossiers, summed per contract, theme, kind and state (one query, a few hundred groups).
    filed_q = Q(submitted_at__isnull=False) & _year("submitted_at", year)
    decided_q = _year("decided_at", year)
    committed_q = Q(state__in=FUNDED_STATES) & decided_q
    groups = (
        Dossier.objects.filter(contract_id__in=contract_ids)
        .exclude(state=DossierState.DRAFT)
        .order_by()
        .values("contract_id", "theme_id", "kind", "state")
        .annotate(
            filed=Count("pk", filter=filed_q),
            requested=Sum("requested_amount", filter=filed_q),
            voted=Sum("granted_amount", filter=Q(granted_amount__isnull=False) & decided_q),
            committed=Sum(Coalesce("final_amount", "granted_amount"), filter=committed_q),
            funded=Count("pk", filter=committed_q),
        )
    )
    for group in groups:
        committed = _money(group["committed"])
        for row in builder.targets(group["contract_id"], group["theme_id"]):
            row.filed += group["filed"]
            row.states[group["state"]] += group["filed"]
            row.requested += _money(group["requested"])
            row.voted += _money(group["voted"])
            row.committed += committed
            row.funded += group["funded"]
            if group["kind"] == DossierKind.ENGINEERING:
                row.engineering_funded += group["funded"]
                row.engineering_committed += committed

    # The payments (one query). The dossiers as a subquery: SQLite then reads only those of the scope's
    # contracts instead of every paid request (ten times faster for a territory of 100,000 dossiers).
    scope_dossiers = Dossier.objects.filter(contract_id__in=contract_ids).values("pk")
    payments = (
        PaymentRequest.objects.filter(state=RequestState.PAID, dossier_id__in=scope_dossiers)
        .filter(_year("paid_on", year))
        .order_by()
        .values("dossier__contract_id", "dossier__theme_id")
        .annotate(paid=Sum("payable"), count=Count("pk"))
    )
    for group in payments:
        for row in builder.targets(group["dossier__contract_id"], group["dossier__theme_id"]):
            row.paid += _money(group["paid"])
            row.payments += group["count"]

    # The envelopes (the envelopes' page's figures: four queries).
    for figures in contract_figures(contracts, year=year):
        for row in builder.targets(figures.contract.pk):
            row.envelope.add(figures)

    # The roadmaps' operations (one query).
    operations = (
        RoadmapOperation.objects.filter(roadmap__contract_id__in=contract_ids)
        .filter(Q(expected_year=year) if year else Q())
        .order_by()
        .values("roadmap__contract_id", "theme_id", "status")
        .annotate(count=Count("pk"))
    )
    for group in operations:
        status, count = group["status"], group["count"]
        for row in builder.targets(group["roadmap__contract_id"], group["theme_id"]):
            row.operations["planned"] += count if status != OperationStatus.ABANDONED else 0
            row.operations["filed"] += count if status in FILED_STATUSES else 0
            row.operations["funded"] += count if status in FUNDED_STATUSES else 0
            row.operations["completed"] += count if status == OperationStatus.COMPLETED else 0

    # The populations (one query), summed from the communes of the territories' EPCIs: an EPCI's own
    # figure would count its communes of a neighbouring region too. Those of the territories with a
    # contract count for the types.
    populations = (
        Commune.objects.filter(epci__territory__in=[territory.pk for territory in territories])
        .order_by()
        .values("epci__territory_id")
        .annotate(population=Sum("population"))
    )
    population_of = {row["epci__territory_id"]: row["population"] or 0 for row in populations}
    for territory in territories:
        population = population_of.get(territory.pk, 0)
        builder.rows["territory"][territory.pk].population = population
        department = builder.rows["department"][territory.department_id]
        department.population = (department.population or 0) + population
        builder.region.population += population
    for contract_type in {contract.contract_type for contract in contracts}:
        builder.rows["contract_type"][contract_type].population = sum(
            population_of.get(territory_id, 0)
            for territory_id in {c.territory_id for c in contracts if c.contract_type == contract_type}
        )

    decided = Dossier.objects.filter(
        contract_id__in=contract_ids, submitted_at__isnull=False, decided_at__isnull=False
    ).filter(decided_q)
    paid = PaymentRequest.objects.filter(
        state=RequestState.PAID, paid_on__isnull=False, dossier_id__in=scope_dossiers
    ).filter(_year("paid_on", year))
    # The medians (one query per delay): the scope's and those of every dimension of more than one row
    # (when one territory, department or type holds every dossier, its medians are the scope's).
    split = [dimension for dimension in MEDIAN_KEYS if len(builder.rows[dimension]) > 1]
    instruction = _medians(
        decided, DaysBetween("decided_at", "submitted_at"), {"region": None} | {d: MEDIAN_KEYS[d] for d in split}
    )
    payment = _medians(
        paid,
        DaysBetween("paid_on", "submitted_at"),
        {"region": None} | {d: f"dossier__{MEDIAN_KEYS[d]}" for d in split},
    )
    builder.region.instruction_days = instruction["region"].get(None)
    builder.region.payment_days = payment["region"].get(None)
    for dimension, rows in builder.rows.items():
        for key, row in rows.items():
            if dimension in split:
                row.instruction_days = instruction[dimension].get(key)
                row.payment_days = payment[dimension].get(key)
            else:
                row.instruction_days, row.payment_days = builder.region.instruction_days, builder.region.payment_days

    return Dashboard(
        region=builder.region,
        by={dimension: list(rows.values()) for dimension, rows in builder.rows.items()},
        filters=filters,
        regional=scope is None,
        territory_departments={territory.pk: territory.department_id for territory in territories},
    )


def figures_stamp() -> str:
    """What changes whenever a figure may change, read in one cheap query: the last audit event (every
    transition writes one: submissions, decisions, notifications, the first payment and the balance,
    lapses, withdrawals), the last roadmap version (every roadmap change writes one; the operations
    that follow a dossier move with its transition's audit event), the payment orders recorded paid
    (which pay their requests without a transition), and the envelopes' amounts (edited in the admin).
    Each is a maximum or a sum over an index or a small table."""
    quote = connection.ops.quote_name
    audit, version = AuditEvent._meta.db_table, RoadmapVersion._meta.db_table
    orders, envelopes = PaymentOrder._meta.db_table, Envelope._meta.db_table
    # Table and column names from the models, quoted: nothing comes from the user.
    sql = (
        f"SELECT (SELECT MAX({quote('id')}) FROM {quote(audit)}), "  # noqa: S608
        f"(SELECT MAX({quote('id')}) FROM {quote(version)}), "
        f"(SELECT COUNT(*) FROM {quote(orders)} WHERE {quote('paid_on')} IS NOT NULL), "
        f"(SELECT COUNT(*) FROM {quote(envelopes)}), "
        f"(SELECT SUM({quote('amount')}) FROM {quote(envelopes)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return ":".join(str(value) for value in cursor.fetchone())


def _scope_key(scope: frozenset[int] | None, filters: Filters, language: str) -> str:
    scope_key = "region" if scope is None else ",".join(str(pk) for pk in sorted(scope))
    raw = f"{SNAPSHOT_FORMAT}|{scope_key}|{filters.generation}|{filters.year}|{language}"
    return hashlib.sha256(raw.encode()).hexdigest()


def figures_refresh(scope: frozenset[int] | None, filters: Filters, language: str) -> Dashboard:
    """Computes the figures of the scope and filters (in the active language, `language`) and stores
    them as the key's `Snapshot` and in this process's cache. The stamp is read before computing: a
    change made meanwhile leaves the snapshot behind the next stamp, so the next view computes again."""
    key = _scope_key(scope, filters, language)
    stamp = figures_stamp()
    dashboard = dashboard_figures(scope, filters)
    dashboard.computed_at = timezone.now()
    dashboard.cache_key = (
        "figures:page:" + hashlib.sha256(f"{key}|{stamp}|{dashboard.computed_at}".encode()).hexdigest()
    )
    Snapshot.objects.update_or_create(
        key=key,
        defaults={
            "stamp": stamp,
            "computed_at": dashboard.computed_at,
            "refreshing_since": None,
            "data": pickle.dumps(dashboard, protocol=pickle.HIGHEST_PROTOCOL),
        },
    )
    cache.set(f"figures:latest:{key}", (stamp, dashboard), LOCAL_TIMEOUT)
    return dashboard


def _refresh_claimed(key: str, stamp: str) -> bool:
    """Whether this view is the one that starts the recompute of `key`: one per stamp in this process
    (the cache's lock), and one at a time over every process (the snapshot's `refreshing_since`, set
    by a conditional update: the database's row lock decides between two processes)."""
    lock = f"figures:refreshing:{key}:{stamp}"
    if not cache.add(lock, True, REFRESH_TIMEOUT):
        return False
    now = timezone.now()
    claimed = (
        Snapshot.objects.filter(key=key)
        .filter(Q(refreshing_since__isnull=True) | Q(refreshing_since__lt=now - timedelta(seconds=REFRESH_TIMEOUT)))
        .update(refreshing_since=now)
    )
    if not claimed:
        # Another process's recompute is under way: a later view checks again once it is done.
        cache.delete(lock)
    return bool(claimed)


def dashboard_for_user(user, filters: Filters) -> Dashboard:
    """The dashboard over the user's scope: the last figures computed for the scope, the filters and
    the language (labels are translated), computed again when they are out of date.

    Out of date: `figures_stamp` moved since they were computed (any transition, payment, envelope or
    roadmap change) or they are older than `CACHE_TIMEOUT`, which bounds how long a change that writes
    no stamp (a territory renamed, an envelope closed) takes to show. Then the page answers at once
    with them, marked `stale` with the time they were computed, and the `refresh_figures` task
    computes them again (one at a time per key, `_refresh_claimed`) for the next views. Only the first
    view of a scope and filters ever (no snapshot yet) computes them while the user waits.

    The figures are read from this process's cache, else from their `Snapshot` (shared by every web
    process and the task workers, each with its own local memory cache): two cheap queries (the
    stamp, and the snapshot when this process has not got the latest). A stamp read from the database
    (rather than entries deleted by signals) also holds with updates that send no signal. The page
    caches its rendering under `Dashboard.cache_key`, one per computation."""
    scope = figures_scope(user)
    language = translation.get_language()
    key = _scope_key(scope, filters, language)
    stamp = figures_stamp()
    oldest = timezone.now() - timedelta(seconds=CACHE_TIMEOUT)

    def current(entry) -> bool:
        return entry is not None and entry[0] == stamp and entry[1].computed_at >= oldest

    entry = cache.get(f"figures:latest:{key}")
    if not current(entry):
        snapshot = Snapshot.objects.filter(key=key).only("stamp", "computed_at").first()
        # The snapshot is the last computation stored by any process: read it unless it is ours.
        if snapshot is not None and (
            entry is None or (snapshot.stamp, snapshot.computed_at) != (entry[0], entry[1].computed_at)
        ):
            data = Snapshot.objects.filter(pk=snapshot.pk).values_list("data", flat=True).first()
            try:
                # Written only by `figures_refresh`, from the figures it computed.
                entry = (snapshot.stamp, pickle.loads(data))  # noqa: S301
            except Exception:  # a snapshot that cannot be read (a bad pickle) is computed again
                entry = None
            else:
                cache.set(f"figures:latest:{key}", entry, LOCAL_TIMEOUT)
    if entry is None:
        return figures_refresh(scope, filters, language)
    if current(entry):
        return entry[1]
    dashboard = entry[1]
    dashboard.stale = True
    if _refresh_claimed(key, stamp):
        from figures.tasks import refresh_figures

        args = {"scope": None if scope is None else sorted(scope), "generation": filters.generation}
        args |= {"year": filters.year, "language": language}
        refresh_figures.enqueue(**args)
    return dashboard
