"""The payment rules (payments/calculation.py), each test named after its rule, cent-exact, with every
worked example of DOMAIN.md: eligible base 125,000.00 € HT, rate 40 %, 50,000.00 € voted."""

from decimal import Decimal

import pytest

from payments.calculation import Grant, Kind, PaymentRuleError, advance, balance, instalment

D = Decimal
GRANT = Grant(voted=D("50000.00"), eligible_base=D("125000.00"))
ADVANCE, INTERIM = D("0.30"), D("0.80")


# DOMAIN.md's worked example, step by step ------------------------------------------------------------


def test_example_1_the_advance_is_at_most_30_percent_of_the_grant():
    calculation = advance(GRANT, advance_max_rate=ADVANCE)

    assert calculation.kind == Kind.ADVANCE
    assert calculation.step("advance_cap") == D("15000.00")
    assert calculation.payable == D("15000.00")


def test_example_2_an_instalment_pays_what_the_justified_expenses_earned_less_what_was_paid():
    calculation = instalment(GRANT, interim_max_rate=INTERIM, justified=D("60000.00"), already_paid=D("15000.00"))

    assert calculation.step("earned") == D("24000.00")  # 40 % × 60,000.00
    assert calculation.step("interim_cap") == D("40000.00")  # 80 % × 50,000.00
    assert calculation.step("cumulative") == D("24000.00")
    assert calculation.payable == D("9000.00")


def test_example_3_a_balance_below_the_base_reduces_the_grant_pro_rata_and_releases_the_rest():
    calculation = balance(GRANT, justified=D("110000.00"), already_paid=D("24000.00"))

    assert calculation.final_grant == D("44000.00")  # 40 % × 110,000.00
    assert calculation.payable == D("20000.00")
    assert calculation.recovery == D("0.00")
    assert calculation.released == D("6000.00")
    assert D("24000.00") + calculation.payable == D("44000.00")


def test_example_4_a_balance_below_what_was_paid_produces_a_recovery_order_instead_of_a_payment():
    calculation = balance(GRANT, justified=D("50000.00"), already_paid=D("24000.00"))

    assert calculation.final_grant == D("20000.00")
    assert calculation.payable == D("0.00")
    assert calculation.recovery == D("4000.00")
    assert calculation.released == D("30000.00")


def test_example_5_expenses_above_the_base_keep_the_grant_as_voted():
    calculation = balance(GRANT, justified=D("140000.00"), already_paid=D("24000.00"))

    assert calculation.final_grant == D("50000.00")
    assert calculation.payable == D("26000.00")
    assert calculation.released == D("0.00")


# The caps ------------------------------------------------------------------------------------------


def test_an_advance_requested_above_30_percent_is_capped_at_30_percent():
    assert advance(GRANT, advance_max_rate=ADVANCE, requested=D("20000.00")).payable == D("15000.00")


def test_an_advance_requested_below_the_cap_pays_what_is_requested():
    assert advance(GRANT, advance_max_rate=ADVANCE, requested=D("10000.00")).payable == D("10000.00")


def test_an_advance_is_only_the_first_payment():
    with pytest.raises(PaymentRuleError) as error:
        advance(GRANT, advance_max_rate=ADVANCE, already_paid=D("9000.00"))
    assert error.value.code == "advance_after_payment"


def test_advance_plus_instalments_never_pass_80_percent_of_the_grant():
    # 110,000.00 € justified earn 44,000.00 €, but advance plus instalments stop at 40,000.00 €.
    calculation = instalment(GRANT, interim_max_rate=INTERIM, justified=D("110000.00"), already_paid=D("15000.00"))

    assert calculation.step("earned") == D("44000.00")
    assert calculation.step("cumulative") == D("40000.00")
    assert calculation.payable == D("25000.00")


def test_an_instalment_once_at_80_percent_pays_nothing_more_and_recovers_nothing():
    calculation = instalment(GRANT, interim_max_rate=INTERIM, justified=D("125000.00"), already_paid=D("40000.00"))

    assert calculation.payable == D("0.00")
    assert calculation.recovery == D("0.00")


def test_an_instalment_with_fewer_expenses_than_already_paid_pays_nothing():
    calculation = instalment(GRANT, interim_max_rate=INTERIM, justified=D("20000.00"), already_paid=D("15000.00"))

    assert calculation.step("earned") == D("8000.00")
    assert calculation.payable == D("0.00")


def test_a_balance_that_would_exceed_the_grant_stops_at_the_grant():
    # 200,000.00 € justified would earn 80,000.00 € at 40 %: the grant stays 50,000.00 €.
    calculation = balance(GRANT, justified=D("200000.00"), already_paid=D("40000.00"))

    assert calculation.final_grant == D("50000.00")
    assert calculation.payable == D("10000.00")
    assert D("40000.00") + calculation.payable == GRANT.voted


def test_the_total_paid_never_exceeds_the_grant_whatever_the_sequence():
    for justified_first, justified_total in [
        (D("0"), D("125000.00")),
        (D("60000.00"), D("300000.00")),
        (D("125000.00"), D("125000.00")),
        (D("999999.99"), D("1.00")),
    ]:
        paid = advance(GRANT, advance_max_rate=ADVANCE).payable
        paid += instalment(GRANT, interim_max_rate=INTERIM, justified=justified_first, already_paid=paid).payable
        assert paid <= D("40000.00")
        final = balance(GRANT, justified=justified_total, already_paid=paid)
        assert paid + final.payable - final.recovery == final.final_grant <= GRANT.voted


# Rounding and inputs ------------------------------------------------------------------------------------


def test_each_amount_is_rounded_half_up_to_the_cent_once_at_the_end_of_its_formula():
    # 50 % of 0.01 € and of 0.05 €: 0.005 € → 0.01 € and 0.025 € → 0.03 € (half-up, not half-even).
    half = Grant(voted=D("1.00"), eligible_base=D("2.00"))
    assert balance(half, justified=D("0.01"), already_paid=D("0")).final_grant == D("0.01")
    assert balance(half, justified=D("0.05"), already_paid=D("0")).final_grant == D("0.03")
    # A rate that is not a round fraction: 33,333.33 € on 100,000.00 €, 12,345.67 € justified →
    # 33,333.33 × 12,345.67 ÷ 100,000.00 = 4,115.2229… → 4,115.22 € (the rate itself is never rounded).
    odd = Grant(voted=D("33333.33"), eligible_base=D("100000.00"))
    assert balance(odd, justified=D("12345.67"), already_paid=D("0")).final_grant == D("4115.22")


def test_a_grant_above_its_eligible_base_or_not_positive_is_refused():
    for voted, base in [(D("0"), D("100")), (D("101"), D("100")), (D("10"), D("0"))]:
        with pytest.raises(PaymentRuleError):
            Grant(voted=voted, eligible_base=base)


def test_negative_expenses_or_payments_beyond_the_grant_are_refused():
    with pytest.raises(PaymentRuleError):
        balance(GRANT, justified=D("-1"), already_paid=D("0"))
    with pytest.raises(PaymentRuleError):
        balance(GRANT, justified=D("1"), already_paid=D("50000.01"))
    with pytest.raises(PaymentRuleError):
        advance(GRANT, advance_max_rate=ADVANCE, requested=D("0"))
