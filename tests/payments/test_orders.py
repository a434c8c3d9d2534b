"""Payment orders for the accounting system: finance exports the validated requests waiting for payment
as one numbered order (a CSV without formulas), records its payment on return (each request paid, each
sponsor told, once), and lists the recovery orders to issue; the envelopes count a payment as soon as it
is paid and commit the final grant once the balance has fixed it. Finance and administrators only, in
pages that run the same number of queries whatever their size."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from committees.envelopes import contract_figures
from committees.models import AgendaItem, ItemResult
from dossiers.models import Contract, Dossier, Organisation
from messaging.models import Notification
from payments.models import BankAccountStatus, PaymentKind, PaymentOrder, PaymentRequest, RequestState
from payments.orders import (
    CSV_COLUMNS,
    payment_order_create,
    payment_order_csv,
    payment_order_mark_paid,
    recovery_order_record,
    recovery_orders_csv,
    recovery_orders_to_issue,
    requests_to_order,
)
from tests.factories import EnvelopeFactory, make_dossier, make_territory, make_user
from tests.payments.conftest import bank_account
from workflows.enums import DossierState, Role
from workflows.services import envelope_committed

D = Decimal
S = DossierState
R = RequestState
pytestmark = pytest.mark.django_db


def account_of(organisation, **details):
    """The organisation's validated bank details, made once."""
    validated = organisation.bank_accounts.filter(status=BankAccountStatus.VALIDATED).first()
    return validated or bank_account(organisation, organisation.members.first(), **details)


def request_of(dossier, amount="1000.00", *, kind=PaymentKind.INSTALMENT, state=R.VALIDATED, **fields):
    return PaymentRequest.objects.create(
        dossier=dossier,
        kind=kind,
        state=state,
        payable=D(amount),
        validated_at=timezone.now(),
        created_by=dossier.created_by,
        bank_account=account_of(dossier.organisation),
        **fields,
    )


def in_payment(contract, amount="1000.00", **kwargs):
    """A validated request of a new dossier in payment of `contract`."""
    return request_of(make_dossier(S.IN_PAYMENT, contract=contract), amount, **kwargs)


def recovery_of(contract, recovery="4000.00"):
    """DOMAIN's example 4: final grant 20,000.00, 24,000.00 already paid, 4,000.00 to claim back."""
    return in_payment(contract, "0.00", kind=PaymentKind.BALANCE, recovery=D(recovery), final_grant=D("20000.00"))


def csv_rows(text):
    return list(csv.reader(io.StringIO(text)))


# Who -------------------------------------------------------------------------------------------------


def test_only_finance_and_administrators_create_and_mark_payment_orders(contract, officer, secretary, finance):
    waiting = in_payment(contract)
    sponsor = waiting.dossier.created_by
    for actor in (sponsor, officer, secretary):
        with pytest.raises(PermissionDenied):
            payment_order_create(actor=actor)
    assert not PaymentOrder.objects.exists()

    order = payment_order_create(actor=finance)
    for actor in (sponsor, officer, secretary):
        with pytest.raises(PermissionDenied):
            payment_order_mark_paid(order=order, actor=actor, paid_on=timezone.localdate())
    waiting.refresh_from_db()
    assert waiting.state == R.VALIDATED

    in_payment(contract)
    assert payment_order_create(actor=make_user(Role.ADMINISTRATOR)).requests.count() == 1


# What an order takes ------------------------------------------------------------------------------------


def test_an_order_takes_only_the_validated_requests_not_yet_ordered_with_something_to_pay(contract, finance):
    taken = [in_payment(contract, "1500.00"), in_payment(contract, "0.01", kind=PaymentKind.ADVANCE)]
    checked = in_payment(contract, state=R.CHECKED)
    already_paid = in_payment(contract, state=R.PAID)
    nothing_to_pay = in_payment(contract, "0.00")
    recovery = recovery_of(contract)
    earlier = PaymentOrder.objects.create(number="OP-2000-000001", created_by=finance)
    on_an_order = in_payment(contract, order=earlier)

    assert list(requests_to_order()) == taken
    order = payment_order_create(actor=finance)
    assert set(order.requests.all()) == set(taken)
    orders = dict(PaymentRequest.objects.values_list("pk", "order_id"))
    assert [orders[left.pk] for left in (checked, already_paid, nothing_to_pay, recovery)] == [None] * 4
    assert orders[on_an_order.pk] == earlier.pk

    # Nothing left: the export is refused and creates nothing.
    with pytest.raises(ValidationError) as refusal:
        payment_order_create(actor=finance)
    assert refusal.value.code == "nothing_to_order"
    assert PaymentOrder.objects.count() == 2


