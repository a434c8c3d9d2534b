"""Les chiffres: every figure of the dashboards equals the sums computed here, independently, by going
through the dossiers, their payments, envelopes and roadmap operations one by one; the filters by
generation and year count what they say; an officer's figures are those of their territories; the page
costs the same number of queries whatever the number of dossiers, is cached until a change, escapes
names in its SVG and is a 404 to anyone but the staff who see the envelopes."""

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.tasks import default_task_backend
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers.enums import ContractType, DossierKind, Generation
from dossiers.models import Commune, Contract, Dossier, Envelope, Epci, Territory, Theme
from figures.models import Snapshot
from figures.selectors import FILED_STATES, Filters, dashboard_figures, dashboard_for_user, figures_stamp
from payments.models import PaymentKind, PaymentOrder, PaymentRequest, RequestState
from roadmaps.enums import OperationStatus
from roadmaps.models import Roadmap, RoadmapOperation, RoadmapVersion
from tests.factories import ContractFactory, EnvelopeFactory, make_dossier, make_territory, make_user, theme
from workflows.enums import FUNDED_STATES, DossierState, Role
from workflows.services import dossier_declare_admissible

S = DossierState
D = Decimal
pytestmark = pytest.mark.django_db
URL = "figures:index"


def at(year, month, day) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=UTC)


# The world ------------------------------------------------------------------------------------------


def contract_with_envelopes(territory, contract_type, generation=Generation.G2023_2025):
    contract = ContractFactory(territory=territory, contract_type=contract_type, generation=generation)
    EnvelopeFactory(contract=contract, year=2024, amount=D("500000.00"))
    EnvelopeFactory(contract=contract, year=2025, amount=D("300000.00"))
    return contract


def dossier(state, contract, *, subject, requested, submitted, decided=None, granted=None, final=None, **fields):
    """A dossier of `contract` in `state` with its amounts and dates as given (None leaves them out)."""
    made = make_dossier(state, contract=contract)
    year = (decided or submitted).year if submitted else None
    values = {
        "theme": subject,
        "requested_amount": D(requested),
        "submitted_at": submitted,
        "decided_at": decided,
        "granted_amount": D(granted) if granted else None,
        "final_amount": D(final) if final else None,
        **fields,
    }
    if granted:
        values["envelope"] = contract.envelopes.get(year=year)
    Dossier.objects.filter(pk=made.pk).update(**values)
    return Dossier.objects.get(pk=made.pk)


def paid(dossier, amount, *, submitted, on, state=RequestState.PAID, kind=PaymentKind.INSTALMENT):
    return PaymentRequest.objects.create(
        dossier=dossier,
        kind=kind,
        state=state,
        payable=D(amount),
        submitted_at=submitted,
        paid_on=on if state == RequestState.PAID else None,
        created_by=dossier.created_by,
    )


