"""The payment cycle in a real browser: the sponsor of a notified dossier (DOMAIN.md's worked example:
50,000 € voted on an eligible base of 125,000 € HT) asks for the advance, then for the balance with an
expense statement lower than planned (100,000 €); the territory's officer checks each request, finance
validates it; the sponsor sees the reduced final grant (40,000 €) and downloads the certificat de
paiement of the balance (25,000 €). Screenshots go to test-results/payments/."""

from decimal import Decimal
from pathlib import Path

from django.urls import reverse

from dossiers.models import Dossier
from payments.models import PaymentKind, PaymentRequest, RequestState
from tests.browser import log_in, new_page, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.documents.conftest import text_of
from tests.factories import PDF, make_dossier, make_user
from tests.payments.conftest import bank_account
from workflows.enums import DossierState, Role


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def shoot(page, name):
    browser_shoot(page, "payments", name)


def submit(page, selector):
    with page.expect_navigation():
        page.locator(selector).first.click()


def ask_for_payment(page, base, dossier, kind, files, lines=()):
    page.goto(f"{base}{reverse('payments:sponsor_request_new', args=[dossier.pk])}")
    page.check(f"input[name=kind][value={kind}]")
    for index, (supplier, amount_ht) in enumerate(lines):
        page.fill(f"[name=lines-{index}-supplier]", supplier)
        page.fill(f"[name=lines-{index}-invoice_reference]", f"F-{index + 1}")
        page.fill(f"[name=lines-{index}-invoice_date]", "2026-10-01")
        page.fill(f"[name=lines-{index}-amount_ht]", amount_ht)
        page.fill(f"[name=lines-{index}-amount_ttc]", str(Decimal(amount_ht) * Decimal("1.2")))
    if lines:
        page.set_input_files("[name=invoices]", files["invoice"])
    if kind == PaymentKind.BALANCE:
        page.set_input_files("[name=completion_statement]", files["completion"])
    submit(page, "main form[enctype] button[type=submit]")


def check_then_validate(officer_page, finance_page, base, payment):
    page_url = f"{base}{reverse('payment_requests:request_page', args=[payment.pk])}"
    officer_page.goto(page_url)
    submit(officer_page, f"form[action='{reverse('payment_requests:request_check', args=[payment.pk])}'] button")
    assert PaymentRequest.objects.get(pk=payment.pk).state == RequestState.CHECKED
    finance_page.goto(page_url)
    submit(finance_page, f"form[action='{reverse('payment_requests:request_validate', args=[payment.pk])}'] button")
    assert PaymentRequest.objects.get(pk=payment.pk).state == RequestState.VALIDATED


def test_advance_then_a_reduced_balance_and_the_certificate(page, browser, live_server, contract, territory, tmp_path):
    base = live_server.url
    dossier = make_dossier(DossierState.NOTIFIED, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=Decimal("50000.00"), eligible_base=Decimal("125000.00"))
    sponsor = make_user(Role.SPONSOR, organisation=dossier.organisation)
    bank_account(dossier.organisation, sponsor)
    officer = make_user(Role.OFFICER, territory=territory)
    finance = make_user(Role.FINANCE)
    files = {"invoice": tmp_path / "facture.pdf", "completion": tmp_path / "achevement.pdf"}
    for path in files.values():
        path.write_bytes(PDF)
    officer_page, finance_page = new_page(browser), new_page(browser)
    log_in(page, base, sponsor.username)
    log_in(officer_page, base, officer.username)
    log_in(finance_page, base, finance.username)

    # The advance: 30 % of 50,000 €.
    ask_for_payment(page, base, dossier, PaymentKind.ADVANCE, files)
    shoot(page, "01-advance-asked")
    advance = PaymentRequest.objects.get(dossier=dossier, kind=PaymentKind.ADVANCE)
    assert advance.payable == Decimal("15000.00")
    assert "15 000,00 €" in plain(page.locator(".payment-calculation").inner_text())
    check_then_validate(officer_page, finance_page, base, advance)
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.IN_PAYMENT

    # The balance with 100,000 € of eligible expenses instead of 125,000 €.
    ask_for_payment(
        page, base, dossier, PaymentKind.BALANCE, files, lines=[("Maçonnerie Durand", "60000"), ("Menuiserie", "40000")]
    )
    balance = PaymentRequest.objects.get(dossier=dossier, kind=PaymentKind.BALANCE)
    shoot(page, "02-balance-asked")
    officer_page.goto(f"{base}{reverse('payment_requests:request_page', args=[balance.pk])}")
    shoot(officer_page, "03-officer-checks")
    check_then_validate(officer_page, finance_page, base, balance)
    shoot(finance_page, "04-finance-validated")
    balance.refresh_from_db()
    assert (balance.final_grant, balance.payable, balance.released) == (
        Decimal("40000.00"),
        Decimal("25000.00"),
        Decimal("10000.00"),
    )
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.PAID

    # The sponsor sees the reduced grant and downloads the certificate of the balance.
    page.goto(f"{base}{reverse('portal:dossier_detail', args=[dossier.pk])}")
    assert plain(page.locator("#final-grant").inner_text()) == "40 000,00 €"
    shoot(page, "05-sponsor-sees-the-final-grant")
    page.goto(f"{base}{reverse('payments:sponsor_request', args=[dossier.pk, balance.pk])}")
    with page.expect_download() as download:
        page.locator("a[href*='/documents/']").first.click()
    saved = Path(tmp_path) / download.value.suggested_filename
    download.value.save_as(saved)
    text = text_of(saved.read_bytes())
    assert "Solde" in text
    assert "40 000,00 €" in text
    assert "25 000,00 €" in text
    for extra in (officer_page, finance_page):
        extra.context.close()
