"""The staff dossier list as a spreadsheet, for officers and finance: CSV for French spreadsheets (UTF-8
with BOM, semicolons, decimal commas, dates as dd/mm/yyyy) and XLSX (amounts as numbers with a number
format, dates as dates). A text cell a spreadsheet would run as a formula is quoted away in both.

Both read the rows with `values_list(...).iterator()`: a constant number of queries, no model instance,
labels translated once per export rather than once per row; the CSV is produced chunk by chunk and the
XLSX streamed row by row into its zip (exports/xlsx.py), so neither is ever held whole in memory."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.spreadsheets import csv_amount, csv_text
from dossiers.enums import ContractType, Generation
from dossiers.models.dossier import MONEY
from exports.xlsx import AMOUNT, DATE, TEXT, xlsx_stream
from payments.models import PaymentRequest, RequestState
from workflows.enums import DossierState

CHUNK_SIZE = 2000
CSV_ROWS_PER_CHUNK = 1000
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

# The columns, in order: text columns, then amounts, then dates (the writers rely on these slices).
TEXT_COLUMNS = slice(0, 11)
AMOUNT_COLUMNS = slice(11, 15)
DATE_COLUMNS = slice(15, 18)
KINDS = [TEXT] * 11 + [AMOUNT] * 4 + [DATE] * 3

_FIELDS = (
    "reference",
    "title",
    "organisation__name",
    "organisation__siret",
    "organisation__rna",
    "territory__name",
    "territory__department__code",
    "territory__department__name",
    "contract__name",
    "contract__contract_type",
    "contract__generation",
    "theme__label",
    "state",
    "requested_amount",
    "proposed_amount",
    "granted_amount",
    "paid_total",
    "submitted_at",
    "decided_at",
    "notified_on",
)


def headers() -> list[str]:
    return [
        _("Reference"),
        _("Title"),
        _("Sponsor"),
        _("SIRET or RNA"),
        _("Territory"),
        _("Department"),
        _("Contract"),
        _("Contract type"),
        _("Generation"),
        _("Theme"),
        _("State"),
        _("Amount requested"),
        _("Amount proposed"),
        _("Amount granted"),
        _("Total paid"),
        _("Submitted on"),
        _("Decided on"),
        _("Notified on"),
    ]


def _paid_total():
    """What the paid payment requests of the dossier paid, in the row's own query."""
    paid = (
        PaymentRequest.objects.filter(dossier=OuterRef("pk"), state=RequestState.PAID)
        .order_by()
        .values("dossier")
        .annotate(total=Sum("payable"))
        .values("total")
    )
    money = DecimalField(**MONEY)
    return Coalesce(Subquery(paid, output_field=money), Value(Decimal("0.00")), output_field=money)


def export_rows(dossiers) -> Iterator[tuple]:
    """Each dossier of the queryset as a tuple of Python values in the columns' order: text, Decimal
    amounts (None when not set), dates (the day in the local time zone)."""
    states = {value: str(label) for value, label in DossierState.choices}
    contract_types = {value: str(label) for value, label in ContractType.choices}
    generations = {value: str(label) for value, label in Generation.choices}
    zone = timezone.get_current_timezone()
    rows = dossiers.annotate(paid_total=_paid_total()).values_list(*_FIELDS).iterator(chunk_size=CHUNK_SIZE)
    for (
        reference,
        title,
        organisation,
        siret,
        rna,
        territory,
        department_code,
        department_name,
        contract,
        contract_type,
        generation,
        theme,
        state,
        requested,
        proposed,
        granted,
        paid,
        submitted_at,
        decided_at,
        notified_on,
    ) in rows:
        yield (
            reference,
            title,
            organisation,
            siret or rna or "",
            territory,
            f"{department_code} {department_name}",
            contract,
            contract_types.get(contract_type, contract_type),
            generations.get(generation, generation),
            theme,
            states.get(state, state),
            requested,
            proposed,
            granted,
            paid,
            submitted_at.astimezone(zone).date() if submitted_at else None,
            decided_at.astimezone(zone).date() if decided_at else None,
            notified_on,
        )


def counted(rows: Iterable[tuple], *, every: int, on_progress: Callable[[int], None]) -> Iterator[tuple]:
    """The rows unchanged, calling `on_progress(rows so far)` every `every` rows and at the end."""
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            on_progress(done)
    on_progress(done)


def csv_chunks(rows: Iterable[tuple]) -> Iterator[bytes]:
    """The CSV file, encoded, in pieces of about a thousand rows: the byte order mark and the header
    first (a spreadsheet then reads it as UTF-8), then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(headers())
    for count, row in enumerate(rows, 1):
        writer.writerow(
            [
                *map(csv_text, row[TEXT_COLUMNS]),
                *("" if value is None else csv_amount(value) for value in row[AMOUNT_COLUMNS]),
                # strftime would cost five times more.
                *(
                    "" if value is None else f"{value.day:02}/{value.month:02}/{value.year}"
                    for value in row[DATE_COLUMNS]
                ),
            ]
        )
        if count % CSV_ROWS_PER_CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_write(rows: Iterable[tuple], target) -> None:
    """Writes the XLSX workbook to `target` (a path or a binary file), streamed row by row."""
    xlsx_stream(target, sheet_title=_("Dossiers"), headers=headers(), kinds=KINDS, rows=rows)