@pytest.fixture
def world():
    """Two territories in two departments, each with a contract of the 2023–2025 generation of another
    type (and one of 2018–2021 for the first), two themes, dossiers in many states over 2024 and 2025,
    with payments, an engineering post, roadmap operations."""
    north, south = make_territory("Pays du Nord", communes=2), make_territory("Pays du Sud")
    # The communes count, not the EPCIs' own figures (which would count communes of other regions).
    Epci.objects.filter(territory=north).update(population=999_999)
    Commune.objects.filter(epci__territory=north).update(population=12_500)
    Commune.objects.filter(epci__territory=south).update(population=40_000)
    health = theme()
    culture = Theme.objects.create(code="culture", label="Culture", position=2)
    north_new = contract_with_envelopes(north, ContractType.ATTRACTIVITE)
    north_old = contract_with_envelopes(north, ContractType.DYNAMISATION_COHESION, Generation.G2018_2021)
    south_new = contract_with_envelopes(south, ContractType.DEVELOPPEMENT_TRANSITIONS)

    made = {}
    made["draft"] = dossier(S.DRAFT, north_new, subject=health, requested="11111.00", submitted=None)
    made["submitted"] = dossier(S.SUBMITTED, north_new, subject=health, requested="20000.00", submitted=at(2025, 2, 1))
    made["review"] = dossier(S.UNDER_REVIEW, south_new, subject=culture, requested="35000.50", submitted=at(2024, 3, 4))
    reviewed = dossier(S.REVIEWED, south_new, subject=health, requested="42000.00", submitted=at(2025, 1, 10))
    Dossier.objects.filter(pk=reviewed.pk).update(proposed_amount=D("40000.00"))
    made["rejected"] = dossier(
        S.REJECTED, north_new, subject=culture, requested="15000.00", submitted=at(2024, 1, 5), decided=at(2024, 4, 5)
    )
    made["notified"] = dossier(
        S.NOTIFIED,
        north_new,
        subject=health,
        requested="80000.00",
        submitted=at(2024, 2, 1),
        decided=at(2024, 5, 20),
        granted="75000.00",
    )
    in_payment = dossier(
        S.IN_PAYMENT,
        south_new,
        subject=culture,
        requested="60000.00",
        submitted=at(2024, 6, 1),
        decided=at(2024, 7, 15),
        granted="60000.00",
    )
    paid(in_payment, "18000.00", submitted=at(2024, 9, 1), on=date(2024, 9, 20), kind=PaymentKind.ADVANCE)
    paid(in_payment, "12000.00", submitted=at(2025, 3, 1), on=date(2025, 4, 11))
    paid(in_payment, "5000.00", submitted=at(2025, 5, 1), on=None, state=RequestState.VALIDATED)  # not paid
    balance = dossier(
        S.PAID,
        north_new,
        subject=culture,
        requested="50000.00",
        submitted=at(2025, 1, 20),
        decided=at(2025, 3, 3),
        granted="50000.00",
        final="44000.00",
    )
    paid(balance, "15000.00", submitted=at(2025, 3, 10), on=date(2025, 3, 30), kind=PaymentKind.ADVANCE)
    paid(balance, "29000.00", submitted=at(2025, 6, 2), on=date(2025, 7, 1), kind=PaymentKind.BALANCE)
    lapsed = dossier(
        S.LAPSED,
        south_new,
        subject=health,
        requested="30000.01",
        submitted=at(2024, 4, 1),
        decided=at(2024, 6, 30),
        granted="30000.01",
    )
    paid(lapsed, "1000.00", submitted=at(2024, 8, 1), on=date(2024, 8, 14), kind=PaymentKind.ADVANCE)
    dossier(S.WITHDRAWN, south_new, subject=culture, requested="9999.99", submitted=at(2025, 2, 2))
    engineering = dossier(
        S.AGREEMENT_SIGNED,
        south_new,
        subject=health,
        requested="36000.00",
        submitted=at(2025, 1, 4),
        decided=at(2025, 2, 27),
        granted="36000.00",
        kind=DossierKind.ENGINEERING,
    )
    old = dossier(
        S.CLOSED,
        north_old,
        subject=health,
        requested="25000.00",
        submitted=at(2024, 1, 15),
        decided=at(2024, 3, 1),
        granted="24000.00",
    )
    paid(old, "24000.00", submitted=at(2024, 10, 1), on=date(2024, 11, 5), kind=PaymentKind.BALANCE)

    roadmap = Roadmap.objects.create(contract=north_new)
    for number, (status, year, subject) in enumerate(
        [
            (OperationStatus.IDENTIFIED, 2025, health),
            (OperationStatus.FILED, 2024, culture),
            (OperationStatus.FUNDED, 2025, health),
            (OperationStatus.COMPLETED, 2024, health),
            (OperationStatus.ABANDONED, 2025, culture),
        ],
        start=1,
    ):
        RoadmapOperation.objects.create(
            roadmap=roadmap,
            number=number,
            title=f"Opération {number}",
            theme=subject,
            estimated_cost=D("100000"),
            expected_support=D("30000"),
            expected_year=year,
            status=status,
        )
    made.update(north=north, south=south, engineering=engineering)
    return made


# The sums, computed here one dossier at a time -----------------------------------------------------

KEYS = {
    "region": lambda dossier: None,
    "contract_type": lambda dossier: dossier.contract.contract_type,
    "department": lambda dossier: dossier.territory.department_id,
    "territory": lambda dossier: dossier.territory_id,
    "theme": lambda dossier: dossier.theme_id,
}


def in_year(moment, year) -> bool:
    return moment is not None and (year is None or moment.year == year)


