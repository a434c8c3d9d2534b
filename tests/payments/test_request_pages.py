"""The payment requests' pages: who reaches them, what a refusal shows and leaves, and their query counts."""

import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments import services
from payments.models import PaymentKind, PaymentRequest, RequestState
from tests import factories
from tests.payments.conftest import pdf_upload, statement
from workflows.enums import Role


def ask(dossier, sponsor, kind=PaymentKind.ADVANCE, lines=()):
    return services.payment_request_submit(
        dossier=dossier,
        actor=sponsor,
        kind=kind,
        idempotency_key=uuid.uuid4(),
        lines=list(lines),
        invoices=[pdf_upload()] if lines else [],
    )


def en(url):
    """The English page (reverse() may already give it, once a request switched the language)."""
    return url if url.startswith("/en/") else "/en" + url


def test_the_sponsor_asks_for_an_advance_from_the_form(client, granted, sponsor):
    client.force_login(sponsor)
    url = reverse("payments:sponsor_request_new", args=[granted.pk])
    form = client.get(en(url))
    assert form.status_code == 200
    key = str(uuid.uuid4())
    data = {"kind": "advance", "idempotency_key": key, "lines-TOTAL_FORMS": "6", "lines-INITIAL_FORMS": "0"}
    for index in range(6):
        data[f"lines-{index}-is_eligible"] = "on"
    first = client.post(en(url), data)
    again = client.post(en(url), data)
    request = PaymentRequest.objects.get(dossier=granted)
    assert first.status_code == again.status_code == 302
    assert (
        first["Location"] == again["Location"] == en(reverse("payments:sponsor_request", args=[granted.pk, request.pk]))
    )
    page = client.get(first["Location"])
    assert "15\u202f000,00\u00a0€" in page.content.decode()  # amounts are written the French way


def test_a_refused_request_shows_why_and_creates_nothing(client, granted, sponsor):
    client.force_login(sponsor)
    url = reverse("payments:sponsor_request_new", args=[granted.pk])
    data = {
        "kind": "instalment",
        "idempotency_key": str(uuid.uuid4()),
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
    }
    data["lines-0-is_eligible"] = "on"
    response = client.post(en(url), data)
    assert response.status_code == 200
    assert "An instalment needs the expense statement" in response.content.decode()
    assert not PaymentRequest.objects.exists()


def test_other_sponsors_and_staff_cannot_ask(client, granted, officer):
    stranger = factories.make_user(Role.SPONSOR, organisation=factories.OrganisationFactory())
    url = reverse("payments:sponsor_request_new", args=[granted.pk])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(officer)
    assert client.get(url).status_code == 403


def test_the_request_pages_and_files_are_scoped(client, granted, sponsor, officer, other_territory, finance):
    request = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("1000"))
    document = request.files.get()
    file_url = reverse("payments:file_download", args=[request.pk, document.pk])
    staff_url = reverse("payment_requests:request_page", args=[request.pk])
    sponsor_url = reverse("payments:sponsor_request", args=[granted.pk, request.pk])
    stranger_officer = factories.make_user(Role.OFFICER, territory=other_territory)
    stranger_sponsor = factories.make_user(Role.SPONSOR, organisation=factories.OrganisationFactory())
    member = factories.make_user(Role.COMMITTEE_MEMBER)
    for user in (stranger_officer, stranger_sponsor, member):
        client.force_login(user)
        assert client.get(file_url).status_code == 404, user
        # The staff site refuses the roles it has no page for as a whole (403), the others with a 404.
        assert client.get(staff_url).status_code in (403, 404), user
        assert str(granted.reference) not in client.get(staff_url).content.decode()
    client.force_login(stranger_sponsor)
    assert client.get(sponsor_url).status_code == 404
    for user in (sponsor, officer, finance):
        client.force_login(user)
        response = client.get(file_url)
        assert response.status_code == 200, user
        assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(officer)
    assert client.get(staff_url).status_code == 200


def test_the_officer_excludes_a_line_and_finance_validates_from_the_page(client, granted, sponsor, officer, finance):
    request = ask(granted, sponsor, PaymentKind.INSTALMENT, lines=statement("10000", "5000"))
    line = request.lines.get(position=2)
    client.force_login(officer)
    response = client.post(
        reverse("payment_requests:request_check", args=[request.pk]), {f"exclude_{line.pk}": "Hors opération"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, str(request.payable)) == (RequestState.CHECKED, "4000.00")
    # The officer may not validate: refused with a message, nothing changes.
    client.post(reverse("payment_requests:request_validate", args=[request.pk]))
    assert PaymentRequest.objects.get(pk=request.pk).state == RequestState.CHECKED
    client.force_login(finance)
    client.post(reverse("payment_requests:request_validate", args=[request.pk]))
    assert PaymentRequest.objects.get(pk=request.pk).state == RequestState.VALIDATED


def test_an_officer_of_another_territory_cannot_act_on_a_request(client, granted, sponsor, other_territory):
    request = ask(granted, sponsor)
    client.force_login(factories.make_user(Role.OFFICER, territory=other_territory))
    for name in ("request_check", "request_send_back", "request_reject"):
        assert client.post(reverse(f"payment_requests:{name}", args=[request.pk]), {"reason": "x"}).status_code == 404
    assert PaymentRequest.objects.get(pk=request.pk).state == RequestState.SUBMITTED


def test_the_queue_and_the_request_page_cost_the_same_whatever_the_number_of_rows(client, contract, officer):
    from tests.payments.conftest import bank_account

    def add_requests(count):
        for _ in range(count):
            dossier = factories.make_dossier("notified", contract=contract)
            sponsor = factories.make_user(Role.SPONSOR, organisation=dossier.organisation)
            bank_account(dossier.organisation, sponsor)
            ask(dossier, sponsor, PaymentKind.INSTALMENT, lines=statement(*["1000"] * count))

    def cost(url):
        client.get(url)  # warms the session and the menu's caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.force_login(officer)
    queue = reverse("payment_requests:index")
    add_requests(2)
    first = PaymentRequest.objects.earliest("pk")
    small = cost(queue), cost(reverse("payment_requests:request_page", args=[first.pk]))
    add_requests(8)
    last = PaymentRequest.objects.latest("pk")
    large = cost(queue), cost(reverse("payment_requests:request_page", args=[last.pk]))
    assert small == large
