"""The payment requests' services: DOMAIN.md's worked example walked through the requests, the guards of
each step, and what a refusal leaves behind (nothing)."""

import uuid
from decimal import Decimal

import pytest

from documents.models import DocumentJob, DocumentKind
from dossiers.models import Dossier
from messaging.models import Notification
from payments import services
from payments.models import BankAccountStatus, PaymentKind, PaymentRequest, RequestState
from payments.services import PaymentRefused
from tests import factories
from tests.payments.conftest import bank_account, pdf_upload, statement
from workflows.enums import DossierState, Role
from workflows.services import envelope_committed

D = Decimal


def ask(dossier, sponsor, kind, *, lines=(), key=None, completion=False, requested=None):
    return services.payment_request_submit(
        dossier=dossier,
        actor=sponsor,
        kind=kind,
        idempotency_key=key or uuid.uuid4(),
        lines=list(lines),
        invoices=[pdf_upload()] if lines else [],
        completion_statement=pdf_upload("achevement.pdf") if completion else None,
        requested_amount=requested,
    )


def check_and_validate(request, officer, finance, exclusions=None):
    services.payment_request_check(request=request, actor=officer, exclusions=exclusions or {})
    return services.payment_request_validate(request=request, actor=finance)


@pytest.fixture
def paid_in_full_example(granted, sponsor, officer, finance):
    """Advance then an instalment of the worked example, validated."""
    advance = check_and_validate(ask(granted, sponsor, PaymentKind.ADVANCE), officer, finance)
    instalment = check_and_validate(
        ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("60000")), officer, finance
    )
    return advance, instalment


def test_advance_pays_30_percent_of_the_grant_and_moves_the_dossier_in_payment(granted, sponsor, officer, finance):
    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    assert request.payable == D("15000.00")
    validated = check_and_validate(request, officer, finance)
    assert (validated.state, validated.payable) == (RequestState.VALIDATED, D("15000.00"))
    assert Dossier.objects.get(pk=granted.pk).state == DossierState.IN_PAYMENT
    assert DocumentJob.objects.filter(kind=DocumentKind.PAYMENT_CERTIFICATE, payment_request=validated).count() == 1


def test_advance_asked_below_the_ceiling_pays_what_is_asked(granted, sponsor):
    assert ask(granted, sponsor, PaymentKind.ADVANCE, requested=D("10000")).payable == D("10000.00")


def test_worked_example_instalment_then_reduced_balance(paid_in_full_example, granted, sponsor, officer, finance):
    advance, instalment = paid_in_full_example
    assert (advance.payable, instalment.payable) == (D("15000.00"), D("9000.00"))
    balance = ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("40000"), completion=True)
    balance = check_and_validate(balance, officer, finance)
    # 100,000 € justified of 125,000 €: grant 40,000 €, 24,000 € paid, balance 16,000 €, 10,000 € released.
    assert (balance.final_grant, balance.payable, balance.recovery, balance.released) == (
        D("40000.00"),
        D("16000.00"),
        D("0.00"),
        D("10000.00"),
    )
    dossier = Dossier.objects.get(pk=granted.pk)
    assert (dossier.state, dossier.final_amount) == (DossierState.PAID, D("40000.00"))


def test_balance_releases_the_unused_commitment_on_the_envelope(
    paid_in_full_example, granted, sponsor, officer, finance
):
    before = envelope_committed(granted.envelope)
    balance = ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("40000"), completion=True)
    check_and_validate(balance, officer, finance)
    assert envelope_committed(granted.envelope) == before - D("10000.00")


def test_lines_excluded_from_the_balance_reduce_the_final_grant(granted, sponsor, officer, finance):
    check_and_validate(ask(granted, sponsor, PaymentKind.ADVANCE), officer, finance)
    check_and_validate(ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("60000")), officer, finance)
    # The officer excludes 35,000 € of the balance's 40,000 €: 65,000 € justified, grant 26,000 €.
    balance = ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("35000", "5000"), completion=True)
    excluded = balance.lines.get(position=1)
    validated = check_and_validate(balance, officer, finance, exclusions={excluded.pk: "Facture hors période"})
    assert (validated.final_grant, validated.payable, validated.recovery) == (D("26000.00"), D("2000.00"), D("0.00"))