def expected_figures(filters: Filters, territories=None) -> dict:
    """{dimension: {key: {figure: value}}}, by going through every dossier, request, envelope, operation."""
    figures = defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: D(0))))
    durations = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    year = filters.year

    def chosen(contract):
        return (filters.generation in (None, contract.generation)) and (
            territories is None or contract.territory_id in territories
        )

    for item in Dossier.objects.select_related("contract", "territory"):
        if not chosen(item.contract):
            continue
        for dimension, key_of in KEYS.items():
            row = figures[dimension][key_of(item)]
            if item.state != S.DRAFT and in_year(item.submitted_at, year):
                row["filed"] += 1
                row[f"state:{item.state}"] += 1
                row["requested"] += item.requested_amount
            if item.granted_amount is not None and in_year(item.decided_at, year):
                row["voted"] += item.granted_amount
            if item.state in FUNDED_STATES and in_year(item.decided_at, year):
                commitment = item.final_amount if item.final_amount is not None else item.granted_amount
                row["committed"] += commitment
                row["funded"] += 1
                if item.kind == DossierKind.ENGINEERING:
                    row["engineering_funded"] += 1
                    row["engineering_committed"] += commitment
            if item.decided_at and item.submitted_at and in_year(item.decided_at, year):
                days = (item.decided_at - item.submitted_at).total_seconds() / 86400
                durations[dimension][key_of(item)]["instruction"].append(days)
    for request in PaymentRequest.objects.select_related("dossier__contract", "dossier__territory"):
        item = request.dossier
        if not chosen(item.contract) or request.state != RequestState.PAID:
            continue
        for dimension, key_of in KEYS.items():
            if in_year(request.paid_on, year):
                figures[dimension][key_of(item)]["paid"] += request.payable
                figures[dimension][key_of(item)]["payments"] += 1
                paid_at = datetime.combine(request.paid_on, time(), tzinfo=UTC)
                days = (paid_at - request.submitted_at).total_seconds() / 86400
                durations[dimension][key_of(item)]["payment"].append(days)
    # The envelopes: their amounts, what the dossiers on them commit and were paid, the proposals.
    envelope_keys = {name: KEYS[name] for name in ("region", "contract_type", "department", "territory")}
    for contract in Contract.objects.select_related("territory"):
        if not chosen(contract):
            continue
        holder = Dossier(contract=contract, territory=contract.territory)
        for dimension, key_of in envelope_keys.items():
            row = figures[dimension][key_of(holder)]
            for envelope in Envelope.objects.filter(contract=contract):
                if year is not None and envelope.year != year:
                    continue
                row["envelope_amount"] += envelope.amount
                for item in Dossier.objects.filter(envelope=envelope):
                    if item.state in FUNDED_STATES:
                        row["envelope_committed"] += item.final_amount or item.granted_amount
                    for request in item.payment_requests.filter(state=RequestState.PAID):
                        row["envelope_paid"] += request.payable
            for item in Dossier.objects.filter(contract=contract, state__in=[S.REVIEWED, S.SCHEDULED]):
                row["envelope_planned"] += item.proposed_amount
    # The populations: every territory of the scope counts for the region and its department; a contract
    # type counts the territories with a contract of that type.
    population_of = {}
    for territory in Territory.objects.all():
        if territories is not None and territory.pk not in territories:
            continue
        population_of[territory.pk] = sum(
            commune.population for commune in Commune.objects.filter(epci__territory=territory)
        )
        figures["region"][None]["population"] += population_of[territory.pk]
        figures["department"][territory.department_id]["population"] += population_of[territory.pk]
        figures["territory"][territory.pk]["population"] += population_of[territory.pk]
    for contract_type in ContractType:
        holders = {c.territory_id for c in Contract.objects.filter(contract_type=contract_type) if chosen(c)}
        for territory_id in holders:
            figures["contract_type"][contract_type]["population"] += population_of[territory_id]
    for operation in RoadmapOperation.objects.select_related("roadmap__contract__territory"):
        contract = operation.roadmap.contract
        if not chosen(contract) or (year is not None and operation.expected_year != year):
            continue
        holder = Dossier(contract=contract, territory=contract.territory, theme_id=operation.theme_id)
        for dimension, key_of in KEYS.items():
            row = figures[dimension][key_of(holder)]
            row["operations:planned"] += operation.status != OperationStatus.ABANDONED
            row["operations:filed"] += operation.status in (
                OperationStatus.FILED,
                OperationStatus.FUNDED,
                OperationStatus.COMPLETED,
            )
            row["operations:funded"] += operation.status in (OperationStatus.FUNDED, OperationStatus.COMPLETED)
            row["operations:completed"] += operation.status == OperationStatus.COMPLETED
    result = {}
    for dimension, rows in figures.items():
        result[dimension] = {}
        for key, row in rows.items():
            values = {name: value for name, value in row.items() if value}
            for kind in ("instruction", "payment"):
                if durations[dimension][key][kind]:
                    values[f"{kind}_days"] = round(statistics.median(durations[dimension][key][kind]), 1)
            result[dimension][key] = values
    return result


