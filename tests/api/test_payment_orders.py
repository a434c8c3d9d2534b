"""Payment orders through the API, exactly as finance handles them on the web pages (/region/payment-orders/):
the validated requests exported as a new order numbered per year, its CSV the web UI's download, its payment
recorded once (each request paid, each sponsor told); refusals answer 400/409 with their code and change
nothing; anyone but finance and administrators gets a 404 and changes nothing."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dossiers.models import Dossier
from messaging.models import Notification
from payments import services
from payments.models import PaymentOrder, PaymentRequest, RequestState
from payments.orders import CSV_COLUMNS, payment_order_create
from tests.api.test_payments import ask
from tests.payments import conftest as payments_conftest
from tests.payments.test_orders import csv_rows, in_payment
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db

# The payments' fixtures: DOMAIN.md's worked example, notified, and a sponsor with validated bank details.
granted = payments_conftest.granted
sponsor = payments_conftest.sponsor

ORDERS = "/api/v1/payment-orders/"


def url(order, action=None):
    return f"{ORDERS}{order.pk}/{action}/" if action else f"{ORDERS}{order.pk}/"


@pytest.fixture
def validated(granted, sponsor, officer, finance):
    """The advance of DOMAIN's example, checked and validated: waiting for an order."""
    advance = ask(granted, sponsor)
    services.payment_request_check(request=advance, actor=officer)
    return services.payment_request_validate(request=advance, actor=finance)


def state_of_orders():
    """Everything a refusal must leave as it was."""
    return (
        list(PaymentOrder.objects.order_by("pk").values()),
        list(PaymentRequest.objects.order_by("pk").values("pk", "state", "order_id", "paid_on")),
        list(Dossier.objects.order_by("pk").values_list("pk", "state")),
        Notification.objects.filter(notice="payment_request_paid").count(),
    )


