"""The roadmap's history read by people: what a version changed against the one before it, computed
from the two snapshots of operations (added, removed, and each changed field with its value before and
after), and the version's own record of changes in sentences."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from dossiers.money import format_eur
from roadmaps.enums import DecisionKind, OperationStatus, Priority
from roadmaps.models import RoadmapOperation, RoadmapVersion

# The snapshot's fields in the order a person reads them ("sponsor" already says the unregistered
# sponsor's name, so "sponsor_name" is not shown twice).
SHOWN_FIELDS = (
    "title",
    "sponsor",
    "theme",
    "axis",
    "estimated_cost",
    "expected_support",
    "expected_year",
    "priority",
    "status",
    "dossier",
)
AMOUNT_FIELDS = frozenset({"estimated_cost", "expected_support"})
CHOICES = {"status": OperationStatus, "priority": Priority}


def field_label(name: str) -> str:
    try:
        return str(RoadmapOperation._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a key of an older snapshot that no field carries any more
        return name.replace("_", " ")


def display_value(name: str, value) -> str:
    """A snapshot's value as the pages show it: amounts in euros, choices by their label."""
    if value is None or value == "":
        return "—"
    if name in AMOUNT_FIELDS:
        try:
            return format_eur(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if name in CHOICES and value in CHOICES[name].values:
        return str(CHOICES[name](value).label)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class OperationChange:
    number: int
    title: str
    fields: list[FieldChange]


@dataclass(frozen=True)
class OperationRow:
    """An operation of a snapshot, each shown field as (label, value)."""

    number: int
    title: str
    cells: list[tuple[str, str]]


@dataclass(frozen=True)
class VersionDiff:
    added: list[OperationRow] = field(default_factory=list)
    removed: list[OperationRow] = field(default_factory=list)
    changed: list[OperationChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def operation_row(facts: dict) -> OperationRow:
    return OperationRow(
        number=facts.get("number"),
        title=facts.get("title", ""),
        cells=[(field_label(name), display_value(name, facts.get(name))) for name in SHOWN_FIELDS],
    )


def snapshot_rows(version: RoadmapVersion) -> list[OperationRow]:
    """Every operation of the version, as it stood."""
    return [operation_row(facts) for facts in sorted(version.operations, key=lambda facts: facts.get("number", 0))]


def version_diff(version: RoadmapVersion, previous: RoadmapVersion | None) -> VersionDiff:
    """What changed from `previous` (None for the first version: everything is added) to `version`,
    operation by operation (matched by their number)."""
    before = {facts["number"]: facts for facts in (previous.operations if previous else [])}
    after = {facts["number"]: facts for facts in version.operations}
    changed = []
    for number in sorted(before.keys() & after.keys()):
        old, new = before[number], after[number]
        fields = [
            FieldChange(field_label(name), display_value(name, old.get(name)), display_value(name, new.get(name)))
            for name in SHOWN_FIELDS
            if old.get(name) != new.get(name)
        ]
        if fields:
            changed.append(OperationChange(number=number, title=new.get("title", ""), fields=fields))
    return VersionDiff(
        added=[operation_row(after[number]) for number in sorted(after.keys() - before.keys())],
        removed=[operation_row(before[number]) for number in sorted(before.keys() - after.keys())],
        changed=changed,
    )


def change_kind_label(kind: str) -> str:
    if kind in DecisionKind.values:
        return str(DecisionKind(kind).label)
    return {"link": _("Dossier linked"), "edit": _("Operation edited")}.get(kind, kind.replace("_", " "))


def change_sentences(changes: list[dict]) -> list[str]:
    """The version's record of changes, one sentence each: "Postpone — #2 Voie verte: expected year
    2026 → 2028"."""
    sentences = []
    for change in changes:
        kind = change.get("kind", "")
        sentence = f"{change_kind_label(kind)} — #{change.get('number', '?')} {change.get('title', '')}".rstrip()
        before, after = change.get("before") or {}, change.get("after") or {}
        details = [
            f"{field_label(name)} {display_value(name, before.get(name))} → {display_value(name, after.get(name))}"
            for name in sorted(before.keys() | after.keys(), key=_field_order)
        ]
        if kind == "link" and change.get("dossier"):
            details.append(_("dossier %(reference)s") % {"reference": change["dossier"]})
        if details:
            sentence += ": " + "; ".join(details)
        sentences.append(sentence)
    return sentences


def _field_order(name: str) -> int:
    return SHOWN_FIELDS.index(name) if name in SHOWN_FIELDS else len(SHOWN_FIELDS)


def decision_details(details: dict) -> str:
    """A meeting decision's details in words: "expected year: 2028", "reason: …"."""
    labels = {"reason": _("reason"), "title": _("title")}
    return "; ".join(
        f"{labels.get(name) or field_label(name)}: {display_value(name, value)}"
        for name, value in sorted(details.items(), key=lambda item: _field_order(item[0]))
    )
