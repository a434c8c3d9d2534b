"""Cells for spreadsheets (CSV for French spreadsheets, XLSX through openpyxl) that a spreadsheet will not
run: a text cell starting with a formula character is quoted away (OWASP "CSV injection"); numbers and
dates stay numbers and dates."""

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """A text cell a spreadsheet will not run: a leading formula character is quoted away."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_amount(value) -> str:
    """An amount as French spreadsheets read a number: two decimals after a comma, no grouping."""
    return f"{value:.2f}".replace(".", ",")


def xlsx_text(value) -> str:
    """A text cell for openpyxl: quoted away as in CSV (openpyxl would otherwise write a text starting
    with "=" as a formula), without the control characters XLSX cannot hold (openpyxl refuses them)."""
    return csv_text(ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))
