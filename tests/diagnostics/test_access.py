import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from diagnostics.services import proposal_override, vintage_classify
from dossiers.enums import ContractType
from tests.diagnostics.helpers import FAVOURABLE, VULNERABLE, make_diagnostic
from tests.factories import OrganisationFactory, make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(admin):
    mine = make_diagnostic(admin, VULNERABLE, name="Mon territoire")
    theirs = make_diagnostic(admin, FAVOURABLE, name="Autre territoire")
    vintage_classify(actor=admin, vintage=2022)
    return mine, theirs


ADMIN_PAGES = ("create", "import", "method_publish")


def test_an_officer_reads_the_diagnostics_of_their_territories_only(two, client):
    mine, theirs = two
    client.force_login(make_user(Role.OFFICER, territory=mine.territory))
    index = client.get(reverse("diagnostics:index"))
    assert [diagnostic.pk for diagnostic in index.context["diagnostics"]] == [mine.pk]
    assert client.get(reverse("diagnostics:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("diagnostics:methods")).status_code == 200
    assert client.get(reverse("diagnostics:detail", args=[theirs.pk])).status_code == 404
    # Read-only: the administrators' pages are not there for them.
    assert client.get(reverse("diagnostics:edit", args=[mine.pk])).status_code == 404
    for name in ADMIN_PAGES:
        assert client.get(reverse(f"diagnostics:{name}")).status_code == 404
    assert client.post(reverse("diagnostics:classify"), {"vintage": 2022}).status_code == 404


def test_another_territorys_officer_gets_404_on_every_address_of_the_diagnostic(two, client):
    mine, theirs = two
    client.force_login(make_user(Role.OFFICER, territory=theirs.territory))
    for name in ("detail", "edit", "override"):
        assert client.get(reverse(f"diagnostics:{name}", args=[mine.pk])).status_code == 404
        assert client.post(reverse(f"diagnostics:{name}", args=[mine.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.FINANCE, Role.ADVISER])
def test_sponsors_finance_and_consulted_services_get_404_everywhere(two, client, role):
    mine, _theirs = two
    user = make_user(role, organisation=OrganisationFactory() if role == Role.SPONSOR else None)
    client.force_login(user)
    for address in (
        reverse("diagnostics:index"),
        reverse("diagnostics:methods"),
        reverse("diagnostics:detail", args=[mine.pk]),
        *(reverse(f"diagnostics:{name}") for name in ADMIN_PAGES),
    ):
        assert client.get(address).status_code == 404, address


def test_the_territorys_representative_and_the_committee_read_the_diagnostics(two, client):
    mine, theirs = two
    client.force_login(make_user(Role.REPRESENTATIVE, territory=mine.territory))
    assert client.get(reverse("diagnostics:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("diagnostics:detail", args=[theirs.pk])).status_code == 404
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))
    assert client.get(reverse("diagnostics:detail", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("diagnostics:create")).status_code == 404


def test_the_administrator_enters_a_diagnostic_with_a_decimal_comma(admin, client):
    from tests.factories import make_territory

    territory = make_territory("Saisie")
    client.force_login(admin)
    response = client.post(
        reverse("diagnostics:create"),
        {
            "territory": territory.pk,
            "vintage": 2022,
            "value_unemployment_rate": "11,5",
            "source_unemployment_rate": "INSEE RP",
            "year_unemployment_rate": 2020,
            "value_poverty_rate": "14",  # no source, no year
        },
    )
    assert response.status_code == 200
    assert not territory.diagnostics.exists()
    data = {
        "territory": territory.pk,
        "vintage": 2022,
        "value_unemployment_rate": "11,5",
        "source_unemployment_rate": "INSEE RP",
        "year_unemployment_rate": 2020,
    }
    response = client.post(reverse("diagnostics:create"), data)
    assert response.status_code == 302
    value = territory.diagnostics.get(vintage=2022).values.get()
    assert (str(value.value), value.source, value.year) == ("11.5000", "INSEE RP", 2020)


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_diagnostics_list_runs_the_same_queries_for_2_or_10_territories(admin, client, django_assert_num_queries):
    def territories(count):
        diagnostics = [make_diagnostic(admin, index % 3, name=f"T{index}") for index in range(count)]
        vintage_classify(actor=admin, vintage=2022)
        proposal_override(
            actor=admin, diagnostic=diagnostics[0], contract_type=ContractType.ATTRACTIVITE_SOLIDARITE, comment="x"
        )

    client.force_login(admin)
    territories(2)
    expected = count_queries(client, reverse("diagnostics:index"))
    territories(8)
    with django_assert_num_queries(expected):
        page = client.get(reverse("diagnostics:index"))
    rows = page.context["diagnostics"]
    assert len(rows) == 10
    assert all(row.classification and row.contract for row in rows)
    assert sum(1 for row in rows if row.override) == 2


def test_the_administrator_opens_every_page(two, admin, client):
    mine, _theirs = two
    client.force_login(admin)
    for address in (
        reverse("diagnostics:index"),
        reverse("diagnostics:index") + "?vintage=2022",
        reverse("diagnostics:methods"),
        reverse("diagnostics:detail", args=[mine.pk]),
        reverse("diagnostics:edit", args=[mine.pk]),
        reverse("diagnostics:override", args=[mine.pk]),
        *(reverse(f"diagnostics:{name}") for name in ADMIN_PAGES),
    ):
        assert client.get(address).status_code == 200, address
    response = client.post(reverse("diagnostics:classify"), {"vintage": 2022})
    assert response.status_code == 302
    assert mine.classifications.count() == 2