def test_finance_exports_downloads_and_pays_an_order_and_the_request_moves_as_through_the_web(
    api, client, validated, finance
):
    finance_api = api(finance)
    response = finance_api.post(ORDERS, {}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["request_count"], body["total"], body["paid_on"]) == (
        f"OP-{timezone.localdate().year}-000001",
        1,
        "15000.00",
        None,
    )
    order = PaymentOrder.objects.get(pk=body["id"])
    validated.refresh_from_db()
    assert validated.order_id == order.pk

    # The CSV: the web UI's download, byte for byte.
    response = finance_api.get(url(order, "csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{order.number}.csv"'
    header, *lines = csv_rows(response.content.decode("utf-8"))
    assert tuple(header) == CSV_COLUMNS
    assert [(line[0], line[1], line[6], line[7], line[10]) for line in lines] == [
        (order.number, validated.dossier.reference, "15000.00", "advance", str(validated.pk))
    ]
    client.force_login(finance)
    with translation.override("en"):
        web = client.get(reverse("payment_orders:export", args=[order.pk]))
    assert web.content == response.content

    # Its payment: the request paid, the dossier still in payment before its balance, the sponsor told.
    paid_on = timezone.localdate()
    response = finance_api.post(url(order, "mark-paid"), {"paid_on": paid_on.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["paid_on"] == paid_on.isoformat()
    order.refresh_from_db()
    validated.refresh_from_db()
    assert (order.paid_on, order.paid_recorded_by) == (paid_on, finance)
    assert (validated.state, validated.paid_on) == (RequestState.PAID, paid_on)
    assert Dossier.objects.get(pk=validated.dossier_id).state == DossierState.IN_PAYMENT
    notices = Notification.objects.filter(notice="payment_request_paid")
    assert {(notice.recipient, notice.dossier_id) for notice in notices} >= {
        (validated.dossier.created_by, validated.dossier_id)
    }

    # A second record of the payment: 409, and nobody is told again.
    before = state_of_orders()
    response = finance_api.post(url(order, "mark-paid"), {"paid_on": paid_on.isoformat()}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "already_paid")
    assert state_of_orders() == before


def test_an_export_with_nothing_to_order_is_a_conflict_and_takes_no_number(api, validated, finance):
    first = api(finance).post(ORDERS, {"requests": [validated.pk]}, format="json")
    assert first.status_code == 201
    before = state_of_orders()
    response = api(finance).post(ORDERS, {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "nothing_to_order")
    assert state_of_orders() == before


def test_order_numbers_follow_each_other_within_the_year(api, contract, finance):
    year = timezone.localdate().year
    numbers = []
    for _ in range(2):
        in_payment(contract)
        numbers.append(api(finance).post(ORDERS, format="json").json()["number"])
    assert numbers == [f"OP-{year}-000001", f"OP-{year}-000002"]


def test_an_export_of_chosen_requests_takes_only_those(api, contract, finance):
    chosen, left = in_payment(contract), in_payment(contract)
    response = api(finance).post(ORDERS, {"requests": [chosen.pk]}, format="json")
    assert response.status_code == 201
    assert list(PaymentRequest.objects.filter(order_id=response.json()["id"])) == [chosen]
    left.refresh_from_db()
    assert left.order_id is None
    response = api(finance).post(ORDERS, {"requests": ["x"]}, format="json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("shift", "code"), [(timedelta(days=1), "paid_on_in_future"), (timedelta(days=-1), "paid_on_before_export")]
)
def test_a_payment_date_in_the_future_or_before_the_export_is_refused_and_changes_nothing(
    api, validated, finance, shift, code
):
    order = payment_order_create(actor=finance)
    before = state_of_orders()
    paid_on = timezone.localdate() + shift
    response = api(finance).post(url(order, "mark-paid"), {"paid_on": paid_on.isoformat()}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert state_of_orders() == before


def test_a_payment_without_a_valid_date_is_refused_with_400(api, validated, finance):
    order = payment_order_create(actor=finance)
    before = state_of_orders()
    for payload in ({}, {"paid_on": "yesterday"}):
        response = api(finance).post(url(order, "mark-paid"), payload, format="json")
        assert response.status_code == 400
        assert "paid_on" in response.json()["errors"]
    assert state_of_orders() == before


def test_the_csv_answers_a_client_asking_for_text_csv(api, validated, finance):
    order = payment_order_create(actor=finance)
    response = api(finance).get(url(order, "csv"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert tuple(csv_rows(response.content.decode())[0]) == CSV_COLUMNS


def test_sponsors_and_officers_get_404_and_change_nothing(api, validated, sponsor, officer, finance):
    order = payment_order_create(actor=finance)
    in_payment(validated.dossier.contract)  # another request waiting for an order
    before = state_of_orders()
    today = timezone.localdate().isoformat()
    for user in (sponsor, officer):
        client = api(user)
        assert client.get(ORDERS).json()["results"] == []
        assert client.get(url(order)).status_code == 404
        assert client.get(url(order, "csv")).status_code == 404
        assert client.post(ORDERS, {}, format="json").status_code == 404
        assert client.post(url(order, "mark-paid"), {"paid_on": today}, format="json").status_code == 404
    assert state_of_orders() == before


def test_the_list_runs_the_same_number_of_queries_whatever_the_number_of_orders(api, contract, finance):
    client = api(finance)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ORDERS).status_code == 200
        return len(captured)

    in_payment(contract)
    payment_order_create(actor=finance)
    one = queries()
    for _ in range(3):
        in_payment(contract)
        in_payment(contract)
        payment_order_create(actor=finance)
    assert client.get(ORDERS).json()["count"] == 4
    assert queries() == one


def test_an_error_is_json_even_to_a_client_asking_for_the_csv(api, finance):
    for response in (
        api(finance).get("/api/v1/payment-orders/999999/csv/", HTTP_ACCEPT="text/csv"),
        api(finance).get("/api/v1/payment-orders/999999/csv/", {"format": "csv"}),
    ):
        assert (response.status_code, response["Content-Type"]) == (404, "application/json")
        assert response.json()["code"] == "not_found"