def actual_figures(dashboard) -> dict:
    """The dashboard's figures in the same shape, zeros left out."""
    result = {}
    for dimension, rows in [("region", [dashboard.region]), *dashboard.by.items()]:
        result[dimension] = {}
        for row in rows:
            values = {
                "filed": row.filed,
                "requested": row.requested,
                "voted": row.voted,
                "committed": row.committed,
                "funded": row.funded,
                "engineering_funded": row.engineering_funded,
                "engineering_committed": row.engineering_committed,
                "paid": row.paid,
                "payments": row.payments,
                "instruction_days": row.instruction_days,
                "payment_days": row.payment_days,
                **{f"state:{state}": count for state, count in row.states.items()},
                **{f"operations:{name}": count for name, count in row.operations.items()},
            }
            if row.envelope is not None:
                values |= {
                    "envelope_amount": row.envelope.amount,
                    "envelope_committed": row.envelope.committed,
                    "envelope_paid": row.envelope.paid,
                    "envelope_planned": row.envelope.planned,
                    "population": row.population,
                }
            values = {name: value for name, value in values.items() if value}
            if values:
                result[dimension][row.key] = values
    return result


FILTERS = [
    Filters(),
    Filters(generation=Generation.G2023_2025),
    Filters(generation=Generation.G2018_2021),
    Filters(year=2024),
    Filters(year=2025),
    Filters(generation=Generation.G2023_2025, year=2025),
]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_every_figure_equals_the_sums_over_the_dossiers(world, filters):
    expected = expected_figures(filters)
    actual = actual_figures(dashboard_figures(None, filters))
    assert expected["region"]  # the world has figures under every filter
    for dimension in ("region", "contract_type", "department", "territory", "theme"):
        assert actual[dimension] == expected[dimension], dimension


def test_the_figures_of_the_world_as_a_reader_would_check_them(world):
    """A few figures written out, so that the independent sums above cannot be wrong the same way."""
    region = dashboard_figures(None, Filters()).region
    # Filed: every dossier but the draft (11 of 12).
    assert region.filed == 11
    assert region.voted == D("275000.01")  # 75,000 + 60,000 + 50,000 + 30,000.01 + 36,000 + 24,000
    # Committed: the lapsed grant released, the balance reduced to 44,000.
    assert region.committed == D("239000.00")
    assert region.paid == D("99000.00")  # 18,000 + 12,000 + 15,000 + 29,000 + 1,000 + 24,000
    assert (region.funded, region.engineering_funded, region.engineering_committed) == (5, 1, D("36000.00"))
    assert region.states[S.LAPSED] == 1 and S.DRAFT not in region.states
    assert region.population == 65_000
    assert region.per_inhabitant == D("3.68")
    in_2024 = dashboard_figures(None, Filters(year=2024)).region
    assert (in_2024.voted, in_2024.paid) == (D("189000.01"), D("43000.00"))
    old = dashboard_figures(None, Filters(generation=Generation.G2018_2021)).region
    assert (old.filed, old.committed, old.paid) == (1, D("24000.00"), D("24000.00"))


