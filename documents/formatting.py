"""French formats for letters: `12 345,67 €`, `5 mars 2026`, `15,5 %`, and amounts in words."""

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from num2words import num2words

from dossiers.money import format_eur, format_rate, round_cents

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]

__all__ = ["amount_in_words", "date_fr", "format_eur", "format_rate"]


def date_fr(value: date | datetime | None) -> str:
    """`5 mars 2026`, `1er mars 2026`: the letters' date format, whatever the active language."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def amount_in_words(value: Decimal) -> str:
    """`douze mille trois cent quarante-cinq euros et soixante-sept centimes`; `un million d'euros`."""
    rounded = round_cents(value)
    if rounded < 0:
        raise ValueError("a negative amount has no words on a letter")
    euros, cents = int(rounded), int((rounded - int(rounded)) * 100)
    words = num2words(euros, lang="fr")
    if euros in (0, 1):
        text = f"{words} euro"
    elif words.endswith(("million", "millions", "milliard", "milliards")):
        text = f"{words} d'euros"
    else:
        text = f"{words} euros"
    if not cents:
        return text
    cents_text = f"{num2words(cents, lang='fr')} centime{'s' if cents > 1 else ''}"
    return cents_text if euros == 0 else f"{text} et {cents_text}"
