"""Reference data through the API: read-only for every authenticated user, addressed by natural keys
where they exist, filterable, orderable, paginated, in a constant number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.enums import ContractStatus, Generation
from dossiers.models import Commune, Contract, Department, Theme
from tests.factories import CommuneFactory, ContractFactory, EnvelopeFactory, EpciFactory, make_territory, make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def sponsor(db):
    return make_user(Role.SPONSOR)


@pytest.fixture
def client(api, sponsor):
    return api(sponsor)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_reference_data_needs_an_authenticated_user(api_client, territory):
    for url in ("/api/v1/departments/", "/api/v1/communes/", "/api/v1/territories/", "/api/v1/themes/"):
        assert api_client.get(url).status_code in (401, 403)


def test_reference_data_is_read_only(client, territory):
    department = territory.department
    assert client.post("/api/v1/departments/", {"code": "999", "name": "X"}).status_code == 405
    assert client.patch(f"/api/v1/departments/{department.code}/", {"name": "X"}).status_code == 405
    assert client.delete(f"/api/v1/territories/{territory.pk}/").status_code == 405
    assert Department.objects.get(pk=department.pk).name == department.name


def test_departments_epcis_and_communes_are_addressed_by_their_natural_keys(client, territory):
    commune = Commune.objects.filter(epci__territory=territory).select_related("epci").first()
    epci = commune.epci

    assert client.get(f"/api/v1/departments/{commune.department_id}/").json()["code"] == commune.department_id
    body = client.get(f"/api/v1/epcis/{epci.siren}/").json()
    assert (body["siren"], body["territory"]) == (epci.siren, territory.pk)
    body = client.get(f"/api/v1/communes/{commune.insee}/").json()
    assert (body["insee"], body["epci"], body["department"]) == (commune.insee, epci.siren, commune.department_id)
    assert client.get("/api/v1/communes/00000/").status_code == 404


def test_communes_filter_by_department_epci_territory_and_name_prefix(client, territory, other_territory):
    mine = CommuneFactory(name="Saint-Émilion", epci=territory.epcis.get())
    CommuneFactory(name="Saint-Sever", epci=other_territory.epcis.get())
    CommuneFactory(name="Sauternes", epci=territory.epcis.get())

    def insees(query):
        return {row["insee"] for row in results(client.get("/api/v1/communes/", query))}

    assert insees({"name": "saint-"}) == set(
        Commune.objects.filter(name__istartswith="saint-").values_list("pk", flat=True)
    )
    assert mine.insee in insees({"name": "saint-"})
    assert insees({"name": "saint-", "territory": territory.pk}) == {mine.insee}
    assert insees({"epci": other_territory.epcis.get().siren}) == set(
        Commune.objects.filter(epci__territory=other_territory).values_list("pk", flat=True)
    )
    assert insees({"department": mine.department_id}) == set(
        Commune.objects.filter(department_id=mine.department_id).values_list("pk", flat=True)
    )


def test_communes_are_paginated_and_orderable(client, territory):
    epci = territory.epcis.get()
    for n in range(60):
        CommuneFactory(epci=epci, population=1000 + n)
    body = client.get("/api/v1/communes/", {"epci": epci.siren, "ordering": "-population"}).json()
    assert body["count"] == Commune.objects.filter(epci=epci).count() > 50
    assert len(body["results"]) == 50 and body["next"]
    populations = [row["population"] for row in body["results"]]
    assert populations == sorted(populations, reverse=True)


def test_territories_come_with_their_department_and_filter_by_it(client, territory, other_territory):
    rows = results(client.get("/api/v1/territories/", {"department": territory.department_id}))
    assert [row["id"] for row in rows] == [territory.pk]
    assert rows[0]["department"] == {
        "code": territory.department.code,
        "name": territory.department.name,
        "prefecture_insee": territory.department.prefecture_insee,
    }


def test_contracts_filter_by_territory_generation_type_and_status(client, contract, other_territory):
    other = ContractFactory(territory=other_territory, generation=Generation.G2023_2025, status=ContractStatus.CLOSED)

    def ids(query):
        return {row["id"] for row in results(client.get("/api/v1/contracts/", query))}

    assert ids({"territory": contract.territory_id}) == {contract.pk}
    assert ids({"status": ContractStatus.CLOSED}) == {other.pk}
    assert ids({"generation": Generation.G2023_2025}) >= {contract.pk, other.pk}
    assert ids({"contract_type": contract.contract_type, "territory": other_territory.pk}) == {other.pk}


def test_envelopes_filter_by_contract_and_year(client, contract):
    envelope = contract.envelopes.get()
    older = EnvelopeFactory(contract=contract, year=envelope.year - 1)
    EnvelopeFactory(year=envelope.year - 1)

    def ids(query):
        return {row["id"] for row in results(client.get("/api/v1/envelopes/", query))}

    assert ids({"contract": contract.pk}) == {envelope.pk, older.pk}
    assert ids({"contract": contract.pk, "year": older.year}) == {older.pk}


def test_themes_are_ordered_by_position_and_orderable(client):
    Theme.objects.create(code="b", label="B", position=2)
    Theme.objects.create(code="a", label="A", position=1)
    assert [row["code"] for row in results(client.get("/api/v1/themes/"))] == list(
        Theme.objects.order_by("position", "label").values_list("code", flat=True)
    )
    rows = results(client.get("/api/v1/themes/", {"ordering": "-label"}))
    assert [row["label"] for row in rows] == sorted((row["label"] for row in rows), reverse=True)


def _queries(client, url, query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def _territories(n):
    return [make_territory(f"Territoire {i}") for i in range(n)]


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/v1/territories/", _territories),
        ("/api/v1/contracts/", lambda n: [ContractFactory() for _ in range(n)]),
        ("/api/v1/envelopes/", lambda n: [EnvelopeFactory() for _ in range(n)]),
        ("/api/v1/epcis/", lambda n: [EpciFactory() for _ in range(n)]),
        ("/api/v1/themes/", lambda n: [Theme.objects.create(code=f"t{i}-{n}", label=f"T{i}") for i in range(n)]),
    ],
)
def test_reference_lists_run_a_constant_number_of_queries(client, url, make, django_assert_num_queries):
    make(2)
    count, rows = _queries(client, url, {})
    make(18)
    with django_assert_num_queries(count):
        response = client.get(url)
    assert len(response.json()["results"]) == rows + 18


def test_communes_run_a_constant_number_of_queries(client, territory, django_assert_num_queries):
    epci = territory.epcis.get()
    few, rows = _queries(client, "/api/v1/communes/", {"epci": epci.siren})
    for _ in range(20):
        CommuneFactory(epci=epci)
    with django_assert_num_queries(few):
        response = client.get("/api/v1/communes/", {"epci": epci.siren})
    assert len(response.json()["results"]) == rows + 20


def test_contracts_dates_are_iso(client, contract):
    row = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    assert date.fromisoformat(row["period_start"]) == Contract.objects.get(pk=contract.pk).period_start
