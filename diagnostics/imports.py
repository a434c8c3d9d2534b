"""Reading the administrators' CSV of indicator values: one line per value, columns territory code,
vintage, indicator code, value, source, year (a header line names them, in English or French:
`territoire;millesime;indicateur;valeur;source;annee`). Separator `;`, `,` or tab, found from the
header; UTF-8 (with or without BOM) or Windows-1252 as French Excel writes it; decimal comma or point,
spaces between thousands allowed; values are rounded half-up to 4 decimals.

Every line is checked before anything is written: the caller gets each faulty line's number (the
header is line 1) and reason, and nothing is saved if one line fails."""

import csv
import io
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

COLUMNS = ("territory", "vintage", "indicator", "value", "source", "year")
ALIASES = {
    "territory": "territory",
    "territory_code": "territory",
    "territoire": "territory",
    "code_territoire": "territory",
    "vintage": "vintage",
    "millesime": "vintage",
    "indicator": "indicator",
    "indicator_code": "indicator",
    "indicateur": "indicator",
    "code_indicateur": "indicator",
    "value": "value",
    "valeur": "value",
    "source": "source",
    "year": "year",
    "annee": "year",
}
MAX_VALUE = Decimal("1000000000000")
MIN_YEAR = 1990
MAX_YEAR = 2100


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str

    def __str__(self):
        return _("Line %(line)s: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Row:
    line: int
    territory_code: str
    vintage: int
    indicator_code: str
    value: Decimal
    source: str
    year: int


class ImportRefused(Exception):
    """The file has faulty lines; nothing was saved."""

    def __init__(self, errors: list[LineError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _header_name(cell: str) -> str:
    text = unicodedata.normalize("NFKD", cell.strip().lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    return text.replace(" ", "_").replace("-", "_")


def parse_decimal(text: str) -> Decimal | None:
    """`1 234,5`, `1234.5`, `-0,25` → Decimal; None when it is not a number."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if "," in cleaned and "." in cleaned:
        return None
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parse_int(text: str) -> int | None:
    cleaned = text.strip()
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 4 else None


def read_rows(content: bytes) -> tuple[list[Row], list[LineError]]:
    """The file's rows and the errors of form (each line on its own: numbers, years, missing cells)."""
    text = decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line else "\t" if "\t" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return [], [LineError(1, _("The file is empty."))]
    names = [ALIASES.get(_header_name(cell)) for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        return [], [
            LineError(
                1,
                _("The header must name the columns %(columns)s; missing: %(missing)s.")
                % {"columns": ", ".join(COLUMNS), "missing": ", ".join(missing)},
            )
        ]
    position = {column: names.index(column) for column in COLUMNS}
    rows, errors = [], []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < len(header):
            errors.append(
                LineError(
                    line,
                    _("%(found)s columns instead of %(expected)s.") % {"found": len(cells), "expected": len(header)},
                )
            )
            continue
        cell = {column: cells[position[column]].strip() for column in COLUMNS}
        reasons = []
        if not cell["territory"]:
            reasons.append(_("the territory code is missing"))
        if not cell["indicator"]:
            reasons.append(_("the indicator code is missing"))
        vintage = _parse_int(cell["vintage"])
        if vintage is None or not MIN_YEAR <= vintage <= MAX_YEAR:
            reasons.append(_("the vintage “%(text)s” is not a year") % {"text": cell["vintage"]})
        value = parse_decimal(cell["value"])
        if value is None:
            reasons.append(_("the value “%(text)s” is not a number") % {"text": cell["value"]})
        elif abs(value) >= MAX_VALUE:
            reasons.append(_("the value %(text)s is too large") % {"text": cell["value"]})
        if not cell["source"]:
            reasons.append(_("the source is missing"))
        elif len(cell["source"]) > 300:
            reasons.append(_("the source is longer than 300 characters"))
        year = _parse_int(cell["year"])
        if year is None or year < MIN_YEAR:
            reasons.append(_("the year “%(text)s” is not a year") % {"text": cell["year"]})
        elif vintage is not None and year > vintage:
            reasons.append(
                _("the data of %(year)s is later than the vintage %(vintage)s") % {"year": year, "vintage": vintage}
            )
        if reasons:
            errors.append(LineError(line, "; ".join(reasons) + "."))
            continue
        rows.append(
            Row(
                line=line,
                territory_code=cell["territory"],
                vintage=vintage,
                indicator_code=cell["indicator"],
                value=value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),
                source=cell["source"],
                year=year,
            )
        )
    if not rows and not errors:
        errors.append(LineError(1, _("The file has no line of values.")))
    return rows, errors
