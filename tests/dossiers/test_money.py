"""Money to the cent, half-up; French formatting of amounts and rates; month arithmetic of deadlines."""

from datetime import date
from decimal import Decimal

import pytest

from dossiers.money import add_months, format_eur, format_rate, round_cents

NNBSP = "\u202f"  # thousands separator
NBSP = "\u00a0"  # before € and %


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        ("0.005", "0.01"),
        ("2.675", "2.68"),
        ("2.665", "2.67"),
        ("0.004", "0.00"),
        ("1.994999", "1.99"),
        ("44000", "44000.00"),
        ("-0.005", "-0.01"),
        ("-2.675", "-2.68"),
    ],
)
def test_round_cents_rounds_half_up_to_the_cent(value, rounded):
    result = round_cents(Decimal(value))
    assert result == Decimal(rounded)
    assert str(result) == rounded


def test_round_cents_rounds_a_rate_times_a_base_once():
    # 40 % of 60,000.01: 24,000.004 → 24,000.00; 0.125 × 0.1 = 0.0125 → 0.01.
    assert round_cents(Decimal("0.4") * Decimal("60000.01")) == Decimal("24000.00")
    assert round_cents(Decimal("0.125") * Decimal("0.1")) == Decimal("0.01")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("12345.67", f"12{NNBSP}345,67{NBSP}€"),
        ("0", f"0,00{NBSP}€"),
        ("5", f"5,00{NBSP}€"),
        ("999.5", f"999,50{NBSP}€"),
        ("1000", f"1{NNBSP}000,00{NBSP}€"),
        ("1234567.891", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
        ("999999.995", f"1{NNBSP}000{NNBSP}000,00{NBSP}€"),
        ("200000.00", f"200{NNBSP}000,00{NBSP}€"),
    ],
)
def test_format_eur_groups_thousands_with_narrow_no_break_spaces(value, text):
    assert format_eur(Decimal(value)) == text


def test_format_eur_uses_no_plain_spaces():
    text = format_eur(Decimal("12345.67"))
    assert " " not in text
    assert text == "12\u202f345,67\u00a0€"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("-4000", f"-4{NNBSP}000,00{NBSP}€"),
        ("-12345.675", f"-12{NNBSP}345,68{NBSP}€"),
        ("-0.5", f"-0,50{NBSP}€"),
        ("-0.001", f"0,00{NBSP}€"),
    ],
)
def test_format_eur_shows_negative_amounts_with_a_minus_sign(value, text):
    assert format_eur(Decimal(value)) == text


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        ("0.2", f"20{NBSP}%"),
        ("0.2000", f"20{NBSP}%"),
        ("0.15", f"15{NBSP}%"),
        ("0.155", f"15,5{NBSP}%"),
        ("0.12345", f"12,35{NBSP}%"),
        ("1", f"100{NBSP}%"),
        ("0.1", f"10{NBSP}%"),
        ("0", f"0{NBSP}%"),
    ],
)
def test_format_rate_gives_a_french_percentage(rate, text):
    assert format_rate(Decimal(rate)) == text


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2000, 1, 31), 1, date(2000, 2, 29)),
        (date(2100, 1, 31), 1, date(2100, 2, 28)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 1, 15), 1, date(2025, 2, 15)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2025, 3, 10), 36, date(2028, 3, 10)),
        (date(2025, 5, 31), 0, date(2025, 5, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 1, 31), -2, date(2024, 11, 30)),
        (date(2024, 2, 29), -36, date(2021, 2, 28)),
        (date(2028, 2, 29), -48, date(2024, 2, 29)),
        (date(2025, 6, 30), -18, date(2023, 12, 30)),
    ],
)
def test_add_months_goes_back_with_negative_months(day, months, expected):
    assert add_months(day, months) == expected