def test_an_order_of_chosen_requests_leaves_out_those_no_longer_waiting(contract, finance):
    first, second, third = (in_payment(contract) for _ in range(3))
    payment_order_create(actor=finance, request_ids=[first.pk])
    order = payment_order_create(actor=finance, request_ids=[first.pk, second.pk])
    assert list(order.requests.all()) == [second]
    with pytest.raises(ValidationError):
        payment_order_create(actor=finance, request_ids=[first.pk, second.pk])
    third.refresh_from_db()
    assert third.order_id is None


def test_order_numbers_follow_each_other_within_the_year_without_gaps(contract, finance):
    year = timezone.localdate().year
    PaymentOrder.objects.create(number=f"OP-{year - 1}-000007", created_by=finance)
    numbers = []
    for _ in range(3):
        in_payment(contract)
        numbers.append(payment_order_create(actor=finance).number)
    assert numbers == [f"OP-{year}-000001", f"OP-{year}-000002", f"OP-{year}-000003"]
    # A refused export takes no number.
    with pytest.raises(ValidationError):
        payment_order_create(actor=finance)
    in_payment(contract)
    assert payment_order_create(actor=finance).number == f"OP-{year}-000004"


# The CSV --------------------------------------------------------------------------------------------------


def test_the_order_csv_has_the_accounting_columns_a_decimal_point_and_no_formula(contract, finance):
    envelope = contract.envelopes.get()
    envelope.label = "+SUM(A1)"
    envelope.save()
    evil = make_dossier(S.IN_PAYMENT, contract=contract)
    Organisation.objects.filter(pk=evil.organisation_id).update(name='=HYPERLINK("http://evil.example","x")')
    evil.organisation.refresh_from_db()
    first = request_of(evil, "1234.5")
    association = make_dossier(S.IN_PAYMENT, contract=contract)
    Organisation.objects.filter(pk=association.organisation_id).update(
        siret=None, rna="W123456789", name="Les Amis, du bourg"
    )
    Dossier.objects.filter(pk=association.pk).update(envelope=None)
    account_of(association.organisation, iban="FR1420041010050500013M02606", bic="PSSTFRPPLIL")
    second = request_of(association, "80000", kind=PaymentKind.BALANCE)
    order = payment_order_create(actor=finance)

    text = payment_order_csv(order)
    assert ";" not in text
    header, *lines = csv_rows(text)
    assert (
        tuple(header)
        == CSV_COLUMNS
        == (
            "order_number",
            "dossier_reference",
            "beneficiary",
            "siret_or_rna",
            "iban",
            "bic",
            "amount",
            "kind",
            "budget_line",
            "deliberation_number",
            "request_id",
        )
    )
    deliberation = AgendaItem.objects.get(dossier=evil, result=ItemResult.APPROVED).deliberation_number
    assert deliberation
    assert lines[0] == [
        order.number,
        evil.reference,
        '\'=HYPERLINK("http://evil.example","x")',
        evil.organisation.siret,
        "FR7630006000011234567890189",
        "AGRIFRPP",
        "1234.50",
        "instalment",
        "'+SUM(A1)",
        deliberation,
        str(first.pk),
    ]
    assert lines[1][2:11] == [
        "Les Amis, du bourg",
        "W123456789",
        "FR1420041010050500013M02606",
        "PSSTFRPPLIL",
        "80000.00",
        "balance",
        contract.name,
        AgendaItem.objects.get(dossier=association, result=ItemResult.APPROVED).deliberation_number,
        str(second.pk),
    ]


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_prefix_is_neutralised_in_the_csv(contract, finance, prefix):
    dossier = make_dossier(S.IN_PAYMENT, contract=contract)
    Organisation.objects.filter(pk=dossier.organisation_id).update(name=f"{prefix}1+1")
    request_of(dossier)
    (line,) = csv_rows(payment_order_csv(payment_order_create(actor=finance)))[1:]
    assert line[2] == f"'{prefix}1+1"


def test_recovery_orders_to_issue_are_exported_with_the_amount_to_claim_back(contract, finance):
    recovery = recovery_of(contract, "4000.00")
    in_payment(contract, "10.00")
    header, line = csv_rows(recovery_orders_csv())
    assert tuple(header) == CSV_COLUMNS
    assert (line[0], line[1], line[6], line[7], line[10]) == (
        "",
        recovery.dossier.reference,
        "4000.00",
        "balance",
        str(recovery.pk),
    )