def test_recovery_order_when_paid_exceeds_the_final_grant(granted, sponsor, officer, finance):
    check_and_validate(ask(granted, sponsor, PaymentKind.ADVANCE), officer, finance)
    balance = ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("27500"), completion=True)
    validated = check_and_validate(balance, officer, finance)
    # 27,500 € justified: final grant 11,000 €, 15,000 € paid → recovery order of 4,000 €.
    assert (validated.final_grant, validated.payable, validated.recovery) == (D("11000.00"), D("0.00"), D("4000.00"))
    # Nothing to pay: no payment order will carry it, it is settled at once; the recovery order is to issue.
    assert validated.state == RequestState.PAID
    from payments.orders import recovery_orders_to_issue

    assert list(recovery_orders_to_issue()) == [validated]
    assert Notification.objects.filter(notice="payment_recovery", recipient=sponsor).exists()


def test_expenses_above_the_base_keep_the_grant_voted(granted, sponsor, officer, finance):
    check_and_validate(ask(granted, sponsor, PaymentKind.ADVANCE), officer, finance)
    check_and_validate(ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("60000")), officer, finance)
    balance = check_and_validate(
        ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("80000"), completion=True), officer, finance
    )
    assert (balance.final_grant, balance.payable, balance.released) == (D("50000.00"), D("26000.00"), D("0.00"))


def test_the_same_form_sent_twice_creates_one_request(granted, sponsor, key):
    first = ask(granted, sponsor, PaymentKind.ADVANCE, key=key)
    second = ask(granted, sponsor, PaymentKind.ADVANCE, key=key)
    assert first.pk == second.pk
    assert PaymentRequest.objects.filter(dossier=granted).count() == 1


def test_one_request_in_progress_at_a_time(granted, sponsor):
    ask(granted, sponsor, PaymentKind.ADVANCE)
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("1000"))
    assert refusal.value.code == "request_in_progress"


def test_advance_only_as_the_first_payment(granted, sponsor, officer, finance):
    check_and_validate(ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("10000")), officer, finance)
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.ADVANCE)
    assert refusal.value.code == "advance_after_payment"


def test_instalment_needs_an_expense_statement(granted, sponsor):
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.INSTALMENT)
    assert refusal.value.code == "statement_required"


def test_balance_needs_the_completion_statement(granted, sponsor):
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("1000"))
    assert refusal.value.code == "completion_statement_required"


def test_instalment_within_the_80_percent_ceiling_refuses_when_nothing_is_left(granted, sponsor, officer, finance):
    check_and_validate(ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("125000")), officer, finance)
    assert PaymentRequest.objects.get(dossier=granted).payable == D("40000.00")
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("1000"))
    assert refusal.value.code == "nothing_payable"


def test_no_payment_after_the_balance(granted, sponsor, officer, finance):
    check_and_validate(
        ask(granted, sponsor, PaymentKind.BALANCE, lines=statement("125000"), completion=True), officer, finance
    )
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("1000"))
    assert refusal.value.code == "invalid_state"


def test_a_file_refused_by_its_content_stores_nothing(granted, sponsor):
    fake = pdf_upload("facture.pdf")
    fake.file.write(b"")
    fake = type(fake)("facture.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(PaymentRefused):
        services.payment_request_submit(
            dossier=granted,
            actor=sponsor,
            kind=PaymentKind.INSTALMENT,
            idempotency_key=uuid.uuid4(),
            lines=statement("1000"),
            invoices=[fake],
        )
    assert not PaymentRequest.objects.filter(dossier=granted).exists()


def test_an_invalid_statement_line_is_refused_with_its_position(granted, sponsor):
    lines = statement("1000", "2000")
    lines[1] = lines[1].__class__(**{**lines[1].__dict__, "amount_ttc": D("10")})
    with pytest.raises(PaymentRefused) as refusal:
        ask(granted, sponsor, PaymentKind.INSTALMENT, lines=lines)
    assert refusal.value.code == "invalid_line"
    assert "2" in refusal.value.message
    assert not PaymentRequest.objects.filter(dossier=granted).exists()


def test_only_the_sponsors_members_ask(granted, officer):
    stranger = factories.make_user(Role.SPONSOR, organisation=factories.OrganisationFactory())
    for user in (officer, stranger):
        with pytest.raises(PaymentRefused) as refusal:
            ask(granted, user, PaymentKind.ADVANCE)
        assert refusal.value.code == "forbidden"


def test_no_payment_before_the_required_convention_is_signed(territory, contract):
    dossier = factories.make_dossier(DossierState.NOTIFIED, contract=contract, convention=True)
    user = factories.make_user(Role.SPONSOR, organisation=dossier.organisation)
    with pytest.raises(PaymentRefused) as refusal:
        ask(dossier, user, PaymentKind.ADVANCE)
    assert refusal.value.code == "convention_not_signed"


def test_excluded_lines_need_a_reason_and_do_not_count(granted, sponsor, officer):
    request = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("10000", "5000"))
    line = request.lines.get(position=2)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_check(request=request, actor=officer, exclusions={line.pk: "  "})
    assert refusal.value.code == "exclusion_reason_required"
    checked = services.payment_request_check(
        request=request, actor=officer, exclusions={line.pk: "Devis, pas une facture"}
    )
    assert checked.payable == D("4000.00")
    assert checked.lines.get(pk=line.pk).exclusion_reason == "Devis, pas une facture"