def test_filters_by_generation_and_year_change_the_figures(world):
    everything = dashboard_figures(None, Filters()).region
    recent = dashboard_figures(None, Filters(generation=Generation.G2023_2025)).region
    in_2025 = dashboard_figures(None, Filters(year=2025)).region
    assert recent.requested == everything.requested - D("25000.00")
    assert everything.requested > in_2025.requested > 0
    assert in_2025.operations == {"planned": 2, "filed": 1, "funded": 1, "completed": 0}
    # The 2024 envelopes are left out of 2025, whatever was voted.
    assert in_2025.envelope.amount == D("900000.00")


def test_an_officer_sees_the_figures_of_their_territory_only(world, client):
    north, south = world["north"], world["south"]
    officer = make_user(Role.OFFICER, territory=north)
    dashboard = dashboard_for_user(officer, Filters())
    assert not dashboard.regional
    assert [row.key for row in dashboard.by["territory"]] == [north.pk]
    assert actual_figures(dashboard)["region"] == expected_figures(Filters(), territories={north.pk})["region"]
    assert dashboard.region.requested < dashboard_figures(None, Filters()).region.requested

    client.force_login(officer)
    page = client.get(reverse(URL)).content.decode()
    assert north.name in page
    assert south.name not in page


@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.FINANCE, Role.ADMINISTRATOR])
def test_the_region_wide_staff_see_the_whole_region(world, client, role):
    client.force_login(make_user(role))
    response = client.get(reverse(URL))
    assert response.status_code == 200
    assert response.context["dashboard"].regional
    assert world["north"].name in response.content.decode() and world["south"].name in response.content.decode()


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.ADVISER, Role.REPRESENTATIVE])
def test_anyone_else_gets_a_404(world, client, role):
    client.force_login(make_user(role, territory=world["north"]))
    assert client.get(reverse(URL)).status_code == 404


def test_the_page_runs_the_same_number_of_queries_for_2_and_10_dossiers(client, contract):
    admin = make_user(Role.ADMINISTRATOR)
    client.force_login(admin)
    client.get(reverse(URL))
    counts = []
    for total in (2, 10):
        while Dossier.objects.count() < total:
            made = make_dossier(S.IN_PAYMENT, contract=contract)
            paid(made, "100.00", submitted=at(2025, 1, 1), on=date(2025, 2, 1))
        cache.clear()
        Snapshot.objects.all().delete()  # computed while the user waits, not from the last snapshot
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(URL), {"by": "theme"}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_figures_are_cached_until_a_transition_changes_them(world, client):
    """After a transition the page answers at once with the figures computed before it, saying so, and
    the background task (run at once by the tests' backend) computes them again for the next view."""
    officer = make_user(Role.OFFICER, territory=world["north"])
    client.force_login(officer)

    def dashboard():
        return client.get(reverse(URL)).context["dashboard"]

    first = dashboard()
    assert (first.region.states[S.SUBMITTED], first.stale) == (1, False)
    with CaptureQueriesContext(connection) as cached:
        assert dashboard().region.states[S.SUBMITTED] == 1
    assert not any("GROUP BY" in query["sql"] for query in cached.captured_queries)  # from the cache

    dossier_declare_admissible(dossier=world["submitted"], actor=officer)
    response = client.get(reverse(URL))
    served = response.context["dashboard"]
    assert served.stale and served.region.states[S.SUBMITTED] == 1  # the last figures, at once
    assert 'data-stale="true"' in response.content.decode()
    assert (served.computed_at, served.cache_key) == (first.computed_at, first.cache_key)

    recomputed = dashboard()  # after the background recompute
    assert not recomputed.stale
    assert (recomputed.region.states[S.SUBMITTED], recomputed.region.states[S.ADMISSIBLE]) == (0, 1)
    assert recomputed.computed_at >= first.computed_at and recomputed.cache_key != first.cache_key


def test_the_first_view_computes_the_figures_and_other_processes_read_them_from_the_database(world, client):
    client.force_login(make_user(Role.FINANCE))
    response = client.get(reverse(URL))
    assert not response.context["dashboard"].stale and 'data-stale="false"' in response.content.decode()
    assert Snapshot.objects.count() == 1
    cache.clear()  # another web process, with its own memory cache
    with CaptureQueriesContext(connection) as queries:
        again = client.get(reverse(URL)).context["dashboard"]
    assert not again.stale and again.region.filed == 11
    assert not any("GROUP BY" in query["sql"] for query in queries.captured_queries)


