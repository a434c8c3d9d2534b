"""Payments through the API, exactly as through the web UI: the sponsor asks (its idempotency key, its
files checked by their content), the officer checks, finance validates and the dossier moves in payment
then paid; refusals answer 403/400/409 with their code and change nothing; anyone outside the dossier's
scope gets a 404. The signed convention and the bank details go through the web UI's services too."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Dossier
from payments import services
from payments.models import (
    BankAccount,
    BankAccountStatus,
    ConventionStatus,
    PaymentKind,
    PaymentRequest,
    RequestState,
    SignedConvention,
)
from payments.orders import payment_order_create
from tests.factories import PDF, OrganisationFactory, make_dossier, make_user
from tests.payments import conftest as payments_conftest
from tests.payments.conftest import bank_account, pdf_upload, statement
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

# The payments' fixtures: DOMAIN.md's worked example, notified, and a sponsor with validated bank details.
granted = payments_conftest.granted
sponsor = payments_conftest.sponsor

D = Decimal
S = DossierState
REQUESTS = "/api/v1/payment-requests/"
TEXT = b"This is not an invoice, whatever its name says.\n"


def url(payment, action=None):
    return f"{REQUESTS}{payment.pk}/{action}/" if action else f"{REQUESTS}{payment.pk}/"


def lines_json(*amounts_ht):
    return [
        {
            "supplier": line.supplier,
            "invoice_reference": line.invoice_reference,
            "invoice_date": line.invoice_date.isoformat(),
            "amount_ht": str(line.amount_ht),
            "amount_ttc": str(line.amount_ttc),
        }
        for line in statement(*amounts_ht)
    ]


def ask(dossier, user, kind=PaymentKind.ADVANCE, lines=()):
    return services.payment_request_submit(
        dossier=dossier,
        actor=user,
        kind=kind,
        idempotency_key=uuid.uuid4(),
        lines=statement(*lines),
        invoices=[pdf_upload()] if lines else [],
    )


def stored_payment_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "payments"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def row(payment):
    """Everything a refusal must leave as it was."""
    return PaymentRequest.objects.filter(pk=payment.pk).values().get()


@pytest.fixture
def other_sponsor(contract):
    """A member of another organisation, with a dossier of their own."""
    return make_dossier(S.SUBMITTED, contract=contract).created_by


# The procedure ------------------------------------------------------------------------------------------


def test_a_sponsor_asks_an_advance_then_the_balance_and_the_dossier_is_paid_as_through_the_web(
    api, granted, sponsor, officer, finance
):
    response = api(sponsor).post(REQUESTS, {"dossier": granted.pk, "kind": "advance"}, format="json")
    assert response.status_code == 201, response.content
    advance = response.json()
    assert (advance["state"], advance["payable"]) == (RequestState.SUBMITTED, "15000.00")
    assert {step["code"] for step in advance["calculation"]} >= {"advance_cap", "payable"}

    response = api(officer).post(f"{REQUESTS}{advance['id']}/check/", {"comment": "Conforme"}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, RequestState.CHECKED)
    response = api(finance).post(f"{REQUESTS}{advance['id']}/validate/", {}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, RequestState.VALIDATED), response.content
    assert Dossier.objects.get(pk=granted.pk).state == S.IN_PAYMENT

    # The balance, multipart: its statement as JSON text, the invoices and the completion statement.
    payload = {
        "dossier": granted.pk,
        "kind": "balance",
        "lines": json.dumps(lines_json("100000", "25000")),
        "invoices": [pdf_upload("f1.pdf"), pdf_upload("f2.pdf")],
        "completion_statement": pdf_upload("achevement.pdf"),
    }
    response = api(sponsor).post(REQUESTS, payload, format="multipart")
    assert response.status_code == 201, response.content
    balance = response.json()
    assert len(balance["lines"]) == 2
    assert sorted(item["kind"] for item in balance["files"]) == ["completion", "invoice", "invoice"]
    excluded = balance["lines"][1]["id"]
    check = {"exclusions": [{"line": excluded, "reason": "Hors période"}]}
    response = api(officer).post(f"{REQUESTS}{balance['id']}/check/", check, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["lines"][1]["excluded"] is True
    response = api(finance).post(f"{REQUESTS}{balance['id']}/validate/", format="json")
    assert response.status_code == 200, response.content
    # 100,000 € justified of 125,000 €: final grant 40,000 €, 15,000 € paid, balance 25,000 €.
    assert (response.json()["final_grant"], response.json()["payable"]) == ("40000.00", "25000.00")
    dossier = Dossier.objects.get(pk=granted.pk)
    assert (dossier.state, dossier.final_amount) == (S.PAID, D("40000.00"))


def test_the_same_idempotency_key_twice_creates_one_request(api, granted, sponsor):
    key = str(uuid.uuid4())
    client = api(sponsor)
    first = client.post(REQUESTS, {"dossier": granted.pk, "kind": "advance", "idempotency_key": key}, format="json")
    again = client.post(REQUESTS, {"dossier": granted.pk, "kind": "advance", "idempotency_key": key}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert PaymentRequest.objects.filter(dossier=granted).count() == 1


def test_a_non_pdf_invoice_is_refused_with_400_and_nothing_is_created(api, granted, sponsor):
    payload = {
        "dossier": granted.pk,
        "kind": "instalment",
        "lines": json.dumps(lines_json("60000")),
        "invoices": [pdf_upload(), SimpleUploadedFile("facture.pdf", TEXT, content_type="application/pdf")],
    }
    response = api(sponsor).post(REQUESTS, payload, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "file_type"
    assert not PaymentRequest.objects.exists()
    assert stored_payment_files() == []


def test_the_requests_state_refusals_are_409_with_their_code_and_change_nothing(api, granted, sponsor, finance):
    advance = ask(granted, sponsor)
    response = api(sponsor).post(REQUESTS, {"dossier": granted.pk, "kind": "advance"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "request_in_progress")
    before = row(advance)
    response = api(finance).post(url(advance, "validate"), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert row(advance) == before
    assert PaymentRequest.objects.count() == 1


def test_validation_without_validated_bank_details_is_a_409(api, granted, sponsor, officer, finance):
    advance = ask(granted, sponsor)
    services.payment_request_check(request=advance, actor=officer)
    BankAccount.objects.update(status=BankAccountStatus.PENDING)
    before = row(advance)
    response = api(finance).post(url(advance, "validate"), format="json")
    assert (response.status_code, response.json()["code"]) == (409, "bank_details_not_validated")
    assert row(advance) == before
    assert Dossier.objects.get(pk=granted.pk).state == S.NOTIFIED


def test_a_sponsor_cannot_validate_nor_check_their_own_request(api, granted, sponsor, officer):
    advance = ask(granted, sponsor)
    before = row(advance)
    for action in ("check", "validate", "reject"):
        response = api(sponsor).post(url(advance, action), {"reason": "x"}, format="json")
        assert (response.status_code, response.json()["code"]) == (403, "forbidden"), action
    services.payment_request_check(request=advance, actor=officer)
    response = api(sponsor).post(url(advance, "validate"), format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert PaymentRequest.objects.get(pk=advance.pk).state == RequestState.CHECKED
    assert before["state"] == RequestState.SUBMITTED


def test_the_officer_sends_back_or_rejects_with_a_reason(api, granted, sponsor, officer):
    advance = ask(granted, sponsor)
    response = api(officer).post(url(advance, "send-back"), {"reason": "  "}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    response = api(officer).post(url(advance, "send-back"), {"reason": "RIB illisible"}, format="json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["reason"]) == (RequestState.RETURNED, "RIB illisible")
    again = ask(granted, sponsor)
    response = api(officer).post(url(again, "reject"), {"reason": "Hors délai"}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, RequestState.REJECTED)


def test_an_exclusion_needs_a_reason_and_a_line_of_the_request(api, granted, sponsor, officer):
    instalment = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=("60000",))
    before = row(instalment)
    response = api(officer).post(
        url(instalment, "check"), {"exclusions": [{"line": 999999, "reason": "x"}]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "unknown_line")
    response = api(officer).post(
        url(instalment, "check"), {"exclusions": [{"line": instalment.lines.get().pk, "reason": ""}]}, format="json"
    )
    assert response.status_code == 400
    assert row(instalment) == before


# Scope --------------------------------------------------------------------------------------------------


def test_another_organisations_member_and_another_territorys_officer_get_404_on_every_endpoint(
    api, granted, sponsor, stranger, other_sponsor
):
    instalment = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=("60000",))
    invoice = instalment.files.get()
    before = row(instalment)
    for user in (stranger, other_sponsor, make_user(Role.REPRESENTATIVE)):
        client = api(user)
        assert client.get(REQUESTS).json()["results"] == []
        assert client.get(url(instalment)).status_code == 404
        assert client.get(f"{url(instalment)}files/{invoice.pk}/download/").status_code == 404
        for action in ("check", "validate", "send-back", "reject"):
            response = client.post(url(instalment, action), {"reason": "x"}, format="json")
            assert response.status_code == 404, (user, action)
            assert response.json()["code"] == "not_found"
        response = client.post(REQUESTS, {"dossier": granted.pk, "kind": "advance"}, format="json")
        assert response.status_code == 404
    assert row(instalment) == before
    assert PaymentRequest.objects.count() == 1


def test_the_requests_are_scoped_and_filtered_as_in_the_web_ui(api, granted, sponsor, officer, finance, contract):
    advance = ask(granted, sponsor)
    theirs = make_dossier(S.NOTIFIED, contract=contract)
    bank_account(theirs.organisation, theirs.created_by)
    other = ask(theirs, theirs.created_by)
    ids = lambda response: {item["id"] for item in response.json()["results"]}  # noqa: E731
    assert ids(api(sponsor).get(REQUESTS)) == {advance.pk}
    assert ids(api(officer).get(REQUESTS)) == {advance.pk, other.pk}
    assert ids(api(finance).get(REQUESTS)) == {advance.pk, other.pk}
    assert ids(api(finance).get(REQUESTS, {"dossier": granted.pk})) == {advance.pk}
    assert ids(api(finance).get(REQUESTS, {"state": "checked"})) == set()
    assert ids(api(finance).get(REQUESTS, {"kind": "advance", "state": "submitted"})) == {advance.pk, other.pk}


def test_the_sponsor_and_the_officer_download_an_invoice(api, granted, sponsor, officer):
    instalment = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=("60000",))
    body = api(sponsor).get(url(instalment)).json()
    download = body["files"][0]["download_url"]
    assert download.endswith(f"{url(instalment)}files/{body['files'][0]['id']}/download/")
    for user in (sponsor, officer):
        response = api(user).get(download)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Cache-Control"] == "private, no-store"


def test_the_requests_list_runs_a_constant_number_of_queries(api, finance, contract, django_assert_num_queries):
    def new_request():
        dossier = make_dossier(S.NOTIFIED, contract=contract)
        bank_account(dossier.organisation, dossier.created_by)
        return ask(dossier, dossier.created_by)

    client = api(finance)
    new_request()
    client.get(REQUESTS)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(REQUESTS).json()["results"]) == 1
    for _ in range(4):
        new_request()
    with django_assert_num_queries(len(few)):
        assert len(client.get(REQUESTS).json()["results"]) == 5


def test_the_figures_the_procedure_sets_are_read_only(api, granted, sponsor):
    payload = {"dossier": granted.pk, "kind": "advance", "state": "paid", "payable": "999999.00"}
    response = api(sponsor).post(REQUESTS, payload, format="json")
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["payable"]) == (RequestState.SUBMITTED, "15000.00")
    assert api(sponsor).patch(url(PaymentRequest.objects.get()), {"state": "paid"}).status_code == 405


# Signed conventions -------------------------------------------------------------------------------------


@pytest.fixture
def under_convention(contract):
    """A notified grant that needs a convention."""
    return make_dossier(S.NOTIFIED, contract=contract, convention=True)


def upload_convention(client, dossier, content=PDF):
    payload = {
        "dossier": dossier.pk,
        "file": SimpleUploadedFile("convention.pdf", content, content_type="application/pdf"),
        "signed_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
    }
    return client.post("/api/v1/conventions/", payload, format="multipart")


def test_the_sponsor_uploads_the_signed_convention_and_the_officer_countersigns_it(
    api, under_convention, officer, stranger
):
    sponsor = under_convention.created_by
    response = upload_convention(api(sponsor), under_convention)
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["status"] == ConventionStatus.SUBMITTED
    assert api(stranger).get(f"/api/v1/conventions/{copy['id']}/").status_code == 404
    assert api(stranger).post(f"/api/v1/conventions/{copy['id']}/countersign/").status_code == 404
    response = api(sponsor).post(f"/api/v1/conventions/{copy['id']}/countersign/")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert Dossier.objects.get(pk=under_convention.pk).state == S.NOTIFIED
    response = api(officer).post(f"/api/v1/conventions/{copy['id']}/countersign/")
    assert (response.status_code, response.json()["status"]) == (200, ConventionStatus.COUNTERSIGNED)
    assert Dossier.objects.get(pk=under_convention.pk).state == S.AGREEMENT_SIGNED
    response = api(officer).post(f"/api/v1/conventions/{copy['id']}/refuse/", {"reason": "Trop tard"})
    assert (response.status_code, response.json()["code"]) == (409, "already_decided")
    download = api(sponsor).get(f"/api/v1/conventions/{copy['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF


def test_a_convention_that_is_not_a_pdf_is_refused_and_another_copy_is_a_conflict(api, under_convention, officer):
    sponsor = under_convention.created_by
    response = upload_convention(api(sponsor), under_convention, content=TEXT)
    assert (response.status_code, response.json()["code"]) == (400, "file_type")
    assert not SignedConvention.objects.exists()
    assert upload_convention(api(sponsor), under_convention).status_code == 201
    response = upload_convention(api(sponsor), under_convention)
    assert (response.status_code, response.json()["code"]) == (409, "copy_exists")
    copy = SignedConvention.objects.get()
    response = api(officer).post(f"/api/v1/conventions/{copy.pk}/refuse/", {"reason": "Non signée"})
    assert (response.status_code, response.json()["status"]) == (200, ConventionStatus.REFUSED)


def test_another_organisations_member_cannot_upload_a_convention(api, under_convention, other_sponsor):
    assert upload_convention(api(other_sponsor), under_convention).status_code == 404
    assert not SignedConvention.objects.exists()


# Bank details -------------------------------------------------------------------------------------------


def send_bank_details(client, organisation, iban="FR76 3000 6000 0112 3456 7890 189", content=PDF):
    payload = {
        "organisation": organisation.pk,
        "holder": organisation.name,
        "iban": iban,
        "bic": "BNPAFRPPXXX",
        "file": SimpleUploadedFile("rib.pdf", content, content_type="application/pdf"),
    }
    return client.post("/api/v1/bank-accounts/", payload, format="multipart")


def test_the_organisation_sends_its_bank_details_and_finance_validates_them(api, finance, other_sponsor, stranger):
    member = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    organisation = member.organisations.get()
    response = send_bank_details(api(member), organisation)
    assert response.status_code == 201, response.content
    account = response.json()
    assert (account["status"], account["iban"]) == (BankAccountStatus.PENDING, "FR76 3000 6000 0112 3456 7890 189")
    for outsider in (other_sponsor, stranger):
        assert api(outsider).get(f"/api/v1/bank-accounts/{account['id']}/").status_code == 404
        assert api(outsider).post(f"/api/v1/bank-accounts/{account['id']}/validate/").status_code == 404
        assert send_bank_details(api(outsider), organisation).status_code == 404
    response = api(member).post(f"/api/v1/bank-accounts/{account['id']}/validate/")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = api(finance).post(f"/api/v1/bank-accounts/{account['id']}/validate/")
    assert (response.status_code, response.json()["status"]) == (200, BankAccountStatus.VALIDATED)
    assert api(finance).get(f"/api/v1/bank-accounts/{account['id']}/rib/").status_code == 200


def test_an_invalid_iban_is_refused_with_its_field_and_nothing_is_written(api):
    member = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    response = send_bank_details(api(member), member.organisations.get(), iban="FR76 3000 6000 0112 3456 7890 188")
    assert response.status_code == 400
    assert response.json()["errors"]["iban"][0]
    assert not BankAccount.objects.exists()


# Payment orders -----------------------------------------------------------------------------------------


def test_finance_reads_the_payment_orders_and_nobody_else(api, granted, sponsor, officer, finance):
    advance = ask(granted, sponsor)
    services.payment_request_check(request=advance, actor=officer)
    services.payment_request_validate(request=advance, actor=finance)
    order = payment_order_create(actor=finance)
    body = api(finance).get("/api/v1/payment-orders/").json()["results"]
    assert [(item["number"], item["request_count"]) for item in body] == [(order.number, 1)]
    assert api(sponsor).get("/api/v1/payment-orders/").json()["results"] == []
    assert api(officer).get(f"/api/v1/payment-orders/{order.pk}/").status_code == 404