# Paying ------------------------------------------------------------------------------------------------


def test_a_recovery_order_recorded_as_issued_leaves_the_list_to_issue(contract, finance, officer):
    recovery = recovery_of(contract, "4000.00")
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        recovery_order_record(request=recovery, actor=officer, reference="TR-2026-0042", issued_on=today)
    with pytest.raises(ValidationError) as refusal:
        recovery_order_record(request=recovery, actor=finance, reference="  ", issued_on=today)
    assert "reference" in refusal.value.error_dict
    with pytest.raises(ValidationError) as refusal:
        recovery_order_record(
            request=recovery, actor=finance, reference="TR-2026-0042", issued_on=today + timedelta(days=1)
        )
    assert "issued_on" in refusal.value.error_dict
    assert list(recovery_orders_to_issue()) == [recovery]
    recorded = recovery_order_record(request=recovery, actor=finance, reference="TR-2026-0042", issued_on=today)
    assert (recorded.recovery_reference, recorded.recovery_issued_on, recorded.recovery_recorded_by) == (
        "TR-2026-0042",
        today,
        finance,
    )
    assert list(recovery_orders_to_issue()) == []
    with pytest.raises(ValidationError) as refusal:
        recovery_order_record(request=recovery, actor=finance, reference="TR-2026-0043", issued_on=today)
    assert refusal.value.code == "already_recorded"


def test_a_request_with_nothing_to_claim_back_has_no_recovery_order(contract, finance):
    with pytest.raises(ValidationError) as refusal:
        recovery_order_record(
            request=in_payment(contract), actor=finance, reference="TR-1", issued_on=timezone.localdate()
        )
    assert refusal.value.code == "nothing_to_recover"


def test_finance_records_a_recovery_order_from_the_page(client, contract, finance):
    recovery = recovery_of(contract)
    client.force_login(finance)
    response = client.post(
        url("recovery_record", recovery.pk), {"reference": "TR-2026-0007", "issued_on": timezone.localdate()}
    )
    assert response.status_code == 302
    assert PaymentRequest.objects.get(pk=recovery.pk).recovery_reference == "TR-2026-0007"
    assert (
        client.post(url("recovery_record", recovery.pk), {"reference": "X", "issued_on": "2026-01-01"}).status_code
        == 404
    )


def test_marking_an_order_paid_pays_each_request_and_tells_each_sponsor_once(contract, finance):
    advance = in_payment(contract, "15000.00", kind=PaymentKind.ADVANCE)
    instalment = in_payment(contract, "9000.00")
    colleague = make_user(Role.SPONSOR, organisation=instalment.dossier.organisation)
    order = payment_order_create(actor=finance)
    paid_on = timezone.localdate()

    payment_order_mark_paid(order=order, actor=finance, paid_on=paid_on)
    order.refresh_from_db()
    assert (order.paid_on, order.paid_recorded_by) == (paid_on, finance)
    for request in (advance, instalment):
        request.refresh_from_db()
        assert (request.state, request.paid_on) == (R.PAID, paid_on)
    notices = Notification.objects.filter(notice="payment_request_paid")
    assert {(n.recipient, n.dossier_id) for n in notices} == {
        (advance.dossier.created_by, advance.dossier_id),
        (instalment.dossier.created_by, instalment.dossier_id),
        (colleague, instalment.dossier_id),
    }
    values = notices.get(dossier=advance.dossier, recipient=advance.dossier.created_by).notice_values
    assert values == {
        "kind": PaymentKind.ADVANCE,
        "amount": "15\u202f000,00\u00a0€",
        "paid_on": paid_on.isoformat(),
    }
    # Codes and dates are shown in the reader's language.
    with translation.override("fr"):
        notice = notices.get(dossier=advance.dossier, recipient=advance.dossier.created_by)
        assert "(Avance)" in notice.title

    # A second record of the payment is refused, and tells nobody again.
    with pytest.raises(ValidationError) as refusal:
        payment_order_mark_paid(order=order, actor=finance, paid_on=paid_on)
    assert refusal.value.code == "already_paid"
    assert Notification.objects.filter(notice="payment_request_paid").count() == 3


