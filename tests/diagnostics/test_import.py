from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from diagnostics.imports import ImportRefused
from diagnostics.models import Diagnostic, IndicatorValue
from diagnostics.services import diagnostics_import_csv
from tests.factories import make_territory, make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def territories(db):
    return make_territory("Territoire A"), make_territory("Territoire B")


def csv_of(lines: list[str]) -> bytes:
    return "\n".join(["territoire;millesime;indicateur;valeur;source;annee", *lines]).encode("utf-8-sig")


def test_a_valid_file_imports_every_value_with_a_decimal_comma_or_point(admin, territories):
    a, b = territories
    content = csv_of(
        [
            f"{a.code};2022;unemployment_rate;12,5;INSEE RP 2020;2020",
            f"{a.code};2022;median_income;21 350,00;INSEE Filosofi;2020",
            f"{b.code};2022;unemployment_rate;9.75;INSEE RP 2020;2020",
            "",
        ]
    )
    result = diagnostics_import_csv(actor=admin, content=content)
    assert (result.values, result.diagnostics_created) == (3, 2)
    values = {
        value.diagnostic.territory.code: value.value
        for value in IndicatorValue.objects.filter(indicator__code="unemployment_rate").select_related(
            "diagnostic__territory"
        )
    }
    assert values == {a.code: Decimal("12.5"), b.code: Decimal("9.75")}
    income = IndicatorValue.objects.get(indicator__code="median_income")
    assert (income.value, income.source, income.year) == (Decimal("21350"), "INSEE Filosofi", 2020)


def test_a_comma_separated_file_with_quoted_decimal_commas_is_read_too(admin, territories):
    a, _b = territories
    content = f'territory,vintage,indicator,value,source,year\n{a.code},2018,poverty_rate,"14,2",INSEE,2016\n'.encode()
    diagnostics_import_csv(actor=admin, content=content)
    assert IndicatorValue.objects.get().value == Decimal("14.2")


def test_importing_again_replaces_the_value_of_the_same_territory_vintage_and_indicator(admin, territories):
    a, _b = territories
    diagnostics_import_csv(actor=admin, content=csv_of([f"{a.code};2022;unemployment_rate;12,5;INSEE;2020"]))
    result = diagnostics_import_csv(actor=admin, content=csv_of([f"{a.code};2022;unemployment_rate;11;INSEE;2021"]))
    assert result.diagnostics_created == 0
    value = IndicatorValue.objects.get()
    assert (value.value, value.year) == (Decimal("11"), 2021)


def test_a_file_with_faulty_lines_saves_nothing_and_reports_each_line_number(admin, territories):
    a, b = territories
    content = csv_of(
        [
            f"{a.code};2022;unemployment_rate;12,5;INSEE;2020",  # line 2: fine
            "inconnu;2022;unemployment_rate;12,5;INSEE;2020",  # line 3: unknown territory
            f"{a.code};2022;median_income;beaucoup;INSEE;2020",  # line 4: not a number
            f"{b.code};2022;indicateur-inconnu;3;INSEE;2020",  # line 5: unknown indicator
            f"{b.code};2022;poverty_rate;3;;2023",  # line 6: no source, data after the vintage
            f"{a.code};2022;unemployment_rate;13;INSEE;2020",  # line 7: same as line 2
            f"{b.code};2022;gp_density;1.234,5;INSEE;2020",  # line 8: ambiguous number
            f"{b.code};2022;gp_density",  # line 9: missing columns
            f"{b.code};2022;neet_youth;15;INSEE;2020",  # line 10: fine
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        diagnostics_import_csv(actor=admin, content=content)
    assert [error.line for error in refused.value.errors] == [3, 4, 5, 6, 7, 8, 9]
    assert all(error.reason for error in refused.value.errors)
    assert not Diagnostic.objects.exists()
    assert not IndicatorValue.objects.exists()


def test_a_header_without_the_expected_columns_is_refused_on_line_1(admin):
    with pytest.raises(ImportRefused) as refused:
        diagnostics_import_csv(actor=admin, content=b"a;b;c\n1;2;3\n")
    assert [error.line for error in refused.value.errors] == [1]


def test_the_import_page_lists_the_faulty_lines_and_saves_nothing(admin, territories, client):
    a, _b = territories
    client.force_login(admin)
    content = csv_of([f"{a.code};2022;unemployment_rate;12,5;INSEE;2020", "x;2022;unemployment_rate;1;INSEE;2020"])
    response = client.post(reverse("diagnostics:import"), {"file": SimpleUploadedFile("d.csv", content)})
    assert response.status_code == 200
    assert [error.line for error in response.context["line_errors"]] == [3]
    assert 'data-line="3"' in response.content.decode()
    assert not IndicatorValue.objects.exists()
    response = client.post(
        reverse("diagnostics:import"), {"file": SimpleUploadedFile("d.csv", content.rsplit(b"\n", 1)[0])}
    )
    assert response.status_code == 302
    assert IndicatorValue.objects.count() == 1


def test_only_administrators_import(territories, client):
    a, _b = territories
    officer = make_user(Role.OFFICER, territory=a)
    client.force_login(officer)
    content = csv_of([f"{a.code};2022;unemployment_rate;12,5;INSEE;2020"])
    response = client.post(reverse("diagnostics:import"), {"file": SimpleUploadedFile("d.csv", content)})
    assert response.status_code == 404
    assert not IndicatorValue.objects.exists()
