"""Money is Decimal to the cent; rates are Decimal fractions. Rounding happens once, explicitly, at the
end of each formula (half-up to the cent, as the Region's rules say)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


def round_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(value: Decimal) -> str:
    """`12 345,67 €` with a narrow no-break space between thousands and a no-break space before €."""
    rounded = round_cents(value)
    sign = "-" if rounded < 0 else ""
    units, cents = f"{abs(rounded):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{NARROW_NBSP.join(groups)},{cents}{NBSP}€"


def format_rate(rate: Decimal) -> str:
    """A fraction as a French percentage: 0.2 → `20 %`, 0.155 → `15,5 %` (at most two decimals)."""
    percent = (Decimal(rate) * 100).quantize(CENT, rounding=ROUND_HALF_UP).normalize()
    text = f"{percent:f}".replace(".", ",")
    return f"{text}{NBSP}%"


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the last day of that month when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
