"""The demonstration's payments: `make run` shows bank details, the advances and balances of the dossiers in
payment, paid or closed (so the envelopes' "paid" figure is not zero), weekly payment orders, and the demo
sponsor's two requests waiting for the officer and for finance. Seeding again adds nothing."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db.models import Sum
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban

from committees.envelopes import contract_figures
from documents.demo import seed_demo_letters
from documents.models import DocumentKind, IssuedDocument
from dossiers.demo import seed_dossiers, seed_logins, seed_territories, seed_territory_officers
from dossiers.loaders import load_reference_data
from dossiers.models import Contract, Dossier, Membership, Organisation, Territory
from dossiers.money import round_cents
from payments import demo
from payments.demo import SPONSOR_ADVANCE_KEY, SPONSOR_INSTALMENT_KEY, seed_demo_payments
from payments.models import (
    ORDERED_REQUEST_STATES,
    BankAccount,
    BankAccountStatus,
    ExpenseStatementLine,
    PaymentFile,
    PaymentFileKind,
    PaymentKind,
    PaymentOrder,
    PaymentRequest,
    RequestState,
)
from payments.selectors import payment_request_list_for_user
from payments.services import PaymentRefused
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db
S = DossierState
DOSSIERS = 120
User = get_user_model()


@pytest.fixture
def demo_dossiers():
    """The demonstration without its payments, on few dossiers (as tests/dossiers/test_demo.py)."""
    load_reference_data()
    seed_territories()
    seed_logins()
    seed_dossiers(DOSSIERS)
    seed_territory_officers()


def sponsor_organisation():
    return Organisation.objects.get(memberships__user__username="porteur")


def give_the_sponsor(state: str) -> Dossier:
    """A demonstration dossier of another sponsor in `state`, handed to the demo sponsor in the demo officer's
    territory (the random seed does not promise it one in every state)."""
    organisation = sponsor_organisation()
    dossier = (
        Dossier.objects.filter(organisation__is_demo=True, state=state)
        .exclude(organisation=organisation)
        .order_by("pk")
        .first()
    )
    Dossier.objects.filter(pk=dossier.pk).update(
        organisation=organisation,
        territory=Territory.objects.get(code="pays-basque"),
        created_by=User.objects.get(username="porteur"),
        convention_decided=False,
    )
    return dossier


@pytest.fixture
def sponsor_dossiers(demo_dossiers):
    return {state: give_the_sponsor(state) for state in (S.AGREEMENT_SIGNED, S.IN_PAYMENT)}


@pytest.fixture
def seeded(sponsor_dossiers):
    return seed_demo_payments()


def payment_rows():
    return {
        model.__name__: model.objects.count()
        for model in (BankAccount, PaymentRequest, ExpenseStatementLine, PaymentFile, PaymentOrder)
    }


def test_seeding_the_payments_twice_adds_nothing_the_second_time(seeded):
    before = payment_rows()
    final_amounts = dict(Dossier.objects.values_list("pk", "final_amount"))
    assert seeded == before["PaymentRequest"] > 0

    assert seed_demo_payments() == 0
    assert payment_rows() == before
    assert dict(Dossier.objects.values_list("pk", "final_amount")) == final_amounts


def test_dossiers_in_payment_have_their_advance_and_paid_ones_their_balance_with_the_final_grant(seeded):
    finance = User.objects.get(username="finances")
    bulk = Dossier.objects.filter(state__in=[S.IN_PAYMENT, S.PAID, S.CLOSED]).exclude(
        payment_requests__idempotency_key=SPONSOR_INSTALMENT_KEY
    )
    assert bulk.filter(state=S.IN_PAYMENT).exists() and bulk.filter(state__in=[S.PAID, S.CLOSED]).exists()
    for dossier in bulk.select_related("rule_set"):
        requests = {request.kind: request for request in dossier.payment_requests.all()}
        expected = {PaymentKind.ADVANCE} | ({PaymentKind.BALANCE} if dossier.state != S.IN_PAYMENT else set())
        assert set(requests) == expected, dossier.reference
        advance = requests[PaymentKind.ADVANCE]
        assert advance.payable == round_cents(dossier.rule_set.advance_max_rate * dossier.granted_amount)
        assert advance.calculation == [
            {"code": "advance_cap", "amount": str(advance.payable)},
            {"code": "payable", "amount": str(advance.payable)},
        ]
        for request in requests.values():
            assert request.state in ORDERED_REQUEST_STATES
            assert request.validated_by == finance
            assert request.checked_by.groups.filter(territory=dossier.territory_id).exists()
            assert request.bank_account.status == BankAccountStatus.VALIDATED
            assert request.bank_account.organisation_id == dossier.organisation_id
            assert request.submitted_at <= request.checked_at <= request.validated_at
            assert request.validated_at.date() >= dossier.notified_on
            if request.state == RequestState.PAID:
                assert request.paid_on >= request.validated_at.date()
        if dossier.state == S.IN_PAYMENT:
            assert dossier.final_amount is None
            continue
        balance = requests[PaymentKind.BALANCE]
        assert balance.final_grant == dossier.granted_amount == dossier.final_amount
        assert balance.payable == dossier.granted_amount - advance.payable
        assert balance.justified_total == max(dossier.eligible_base, dossier.granted_amount)
        assert balance.released == balance.recovery == Decimal("0.00")
        assert sum(line.amount_ht for line in balance.lines.all()) == balance.justified_total
        assert {file.kind for file in balance.files.all()} == {PaymentFileKind.COMPLETION_STATEMENT, "invoice"}
        assert advance.validated_at <= balance.submitted_at


def test_the_envelopes_paid_figure_is_the_sum_of_the_paid_requests_and_is_no_longer_zero(seeded):
    figures = contract_figures(Contract.objects.all())
    paid = sum(envelope.paid for contract in figures for envelope in contract.envelopes)
    expected = PaymentRequest.objects.filter(state=RequestState.PAID, dossier__envelope__isnull=False).aggregate(
        total=Sum("payable")
    )["total"]
    assert paid == expected > 0
    for contract in figures:
        for envelope in contract.envelopes:
            assert envelope.paid <= envelope.committed


def test_organisations_notified_a_grant_have_valid_validated_bank_details(seeded):
    finance = User.objects.get(username="finances")
    granted = Organisation.objects.filter(
        is_demo=True, dossiers__state__in=[S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED]
    ).distinct()
    assert granted.exists()
    for organisation in granted:
        (account,) = organisation.bank_accounts.all()
        assert account.status == BankAccountStatus.VALIDATED and account.decided_by == finance
        assert stdnum_iban.is_valid(account.iban) and account.iban.startswith("FR76")
        assert stdnum_bic.is_valid(account.bic)
        assert Membership.objects.filter(organisation=organisation, user=account.submitted_by).exists()
        assert account.submitted_at <= account.decided_at
        assert default_storage.exists(account.file.name) and account.content_type == "application/pdf"
    assert len({account.iban for account in BankAccount.objects.all()}) == BankAccount.objects.count()


def test_live_bank_details_are_kept(sponsor_dossiers):
    organisation = sponsor_organisation()
    pending = BankAccount.objects.create(
        organisation=organisation,
        holder=organisation.name,
        iban="FR7630006000011234567890189",
        bic="AGRIFRPP",
        file="rib/autre.pdf",
        original_name="rib.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=1,
        sha256="0" * 64,
        submitted_by=User.objects.get(username="porteur"),
    )
    seed_demo_payments()
    assert list(organisation.bank_accounts.all()) == [pending]
    pending.refresh_from_db()
    assert pending.status == BankAccountStatus.PENDING


def test_payment_orders_are_numbered_by_year_exported_after_validation_and_paid_with_their_requests(seeded):
    orders = PaymentOrder.objects.all()
    assert orders.exists()
    assert all(re.fullmatch(r"OP-\d{4}-\d{6}", order.number) for order in orders)
    for order in orders:
        requests = list(order.requests.all())
        assert requests and all(request.validated_at <= order.created_at for request in requests)
        if order.paid_on is not None:
            assert all(request.state == RequestState.PAID and request.paid_on == order.paid_on for request in requests)
            assert order.paid_on >= order.created_at.date()
        else:
            assert all(request.state == RequestState.VALIDATED for request in requests)
    # A request is paid only through an order; one validated since the last export waits for one.
    assert not PaymentRequest.objects.filter(state=RequestState.PAID, order__isnull=True).exists()


def test_the_demo_sponsor_has_an_advance_for_the_officer_to_check_and_an_instalment_for_finance(seeded):
    porteur, officer, finance = (User.objects.get(username=name) for name in ("porteur", "instructeur", "finances"))
    organisation = sponsor_organisation()

    advance = PaymentRequest.objects.get(idempotency_key=SPONSOR_ADVANCE_KEY)
    assert (advance.kind, advance.state, advance.created_by) == (PaymentKind.ADVANCE, RequestState.SUBMITTED, porteur)
    assert advance.dossier.organisation == organisation
    assert advance.dossier.state in (S.NOTIFIED, S.AGREEMENT_SIGNED)

    instalment = PaymentRequest.objects.get(idempotency_key=SPONSOR_INSTALMENT_KEY)
    assert (instalment.kind, instalment.state) == (PaymentKind.INSTALMENT, RequestState.CHECKED)
    assert (instalment.created_by, instalment.checked_by) == (porteur, officer)
    assert instalment.dossier.organisation == organisation and instalment.dossier != advance.dossier
    assert instalment.lines.count() == 2 and instalment.payable > 0
    (invoice,) = instalment.files.all()
    assert invoice.kind == PaymentFileKind.INVOICE and default_storage.exists(invoice.file.name)

    assert advance in payment_request_list_for_user(officer).filter(state=RequestState.SUBMITTED)
    assert instalment in payment_request_list_for_user(finance).filter(state=RequestState.CHECKED)
    assert {advance, instalment} <= set(payment_request_list_for_user(porteur))


def test_without_a_payable_dossier_of_its_own_the_sponsor_requests_go_to_another_sponsor_of_the_territory(
    demo_dossiers,
):
    organisation = sponsor_organisation()
    Dossier.objects.filter(organisation=organisation, state__in=[S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT]).update(
        state=S.CLOSED
    )
    seed_demo_payments()
    for key in (SPONSOR_ADVANCE_KEY, SPONSOR_INSTALMENT_KEY):
        request = PaymentRequest.objects.get(idempotency_key=key)
        assert request.dossier.organisation != organisation
        assert Membership.objects.filter(organisation=request.dossier.organisation, user=request.created_by).exists()
        if request.checked_by is not None:
            assert request.checked_by.groups.filter(territory=request.dossier.territory_id).exists()


def test_a_refused_sponsor_request_is_logged_and_skipped_without_failing_the_seed(
    sponsor_dossiers, monkeypatch, caplog
):
    def refuse(**kwargs):
        raise PaymentRefused("invalid_state", "refused for the test")

    monkeypatch.setattr(demo, "payment_request_submit", refuse)
    added = seed_demo_payments()
    assert added == PaymentRequest.objects.count() > 0
    assert not PaymentRequest.objects.filter(idempotency_key__in=[SPONSOR_ADVANCE_KEY, SPONSOR_INSTALMENT_KEY]).exists()
    assert "refused for the test" in caplog.text


def test_the_demo_letters_issue_one_certificate_per_validated_or_paid_request_of_the_sponsor(seeded):
    seed_demo_letters(limit=50)
    ordered = PaymentRequest.objects.filter(
        dossier__organisation=sponsor_organisation(), state__in=ORDERED_REQUEST_STATES
    )
    assert ordered.exists()
    certificates = IssuedDocument.objects.filter(kind=DocumentKind.PAYMENT_CERTIFICATE)
    assert sorted(certificates.values_list("payment_request", flat=True)) == sorted(
        ordered.values_list("pk", flat=True)
    )

    assert seed_demo_letters(limit=50) == 0
    assert certificates.count() == ordered.count()
