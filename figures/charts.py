"""The geometry of the dashboards' charts, drawn as SVG by the templates (`templates/figures/`), which
escape every label and tooltip. Each chart is computed from the rows of its table, which the page shows
next to it: the chart is for the eye, the table holds the figures.

The map is schematic: the reference data holds no geographic shapes, so each department of
Nouvelle-Aquitaine is a block at a fixed place in a grid that follows the region's geography roughly,
holding its territories as tiles."""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dossiers.enums import ContractType
from dossiers.money import ZERO, format_eur, format_rate

# (column, row) of each department in the schematic map: north at the top, the ocean on the left.
DEPARTMENT_PLACES = {
    "79": (1, 0),
    "86": (2, 0),
    "17": (0, 1),
    "16": (1, 1),
    "87": (2, 1),
    "23": (3, 1),
    "33": (0, 2),
    "24": (1, 2),
    "19": (2, 2),
    "47": (1, 3),
    "40": (0, 3),
    "64": (0, 4),
}
MAP_COLUMNS = 4
BLOCK_WIDTH, BLOCK_HEIGHT, GAP, HEADER = 170, 120, 8, 20
# Okabe–Ito colours, told apart by colour-blind readers; black text reads on each.
TYPE_COLOURS = {
    ContractType.ATTRACTIVITE: "#E69F00",
    ContractType.DYNAMISATION_COHESION: "#56B4E9",
    ContractType.ATTRACTIVITE_SOLIDARITE: "#009E73",
    ContractType.DEVELOPPEMENT_TRANSITIONS: "#CC79A7",
}
NO_DATA = "#e0e0e0"
AMOUNT_COLOURS = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Line:
    """One line of a bar chart: its label and its bars."""

    label: str
    label_y: float
    bars: list[Bar] = field(default_factory=list)


@dataclass
class BarChart:
    width: int
    height: int
    label_width: int
    lines: list[Line]
    legend: list[tuple[str, str]]


def theme_bars(rows, *, width: int = 720) -> BarChart:
    """Requested, committed and paid per theme, three horizontal bars a theme on a common scale."""
    series = [
        ("requested", _("Requested")),
        ("committed", _("Committed")),
        ("paid", pgettext("envelope figure", "Paid")),
    ]
    label_width, bar, gap = 200, 9, 10
    plot = width - label_width - 10
    top = max((getattr(row, name) for row in rows for name, _label in series), default=ZERO) or Decimal(1)
    lines, y = [], 4
    for row in rows:
        line = Line(label=row.label, label_y=y + 1.5 * bar + 4)
        for index, (name, label) in enumerate(series):
            value = getattr(row, name)
            line.bars.append(
                Bar(
                    x=label_width,
                    y=y + index * bar,
                    width=round(float(value / top) * plot, 1),
                    height=bar - 1,
                    css=name,
                    title=f"{row.label} — {label}: {format_eur(value)}",
                )
            )
        lines.append(line)
        y += len(series) * bar + gap
    return BarChart(width=width, height=y, label_width=label_width, lines=lines, legend=series)


def envelope_bars(rows, *, width: int = 720) -> BarChart:
    """Each territory's envelopes as one bar of their amount: paid, committed not paid yet, planned,
    the rest free (the widths of the envelopes' pages, `Figures.bar`)."""
    label_width, height, gap = 200, 14, 6
    plot = width - label_width - 10
    lines, y = [], 4
    for row in rows:
        figures = row.envelope
        if figures is None or not figures.amount:
            continue
        share = format_rate(figures.committed_share)
        title = _(
            "%(name)s — amount %(amount)s, committed %(committed)s (%(share)s), paid %(paid)s, planned %(planned)s"
        ) % {
            "name": row.label,
            "amount": format_eur(figures.amount),
            "committed": format_eur(figures.committed),
            "share": share,
            "paid": format_eur(figures.paid),
            "planned": format_eur(figures.planned),
        }
        line = Line(label=row.label, label_y=y + height - 3)
        line.bars.append(Bar(x=label_width, y=y, width=plot, height=height, css="free", title=title))
        x = label_width
        for name, percent in figures.bar.items():
            part = round(float(percent) / 100 * plot, 1)
            line.bars.append(Bar(x=x, y=y, width=part, height=height, css=name, title=title))
            x += part
        lines.append(line)
        y += height + gap
    legend = [
        ("paid", pgettext("envelope figure", "Paid")),
        ("committed", _("Committed, not paid yet")),
        ("planned", _("Planned")),
        ("free", _("Free")),
    ]
    return BarChart(width=width, height=y, label_width=label_width, lines=lines, legend=legend)


