"""Writing diagnostics: the values entered or imported, the method's versions, the classifications and
the overrides. Administrators only; every service is one transaction."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from diagnostics import scoring
from diagnostics.imports import ImportRefused, LineError, read_rows
from diagnostics.models import (
    METHOD_FIELDS,
    Classification,
    ClassificationMethod,
    Diagnostic,
    Indicator,
    IndicatorValue,
    ProposalOverride,
)
from dossiers.enums import ContractType
from dossiers.models import Territory
from workflows.permissions import is_administrator


def _check_administrator(actor) -> None:
    if not is_administrator(actor):
        raise PermissionDenied(_("Only an administrator may change the diagnostics."))


@dataclass(frozen=True)
class Entry:
    """One indicator's value in a diagnostic, with where it comes from."""

    value: Decimal
    source: str
    year: int


def diagnostic_save_values(*, actor, territory: Territory, vintage: int, entries: dict[Indicator, Entry | None]):
    """Creates the territory's diagnostic of `vintage` if needed and writes its values: an indicator
    given None loses its value. Existing classifications keep the reasons they computed; classify again
    to take the new values into account."""
    _check_administrator(actor)
    with transaction.atomic():
        diagnostic, _created = Diagnostic.objects.get_or_create(
            territory=territory, vintage=vintage, defaults={"created_by": actor}
        )
        for indicator, entry in entries.items():
            if entry is None:
                IndicatorValue.objects.filter(diagnostic=diagnostic, indicator=indicator).delete()
                continue
            if entry.year > vintage:
                raise ValidationError(
                    _("The data of %(year)s is later than the vintage %(vintage)s.")
                    % {"year": entry.year, "vintage": vintage}
                )
            IndicatorValue.objects.update_or_create(
                diagnostic=diagnostic,
                indicator=indicator,
                defaults={"value": entry.value, "source": entry.source, "year": entry.year},
            )
    return diagnostic


@dataclass(frozen=True)
class ImportResult:
    values: int
    diagnostics_created: int


