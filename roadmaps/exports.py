"""A roadmap as a spreadsheet: CSV for French spreadsheets (UTF-8 with BOM, semicolons, decimal commas)
and XLSX (amounts and years as numbers). One row per operation, with what its dossier asked, was
granted and was paid. A text cell a spreadsheet would run as a formula is quoted away in both."""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from documents.spreadsheets import csv_amount, csv_text
from roadmaps.models import Roadmap
from roadmaps.selectors import operation_list_with_figures


def _columns() -> list[str]:
    return [
        _("Number"),
        _("Title"),
        _("Sponsor"),
        _("Theme"),
        _("Axis of the contract"),
        _("Estimated cost"),
        _("Expected regional support"),
        _("Expected year"),
        _("Priority"),
        _("Status"),
        _("Dossier"),
        pgettext("roadmap amounts", "Filed"),
        pgettext("roadmap amounts", "Funded"),
        pgettext("roadmap amounts", "Paid"),
    ]


AMOUNT_COLUMNS = frozenset({5, 6, 11, 12, 13})


def _rows(roadmap: Roadmap):
    """Each operation's cells: text defused, amounts as Decimal, number and year as int."""
    for operation in operation_list_with_figures(roadmap):
        yield [
            operation.number,
            csv_text(operation.title),
            csv_text(operation.sponsor.name if operation.sponsor_id else operation.sponsor_name),
            csv_text(operation.theme.label),
            csv_text(operation.axis),
            operation.estimated_cost,
            operation.expected_support,
            operation.expected_year,
            csv_text(operation.get_priority_display()),
            csv_text(operation.get_status_display()),
            csv_text(operation.dossier.reference if operation.dossier_id else ""),
            operation.filed_amount,
            operation.funded_amount,
            operation.paid_amount,
        ]


def roadmap_csv(roadmap: Roadmap) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(_columns())
    for row in _rows(roadmap):
        writer.writerow([csv_amount(value) if index in AMOUNT_COLUMNS else value for index, value in enumerate(row)])
    return buffer.getvalue().encode("utf-8")


def _xlsx_cell(sheet, index: int, value):
    if index not in AMOUNT_COLUMNS:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = "#,##0.00"
    return cell


def roadmap_xlsx(roadmap: Roadmap) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Roadmap")[:31])
    sheet.append(_columns())
    for row in _rows(roadmap):
        sheet.append([_xlsx_cell(sheet, index, value) for index, value in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