def test_one_recompute_runs_per_scope_at_a_time_while_stale_figures_are_served(world, client, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # tasks wait
    officer = make_user(Role.OFFICER, territory=world["north"])
    client.force_login(officer)
    client.get(reverse(URL))
    dossier_declare_admissible(dossier=world["submitted"], actor=officer)
    default_task_backend.clear()
    for _ in range(3):
        assert client.get(reverse(URL)).context["dashboard"].stale
    cache.clear()  # another web process: the snapshot says a recompute is under way
    assert client.get(reverse(URL)).context["dashboard"].stale
    assert len(default_task_backend.results) == 1
    (result,) = default_task_backend.results
    assert result.args == [] and result.kwargs["scope"] == [world["north"].pk]

    # The worker runs it: the next view shows the new figures.
    result.task.call(*result.args, **result.kwargs)
    dashboard = client.get(reverse(URL)).context["dashboard"]
    assert not dashboard.stale and dashboard.region.states[S.SUBMITTED] == 0


def test_names_are_escaped_in_the_charts(world, client):
    world["north"].name = '<script>alert("x")</script> & Co'
    world["north"].save()
    Theme.objects.filter(code="culture").update(label="<img src=x onerror=alert(1)>")
    client.force_login(make_user(Role.ADMINISTRATOR))
    page = client.get(reverse(URL)).content.decode()
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in page
    svg = page[page.index('id="type-map"') : page.index("</svg>", page.index('id="type-map"'))]
    assert "<title>&lt;script&gt;" in svg


def test_the_map_says_it_is_schematic_and_every_chart_has_its_table(world, client):
    client.force_login(make_user(Role.FINANCE))
    page = client.get(reverse(URL)).content.decode()
    assert 'id="map-schematic"' in page
    for table in ("theme-chart-table", "envelope-chart-table", "map-table", "region-figures"):
        assert f'id="{table}"' in page
    # SVG coordinates are never written the French way (12,5) whatever the language.
    svg = page[page.index('id="theme-chart"') : page.index("</svg>", page.index('id="theme-chart"'))]
    assert 'width="' in svg and not any(f'="{digit},' in svg for digit in "0123456789")


def test_the_map_colours_a_territory_by_its_first_contract_unless_a_generation_is_chosen(world):
    """2023–2025 contracts are all of one kind in the region: without a filter, the map shows the
    2018–2021 type, which came from the diagnostics."""

    def colour(filters):
        rows = {row.key: row for row in dashboard_figures(None, filters).by["territory"]}
        return rows[world["north"].pk].contract_type

    assert colour(Filters()) == ContractType.DYNAMISATION_COHESION
    assert colour(Filters(generation=Generation.G2018_2021)) == ContractType.DYNAMISATION_COHESION
    assert colour(Filters(generation=Generation.G2023_2025)) == ContractType.ATTRACTIVITE


@pytest.mark.parametrize("by", ["territory", "department", "contract_type", "theme", "nonsense"])
def test_each_dimension_shows_its_rows(world, client, by):
    client.force_login(make_user(Role.ADMINISTRATOR))
    response = client.get(reverse(URL), {"by": by, "generation": "2023-2025", "year": "2025"})
    assert response.status_code == 200
    shown = "territory" if by == "nonsense" else by
    assert response.context["rows"] == response.context["dashboard"].by[shown]


def test_states_listed_are_every_state_but_the_draft():
    assert set(FILED_STATES) == set(DossierState) - {S.DRAFT}


def test_the_stamp_moves_with_payments_envelopes_and_roadmaps_that_write_no_audit_event(world):
    stamps = [figures_stamp()]
    order = PaymentOrder.objects.create(number="OP-1", created_by=world["engineering"].created_by)
    assert figures_stamp() == stamps[-1]  # exported, not paid yet: no figure changed
    PaymentOrder.objects.filter(pk=order.pk).update(paid_on=date(2025, 5, 1))
    stamps.append(figures_stamp())
    Envelope.objects.filter(year=2025).update(amount=D("310000.00"))
    stamps.append(figures_stamp())
    RoadmapVersion.objects.create(roadmap=Roadmap.objects.get(), number=1, created_by=order.created_by)
    stamps.append(figures_stamp())
    assert len(set(stamps)) == 4
