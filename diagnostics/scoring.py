"""The classification's arithmetic, as pure functions on Decimals (no database).

1. Normalisation: for each indicator, the values of every territory of the same vintage form the
   region's distribution; a territory's value becomes its z-score (value − mean) / standard deviation
   (population standard deviation; 0 when every territory has the same value), rounded half-up to
   4 decimals. A z-score rather than a rank: the distance to the region's mean counts, not only the
   order, and it does not depend on how many territories are ahead.
2. Direction: the z-score is negated for the indicators where a higher value means less vulnerable, so
   that a positive figure always means "more vulnerable than the region's mean".
3. Dimension: the mean of its indicators' signed z-scores, rounded to 4 decimals; a dimension without
   any value counts for nothing (its weight is left out of the total).
4. Score: Σ weight × dimension score / Σ weight (the weights of the dimensions with data), rounded to
   4 decimals; each dimension's contribution is its weight × score / Σ weight, rounded the same way.
5. Class: score ≥ strong threshold → strongly vulnerable; ≥ relative threshold → relatively
   vulnerable; below → not vulnerable. Proposal: strong → dynamisation and cohesion; relative → the
   method's choice (dynamisation and cohesion or attractiveness); not vulnerable → attractiveness.
   The attractiveness and solidarity contract of the former regional capitals (Poitiers, Limoges) is
   not a matter of score: an administrator records it as an override with its reason.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from diagnostics.enums import Dimension, Direction, VulnerabilityClass
from dossiers.enums import ContractType

PLACES = Decimal("0.0001")
ZERO = Decimal("0")


def round4(value: Decimal) -> Decimal:
    return Decimal(value).quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    label: str
    dimension: str
    direction: str


@dataclass(frozen=True)
class Result:
    score: Decimal
    vulnerability_class: str
    proposed_contract_type: str
    reasons: list[dict]


def region_statistics(values: dict[int, dict[str, Decimal]]) -> dict[str, tuple[Decimal, Decimal]]:
    """The mean and population standard deviation of each indicator over the region's diagnostics
    (`values`: diagnostic id → indicator code → value)."""
    series: dict[str, list[Decimal]] = {}
    for by_code in values.values():
        for code, value in by_code.items():
            series.setdefault(code, []).append(Decimal(value))
    statistics = {}
    with localcontext() as context:
        context.prec = 28
        for code, numbers in series.items():
            mean = sum(numbers, ZERO) / len(numbers)
            variance = sum(((number - mean) ** 2 for number in numbers), ZERO) / len(numbers)
            statistics[code] = (mean, variance.sqrt())
    return statistics


def signed_z(value: Decimal, mean: Decimal, deviation: Decimal, direction: str) -> Decimal:
    if deviation == 0:
        return round4(ZERO)
    z = (Decimal(value) - mean) / deviation
    return round4(z if direction == Direction.HIGHER_MORE_VULNERABLE else -z)


def vulnerability_of(score: Decimal, method) -> str:
    if score >= method.strong_threshold:
        return VulnerabilityClass.STRONG
    if score >= method.relative_threshold:
        return VulnerabilityClass.RELATIVE
    return VulnerabilityClass.NOT_VULNERABLE


def proposed_contract_type(vulnerability: str, method) -> str:
    if vulnerability == VulnerabilityClass.STRONG:
        return ContractType.DYNAMISATION_COHESION
    if vulnerability == VulnerabilityClass.RELATIVE:
        return method.relative_contract_type
    return ContractType.ATTRACTIVITE


def classify(
    own: dict[str, Decimal],
    statistics: dict[str, tuple[Decimal, Decimal]],
    indicators: dict[str, IndicatorSpec],
    method,
) -> Result | None:
    """The classification of one diagnostic (`own`: indicator code → value) against the region's
    `statistics`; None when it has no value at all."""
    dimensions = []
    for dimension in Dimension:
        rows = [
            {
                "code": code,
                "label": indicators[code].label,
                "value": str(own[code]),
                "z": str(signed_z(own[code], *statistics[code], indicators[code].direction)),
            }
            for code in sorted(own)
            if indicators[code].dimension == dimension
        ]
        score = round4(sum((Decimal(row["z"]) for row in rows), ZERO) / len(rows)) if rows else None
        dimensions.append(
            {"dimension": dimension.value, "weight": method.weight(dimension), "score": score, "rows": rows}
        )
    for entry in dimensions:
        entry["counted"] = entry["score"] is not None and entry["weight"] > 0
    counted = [entry for entry in dimensions if entry["counted"]]
    if not counted:
        return None
    total_weight = sum((entry["weight"] for entry in counted), ZERO)
    score = round4(sum((entry["weight"] * entry["score"] for entry in counted), ZERO) / total_weight)
    reasons = [
        {
            "dimension": entry["dimension"],
            "weight": str(entry["weight"]),
            "score": None if entry["score"] is None else str(entry["score"]),
            "contribution": str(round4(entry["weight"] * entry["score"] / total_weight)) if entry["counted"] else None,
            "indicators": entry["rows"],
        }
        for entry in dimensions
    ]
    vulnerability = vulnerability_of(score, method)
    return Result(score, vulnerability, proposed_contract_type(vulnerability, method), reasons)