def test_an_order_cannot_be_paid_in_the_future_nor_before_its_export(contract, finance):
    waiting = in_payment(contract)
    order = payment_order_create(actor=finance)
    today = timezone.localdate()
    for paid_on, code in (
        (today + timedelta(days=1), "paid_on_in_future"),
        (today - timedelta(days=1), "paid_on_before_export"),
    ):
        with pytest.raises(ValidationError) as refusal:
            payment_order_mark_paid(order=order, actor=finance, paid_on=paid_on)
        assert refusal.value.code == code
    waiting.refresh_from_db()
    order.refresh_from_db()
    assert (waiting.state, order.paid_on) == (R.VALIDATED, None)
    assert not Notification.objects.filter(notice="payment_request_paid").exists()


# The envelopes ---------------------------------------------------------------------------------------------


def envelope_figures(contract):
    (row,) = contract_figures(Contract.objects.filter(pk=contract.pk))
    (line,) = row.envelopes
    return line


def test_the_envelope_counts_an_instalment_as_paid_once_its_order_is_paid(contract, finance):
    advance = in_payment(contract, "15000.00", kind=PaymentKind.ADVANCE, state=R.PAID)
    request_of(advance.dossier, "9000.00")
    assert envelope_figures(contract).paid == D("15000.00")  # validated, not paid yet
    order = payment_order_create(actor=finance)
    assert envelope_figures(contract).paid == D("15000.00")  # ordered, not paid yet
    payment_order_mark_paid(order=order, actor=finance, paid_on=timezone.localdate())
    assert envelope_figures(contract).paid == D("24000.00")
    assert Dossier.objects.get(pk=advance.dossier_id).state == S.IN_PAYMENT  # before its balance


def test_the_commitment_is_the_final_grant_once_the_balance_has_fixed_it(contract):
    """DOMAIN's example 3: 50,000.00 voted, reduced to 44,000.00 by the balance: 6,000.00 released."""
    envelope = contract.envelopes.get()
    dossier = make_dossier(S.IN_PAYMENT, contract=contract)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=D("50000.00"))
    assert envelope_committed(envelope) == envelope_figures(contract).committed == D("50000.00")
    Dossier.objects.filter(pk=dossier.pk).update(state=S.PAID, final_amount=D("44000.00"))
    assert envelope_committed(envelope) == envelope_figures(contract).committed == D("44000.00")
    assert envelope_figures(contract).remaining == envelope.amount - D("44000.00")
    Dossier.objects.filter(pk=dossier.pk).update(state=S.LAPSED)
    assert envelope_committed(envelope) == envelope_figures(contract).committed == D("0.00")


def test_the_consistency_check_reports_orders_that_disagree_with_their_payment(contract, finance):
    waiting = in_payment(contract)
    order = payment_order_create(actor=finance)
    out = io.StringIO()
    call_command("check_consistency", stdout=out)
    PaymentOrder.objects.filter(pk=order.pk).update(paid_on=timezone.localdate())
    Dossier.objects.filter(pk=waiting.dossier_id).update(final_amount=D("90000.00"))
    with pytest.raises(SystemExit):
        call_command("check_consistency", stdout=out, stderr=io.StringIO())
    output = out.getvalue()
    assert f"payment request {waiting.pk}: not paid, though its order {order.number} is" in output
    assert f"dossier {waiting.dossier.reference}: final grant 90" in output


# The pages ---------------------------------------------------------------------------------------------------


def url(name, *args):
    """The English page."""
    with translation.override("en"):
        return reverse(f"payment_orders:{name}", args=args)


def test_the_payment_orders_pages_are_for_finance_and_administrators_only(
    client, contract, officer, secretary, finance
):
    waiting = in_payment(contract)
    order = payment_order_create(actor=finance)
    sponsor = waiting.dossier.created_by
    assert url("index") == "/en/region/payment-orders/"
    for user in (sponsor, officer, secretary):
        client.force_login(user)
        for name, args in (("index", ()), ("detail", (order.pk,)), ("export", (order.pk,)), ("recoveries_export", ())):
            assert client.get(url(name, *args)).status_code == 404
        assert client.post(url("create"), {"requests": [waiting.pk]}).status_code == 404
        assert client.post(url("mark_paid", order.pk), {"paid_on": timezone.localdate()}).status_code == 404
    order.refresh_from_db()
    assert order.paid_on is None
    for user in (finance, make_user(Role.ADMINISTRATOR)):
        client.force_login(user)
        for name, args in (("index", ()), ("detail", (order.pk,)), ("export", (order.pk,)), ("recoveries_export", ())):
            assert client.get(url(name, *args)).status_code == 200
    assert client.get(url("detail", order.pk + 1000)).status_code == 404