def diagnostics_import_csv(*, actor, content: bytes) -> ImportResult:
    """Imports the values of a CSV file (see `diagnostics.imports`): all of them, or none when any line
    is faulty (`ImportRefused` lists each faulty line with its number and reason). A value already
    recorded for the same territory, vintage and indicator is replaced."""
    _check_administrator(actor)
    rows, errors = read_rows(content)
    territories = {
        territory.code: territory
        for territory in Territory.objects.filter(code__in={row.territory_code for row in rows})
    }
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    seen: dict[tuple, int] = {}
    for row in rows:
        reasons = []
        if row.territory_code not in territories:
            reasons.append(_("unknown territory “%(code)s”") % {"code": row.territory_code})
        if row.indicator_code not in indicators:
            reasons.append(_("unknown indicator “%(code)s”") % {"code": row.indicator_code})
        key = (row.territory_code, row.vintage, row.indicator_code)
        if key in seen:
            reasons.append(_("the same value is already given on line %(line)s") % {"line": seen[key]})
        seen.setdefault(key, row.line)
        if reasons:
            errors.append(LineError(row.line, "; ".join(reasons) + "."))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda error: error.line))
    with transaction.atomic():
        pairs = {(territories[row.territory_code].pk, row.vintage) for row in rows}
        existing = _diagnostics_of(pairs)
        missing = pairs - set(existing)
        Diagnostic.objects.bulk_create(
            [
                Diagnostic(territory_id=territory_id, vintage=vintage, created_by=actor)
                for territory_id, vintage in missing
            ]
        )
        diagnostics = _diagnostics_of(pairs)
        IndicatorValue.objects.bulk_create(
            [
                IndicatorValue(
                    diagnostic_id=diagnostics[(territories[row.territory_code].pk, row.vintage)],
                    indicator=indicators[row.indicator_code],
                    value=row.value,
                    source=row.source,
                    year=row.year,
                )
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["diagnostic", "indicator"],
            update_fields=["value", "source", "year"],
        )
    return ImportResult(values=len(rows), diagnostics_created=len(missing))


def _diagnostics_of(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    territory_ids = {territory_id for territory_id, _vintage in pairs}
    vintages = {vintage for _territory_id, vintage in pairs}
    found = Diagnostic.objects.filter(territory_id__in=territory_ids, vintage__in=vintages)
    return {
        (territory_id, vintage): pk
        for pk, territory_id, vintage in found.values_list("pk", "territory_id", "vintage")
        if (territory_id, vintage) in pairs
    }


def method_publish(*, actor, note: str, **values) -> ClassificationMethod:
    """Publishes the next version of the classification method, starting from the current one with
    `values` changed. The classifications already computed keep pointing to their version."""
    _check_administrator(actor)
    unknown = set(values) - set(METHOD_FIELDS)
    if unknown:
        raise ValueError(f"Unknown method settings: {sorted(unknown)}")
    with transaction.atomic():
        current = ClassificationMethod.objects.select_for_update().order_by("-version").first()
        fields = {name: getattr(current, name) for name in METHOD_FIELDS} if current else {}
        fields.update(values)
        method = ClassificationMethod(
            version=(current.version + 1) if current else 1, published_by=actor, note=note, **fields
        )
        method.full_clean()
        method.save()
    return method


def current_method() -> ClassificationMethod | None:
    return ClassificationMethod.objects.order_by("-version").first()


def vintage_classify(*, actor, vintage: int, method: ClassificationMethod | None = None) -> list[Classification]:
    """Classifies every diagnostic of `vintage` with `method` (the current version by default), each
    against the region's values of the same vintage: one new `Classification` per diagnostic that has
    values. Earlier classifications stay as they were, with their own method version."""
    _check_administrator(actor)
    return classify_vintage(vintage=vintage, method=method or current_method(), actor=actor)


def classify_vintage(*, vintage: int, method: ClassificationMethod | None, actor=None) -> list[Classification]:
    """`vintage_classify` without the actor's check (the demonstration data uses it)."""
    if method is None:
        raise ValidationError(_("No classification method is published yet."))
    with transaction.atomic():
        values: dict[int, dict[str, Decimal]] = {}
        specs: dict[str, scoring.IndicatorSpec] = {}
        rows = IndicatorValue.objects.filter(diagnostic__vintage=vintage).select_related("indicator")
        for row in rows:
            values.setdefault(row.diagnostic_id, {})[row.indicator.code] = row.value
            specs[row.indicator.code] = scoring.IndicatorSpec(
                row.indicator.code, row.indicator.label, row.indicator.dimension, row.indicator.direction
            )
        statistics = scoring.region_statistics(values)
        classifications = []
        for diagnostic_id, own in sorted(values.items()):
            result = scoring.classify(own, statistics, specs, method)
            if result is None:
                continue
            classifications.append(
                Classification(
                    diagnostic_id=diagnostic_id,
                    method=method,
                    score=result.score,
                    vulnerability_class=result.vulnerability_class,
                    proposed_contract_type=result.proposed_contract_type,
                    reasons=result.reasons,
                    computed_by=actor,
                )
            )
        return Classification.objects.bulk_create(classifications)


def proposal_override(*, actor, diagnostic: Diagnostic, contract_type: str, comment: str) -> ProposalOverride:
    """Records an administrator's choice of another contract type than the computed proposal, with its
    mandatory comment, who and when. The computed proposal stays recorded and shown beside it."""
    _check_administrator(actor)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say why the proposal is overridden."))
    if contract_type not in ContractType.values:
        raise ValidationError(_("Choose a contract type."))
    with transaction.atomic():
        diagnostic = Diagnostic.objects.select_for_update().get(pk=diagnostic.pk)
        classification = diagnostic.classifications.order_by("-pk").first()
        if classification is None:
            raise ValidationError(_("Classify the diagnostic before overriding its proposal."))
        return ProposalOverride.objects.create(
            diagnostic=diagnostic,
            classification=classification,
            contract_type=contract_type,
            comment=comment,
            decided_by=actor,
        )