@dataclass
class Tile:
    x: float
    y: float
    width: float
    height: float
    colour: str
    text: str
    text_colour: str
    title: str


@dataclass
class Block:
    """A department: its place, its name and its territories' tiles."""

    x: float
    y: float
    label: str
    tiles: list[Tile] = field(default_factory=list)


@dataclass
class TileMap:
    width: int
    height: int
    blocks: list[Block]
    legend: list[tuple[str, str]]


def _amount_classes(values: list[Decimal]) -> list[Decimal]:
    """The upper bounds of five classes of equal width up to the largest value."""
    top = max(values, default=ZERO)
    return [top * (index + 1) / len(AMOUNT_COLOURS) for index in range(len(AMOUNT_COLOURS))]


def tile_map(dashboard, *, mode: str) -> TileMap:
    """The territories on the schematic map, coloured by their contract's type (`mode="type"`) or by the
    amount committed per inhabitant (`mode="amount"`, five classes of equal width)."""
    departments = {row.key: row for row in dashboard.by["department"]}
    territories: dict[str, list] = {code: [] for code in departments}
    for row in dashboard.by["territory"]:
        territories[dashboard.territory_departments[row.key]].append(row)
    # Departments outside the region's twelve (none in the reference data) go below the grid.
    places, extra = dict(DEPARTMENT_PLACES), 0
    for code in sorted(departments):
        if code not in places:
            places[code] = (extra % MAP_COLUMNS, 5 + extra // MAP_COLUMNS)
            extra += 1
    bounds = _amount_classes([row.per_inhabitant for row in dashboard.by["territory"] if row.per_inhabitant])
    blocks = []
    for code, department in sorted(departments.items()):
        column, line = places[code]
        block = Block(x=column * (BLOCK_WIDTH + GAP), y=line * (BLOCK_HEIGHT + GAP), label=department.label)
        rows = territories[code]
        columns = max(1, math.ceil(math.sqrt(len(rows))))
        lines = max(1, math.ceil(len(rows) / columns))
        width = (BLOCK_WIDTH - 6) / columns
        height = (BLOCK_HEIGHT - HEADER - 4) / lines
        for index, row in enumerate(rows):
            colour, text_colour, value = _colour(row, mode, bounds)
            block.tiles.append(
                Tile(
                    x=block.x + 3 + (index % columns) * width,
                    y=block.y + HEADER + (index // columns) * height,
                    width=round(width - 3, 1),
                    height=round(height - 3, 1),
                    colour=colour,
                    text=row.label[: max(3, int(width / 7))],
                    text_colour=text_colour,
                    title=f"{row.label} ({department.label}) — {value}",
                )
            )
        blocks.append(block)
    rows_used = max((place[1] for code, place in places.items() if code in departments), default=0) + 1
    if mode == "type":
        legend = [(TYPE_COLOURS[choice], str(choice.label)) for choice in ContractType] + [(NO_DATA, _("No contract"))]
    else:
        lower, legend = ZERO, []
        for colour, upper in zip(AMOUNT_COLOURS, bounds, strict=True):
            legend.append((colour, f"{format_eur(lower)} – {format_eur(upper)}"))
            lower = upper
        legend.append((NO_DATA, _("Nothing committed")))
    return TileMap(
        width=MAP_COLUMNS * (BLOCK_WIDTH + GAP),
        height=rows_used * (BLOCK_HEIGHT + GAP),
        blocks=blocks,
        legend=legend,
    )


def _colour(row, mode: str, bounds: list[Decimal]) -> tuple[str, str, str]:
    """The tile's colour, its text's colour and the value its tooltip states."""
    if mode == "type":
        if row.contract_type is None:
            return NO_DATA, "#000", _("No contract")
        return TYPE_COLOURS[row.contract_type], "#000", str(ContractType(row.contract_type).label)
    amount = row.per_inhabitant
    if not amount:
        return NO_DATA, "#000", _("Nothing committed")
    index = next((i for i, upper in enumerate(bounds) if amount <= upper), len(bounds) - 1)
    text = _("%(amount)s per inhabitant") % {"amount": format_eur(amount)}
    return AMOUNT_COLOURS[index], "#fff" if index >= 3 else "#000", text