def test_finance_exports_an_order_downloads_it_and_records_its_payment_from_the_pages(client, contract, finance):
    chosen, left = in_payment(contract, "1200.00"), in_payment(contract, "300.00")
    recovery = recovery_of(contract)
    client.force_login(finance)

    page = client.get(url("index"))
    assert (page.context["waiting"], page.context["waiting_total"]) == ([chosen, left], D("1500.00"))
    assert page.context["recoveries"] == [recovery]
    content = page.content.decode()
    assert "Export a payment order" in content and "1\u202f500,00\u00a0€" in content

    response = client.post(url("create"), {"requests": [chosen.pk]})
    order = PaymentOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", order.pk)
    assert list(order.requests.all()) == [chosen]
    detail = client.get(url("detail", order.pk))
    assert detail.context["requests"] == [chosen] and "Mark as paid on" in detail.content.decode()

    download = client.get(url("export", order.pk))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="{order.number}.csv"'
    assert download.content.decode("utf-8") == payment_order_csv(order)

    refused = client.post(url("create"), {"requests": [chosen.pk]}, follow=True)
    assert "No validated payment request is waiting" in refused.content.decode()

    paid = client.post(url("mark_paid", order.pk), {"paid_on": timezone.localdate().isoformat()}, follow=True)
    assert f"The payment order {order.number} is recorded paid." in paid.content.decode()
    chosen.refresh_from_db()
    assert chosen.state == R.PAID
    again = client.post(url("mark_paid", order.pk), {"paid_on": timezone.localdate().isoformat()}, follow=True)
    assert "already recorded paid" in again.content.decode()

    recoveries = client.get(url("recoveries_export"))
    assert recoveries.content.decode("utf-8") == recovery_orders_csv()


def count_queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_pages_run_the_same_number_of_queries_whatever_the_number_of_requests(client, finance):
    client.force_login(finance)

    def world(size):
        contract = EnvelopeFactory(contract__territory=make_territory(f"Territoire {size}")).contract
        for _ in range(size):
            in_payment(contract)
        order = payment_order_create(actor=finance)
        for _ in range(size):
            in_payment(contract)
            recovery_of(contract)
        return order

    def paths(order):
        return [url("index"), url("detail", order.pk), url("export", order.pk), url("recoveries_export")]

    small = [count_queries(client, path) for path in paths(world(2))]
    assert [count_queries(client, path) for path in paths(world(10))] == small


# Concurrency (PostgreSQL) -------------------------------------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_exports_give_each_request_one_order_and_numbers_without_gaps(contract, finance):
    from tests.workflows.test_postgresql import fresh_users, run_together, successes_and_errors

    year = timezone.localdate().year
    # The year's first orders: there is no order yet to lock, the unique number settles the race.
    first, second = in_payment(contract), in_payment(contract)
    users = fresh_users(finance, 2)
    outcomes = run_together(
        [
            partial(payment_order_create, actor=users[0], request_ids=[first.pk]),
            partial(payment_order_create, actor=users[1], request_ids=[second.pk]),
        ]
    )
    orders, errors = successes_and_errors(outcomes)
    assert errors == []
    assert sorted(order.number for order in orders) == [f"OP-{year}-000001", f"OP-{year}-000002"]

    # The same requests exported four times at once: one order takes them, the others are refused.
    waiting = [in_payment(contract) for _ in range(3)]
    outcomes = run_together([partial(payment_order_create, actor=user) for user in fresh_users(finance, 4)])
    orders, errors = successes_and_errors(outcomes)
    assert len(orders) == 1 and orders[0].number == f"OP-{year}-000003"
    assert all(isinstance(error, ValidationError) and error.code == "nothing_to_order" for error in errors)
    assert set(PaymentRequest.objects.filter(pk__in=[r.pk for r in waiting]).values_list("order", flat=True)) == {
        orders[0].pk
    }


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_order_marked_paid_twice_at_once_pays_and_notifies_once(contract, finance):
    from tests.workflows.test_postgresql import fresh_users, run_together, successes_and_errors

    in_payment(contract)
    order = payment_order_create(actor=finance)
    today = timezone.localdate()
    outcomes = run_together(
        [partial(payment_order_mark_paid, order=order, actor=user, paid_on=today) for user in fresh_users(finance, 3)]
    )
    paid, errors = successes_and_errors(outcomes)
    assert len(paid) == 1 and len(errors) == 2
    assert all(isinstance(error, ValidationError) and error.code == "already_paid" for error in errors)
    assert Notification.objects.filter(notice="payment_request_paid").count() == 1