def test_only_the_territorys_officer_checks(granted, sponsor, other_territory):
    stranger = factories.make_user(Role.OFFICER, territory=other_territory)
    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_check(request=request, actor=stranger)
    assert refusal.value.code == "forbidden"
    assert PaymentRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_only_finance_validates_a_checked_request(granted, sponsor, officer, finance):
    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_validate(request=request, actor=finance)
    assert refusal.value.code == "invalid_state"
    services.payment_request_check(request=request, actor=officer)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_validate(request=request, actor=officer)
    assert refusal.value.code == "forbidden"


def test_a_second_validation_is_refused_and_changes_nothing(granted, sponsor, officer, finance):
    request = check_and_validate(ask(granted, sponsor, PaymentKind.ADVANCE), officer, finance)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_validate(request=request, actor=factories.make_user(Role.FINANCE))
    assert refusal.value.code == "invalid_state"
    assert DocumentJob.objects.filter(payment_request=request).count() == 1
    assert PaymentRequest.objects.get(pk=request.pk).validated_by == finance


def test_validation_needs_validated_bank_details(granted, sponsor, officer, finance):
    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    services.payment_request_check(request=request, actor=officer)
    granted.organisation.bank_accounts.update(status=BankAccountStatus.REPLACED)
    bank_account(granted.organisation, sponsor, status=BankAccountStatus.PENDING)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_validate(request=request, actor=finance)
    assert refusal.value.code == "bank_details_not_validated"
    assert PaymentRequest.objects.get(pk=request.pk).state == RequestState.CHECKED
    assert Dossier.objects.get(pk=granted.pk).state == DossierState.NOTIFIED


def test_returned_and_rejected_requests_need_a_reason_and_free_the_way(granted, sponsor, officer, finance):
    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    with pytest.raises(PaymentRefused) as refusal:
        services.payment_request_send_back(request=request, actor=officer, reason="")
    assert refusal.value.code == "reason_required"
    returned = services.payment_request_send_back(request=request, actor=officer, reason="RIB illisible")
    assert (returned.state, returned.reason) == (RequestState.RETURNED, "RIB illisible")
    assert Notification.objects.filter(notice="payment_request_returned", recipient=sponsor).exists()
    second = ask(granted, sponsor, PaymentKind.ADVANCE)
    services.payment_request_check(request=second, actor=officer)
    rejected = services.payment_request_reject(request=second, actor=finance, reason="Opération non commencée")
    assert rejected.state == RequestState.REJECTED


def test_the_certificate_states_the_payment_and_its_calculation(granted, sponsor, officer, finance, run_on_commit):
    from documents.models import IssuedDocument
    from tests.documents.conftest import document_text

    request = ask(granted, sponsor, PaymentKind.ADVANCE)
    services.payment_request_check(request=request, actor=officer)
    run_on_commit(services.payment_request_validate, request=request, actor=finance)
    document = IssuedDocument.objects.get(payment_request=request, kind=DocumentKind.PAYMENT_CERTIFICATE)
    text = document_text(document)
    assert "Avance" in text
    assert "15 000,00 €" in text
    assert "quinze mille euros" in text
    assert "FR76 3000 6000 0112 3456 7890 189" in text
