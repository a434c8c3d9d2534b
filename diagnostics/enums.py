from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.enums import ContractType, Generation


class Dimension(models.TextChoices):
    """The five dimensions a territorial diagnostic looks at (DOMAIN: "The situation")."""

    ECONOMIC_DYNAMISM = "economic_dynamism", _("Economic dynamism")
    ATTRACTIVENESS = "attractiveness", _("Attractiveness")
    SOCIAL_COHESION = "social_cohesion", _("Social cohesion")
    EDUCATION = "education", _("Education level")
    EVERYDAY_SERVICES = "everyday_services", _("Access to everyday services")


class Direction(models.TextChoices):
    """What a higher value of an indicator says of the territory."""

    HIGHER_MORE_VULNERABLE = "higher_more_vulnerable", _("A higher value means more vulnerable")
    HIGHER_LESS_VULNERABLE = "higher_less_vulnerable", _("A higher value means less vulnerable")


class VulnerabilityClass(models.TextChoices):
    STRONG = "strong", _("Strongly vulnerable")
    RELATIVE = "relative", _("Relatively vulnerable")
    NOT_VULNERABLE = "not_vulnerable", _("Not vulnerable")


# The contract types a method may propose for relatively vulnerable territories.
RELATIVE_CONTRACT_TYPES = [
    (ContractType.DYNAMISATION_COHESION.value, ContractType.DYNAMISATION_COHESION.label),
    (ContractType.ATTRACTIVITE.value, ContractType.ATTRACTIVITE.label),
]

# The generation each vintage of diagnostics prepares: the first one whose period starts at most a year
# before the vintage (the 2018–2019 diagnostics prepared the 2018–2021 contracts, those of 2022 the
# 2023–2025 ones).
GENERATION_START_YEARS = {Generation.G2018_2021: 2018, Generation.G2023_2025: 2023}


def generation_for_vintage(vintage: int) -> str | None:
    for generation, start in sorted(GENERATION_START_YEARS.items(), key=lambda item: item[1]):
        if start >= vintage - 1:
            return generation
    return None
