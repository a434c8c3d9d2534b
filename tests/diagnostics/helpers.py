"""A small region of diagnostics: territories with chosen indicator values."""

from decimal import Decimal

from diagnostics.models import Indicator
from diagnostics.services import Entry, diagnostic_save_values
from tests.factories import ContractFactory, make_territory

# Indicator code → (vulnerable, middle, favourable) values: equally spaced, so that over three territories
# the vulnerable one's signed z-score is +√(3/2) = 1.2247 on every indicator, the middle one's 0.
PROFILES = {
    "employment_growth": ("-0.5", "0.2", "0.9"),
    "median_income": ("18000", "20000", "22000"),
    "unemployment_rate": ("15", "10", "5"),
    "population_change": ("-0.4", "0.3", "1.0"),
    "poverty_rate": ("19", "15", "11"),
    "neet_youth": ("20", "16", "12"),
    "no_diploma_share": ("35", "28", "21"),
    "higher_education_share": ("17", "24", "31"),
    "services_travel_time": ("9", "6", "3"),
    "gp_density": ("7", "9", "11"),
}
VULNERABLE, MIDDLE, FAVOURABLE = 0, 1, 2


def make_diagnostic(admin, profile: int, *, vintage: int = 2022, name: str = "Territoire", territory=None):
    """A territory (with its 2023–2025 contract) and its diagnostic of `vintage` on `profile`'s values."""
    if territory is None:
        territory = make_territory(name)
        ContractFactory(territory=territory)
    indicators = {indicator.code: indicator for indicator in Indicator.objects.filter(code__in=PROFILES)}
    entries = {
        indicators[code]: Entry(value=Decimal(values[profile]), source="INSEE RP", year=vintage - 2)
        for code, values in PROFILES.items()
    }
    return diagnostic_save_values(actor=admin, territory=territory, vintage=vintage, entries=entries)
