"""Amounts and dates in the letters' French formats, and the amount in words."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from documents.formatting import amount_in_words, date_fr, format_eur, format_rate


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("12345.67", "douze mille trois cent quarante-cinq euros et soixante-sept centimes"),
        ("80000", "quatre-vingt mille euros"),
        ("1", "un euro"),
        ("21.01", "vingt et un euros et un centime"),
        ("200", "deux cents euros"),
        ("71.80", "soixante et onze euros et quatre-vingts centimes"),
        ("1000000", "un million d'euros"),
        ("2000000.50", "deux millions d'euros et cinquante centimes"),
        ("0.50", "cinquante centimes"),
        ("1234.565", "mille deux cent trente-quatre euros et cinquante-sept centimes"),
    ],
)
def test_amount_in_words_follows_french_rules(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_a_negative_amount_has_no_words():
    with pytest.raises(ValueError):
        amount_in_words(Decimal("-1"))


def test_amounts_are_written_with_a_narrow_space_between_thousands_and_a_comma():
    assert format_eur(Decimal("12345.67")) == "12\u202f345,67\u00a0€"


def test_rates_are_written_as_french_percentages():
    assert format_rate(Decimal("0.4")) == "40\u00a0%"
    assert format_rate(Decimal("0.155")) == "15,5\u00a0%"


def test_dates_are_written_in_full_in_french_whatever_the_active_language(settings):
    settings.LANGUAGE_CODE = "en"
    assert date_fr(date(2026, 3, 5)) == "5 mars 2026"
    assert date_fr(date(2026, 8, 1)) == "1er août 2026"
    # An aware datetime is shown on its local (Paris) day.
    assert date_fr(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC"))) == "1er janvier 2027"
