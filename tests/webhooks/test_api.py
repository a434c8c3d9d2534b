"""The webhooks through the API: an organisation's members (and its service account) manage its
subscriptions, a territory's officers and administrators the territory's; everyone else gets a 404. The
secret is shown once; unsafe URLs are refused with `unsafe_url` before any connection; the delivery log is
the subscriber's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tokens import service_account_for
from messaging.services import message_post
from tests.factories import OrganisationFactory, make_dossier, make_user
from tests.webhooks.conftest import subscribe
from webhooks.enums import DeliveryStatus, EventType
from webhooks.models import Delivery, Subscription
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

LIST = "/api/v1/webhook-subscriptions/"
DELIVERIES = "/api/v1/webhook-deliveries/"
URL = "https://hooks.example.org/contrats"


def detail(subscription):
    return f"{LIST}{subscription.pk}/"


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


@pytest.fixture
def member(dossier):
    return dossier.created_by


@pytest.fixture
def outsider(contract):
    """A member of another organisation, with a dossier of their own in the same territory."""
    return make_dossier(DossierState.SUBMITTED, contract=contract, organisation=OrganisationFactory()).created_by


@pytest.fixture
def stranger(other_territory):
    return make_user(Role.OFFICER, territory=other_territory)


def test_a_member_subscribes_their_organisation_and_sees_the_secret_once(api, member, dossier, public_dns):
    client = api(member)
    payload = {"organisation": dossier.organisation_id, "url": URL, "events": ["message.posted", "document.issued"]}
    response = client.post(LIST, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    subscription = Subscription.objects.get(pk=body["id"])
    assert body["secret"] == subscription.secret and body["secret"].startswith("whsec_")
    assert (subscription.organisation, subscription.territory, subscription.created_by) == (
        dossier.organisation,
        None,
        member,
    )
    assert subscription.events == ["message.posted", "document.issued"]
    assert "secret" not in client.get(detail(subscription)).json()
    assert subscription.secret not in str(client.get(LIST).json())


def test_the_organisations_service_account_manages_its_subscriptions(api, dossier, public_dns):
    robot = service_account_for(dossier.organisation)
    client = api(robot)
    response = client.post(
        LIST, {"organisation": dossier.organisation_id, "url": URL, "events": ["payment.updated"]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert [row["id"] for row in client.get(LIST).json()["results"]] == [response.json()["id"]]


def test_an_officer_subscribes_their_territory_and_an_administrator_sees_it(api, officer, territory, public_dns):
    response = api(officer).post(
        LIST, {"territory": territory.pk, "url": URL, "events": ["message.posted"]}, format="json"
    )
    assert response.status_code == 201, response.content
    admin = make_user(Role.ADMINISTRATOR)
    assert [row["id"] for row in api(admin).get(LIST).json()["results"]] == [response.json()["id"]]


def test_other_organisations_members_and_other_territories_officers_get_404(
    api, dossier, territory, outsider, stranger, public_dns
):
    mine = subscribe(url=URL, organisation=dossier.organisation)
    territorys = subscribe(url=URL, territory=territory)
    for user, subscription in ((outsider, mine), (stranger, territorys), (outsider, territorys), (stranger, mine)):
        client = api(user)
        assert client.get(LIST).json()["results"] == []
        for response in (
            client.get(detail(subscription)),
            client.patch(detail(subscription), {"url": "https://evil.example.org/"}, format="json"),
            client.delete(detail(subscription)),
        ):
            assert response.status_code == 404, user
            assert response.json()["code"] == "not_found"
    mine.refresh_from_db()
    assert mine.url == URL and Subscription.objects.count() == 2


def test_one_cannot_subscribe_to_another_organisation_or_territory(
    api, dossier, territory, outsider, stranger, public_dns
):
    response = api(outsider).post(
        LIST, {"organisation": dossier.organisation_id, "url": URL, "events": ["message.posted"]}, format="json"
    )
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]
    response = api(stranger).post(
        LIST, {"territory": territory.pk, "url": URL, "events": ["message.posted"]}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = api(dossier.created_by).post(
        LIST, {"territory": territory.pk, "url": URL, "events": ["message.posted"]}, format="json"
    )
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_exactly_one_owner_and_known_events(api, officer, territory, dossier, public_dns):
    client = api(dossier.created_by)
    both = {
        "territory": territory.pk,
        "organisation": dossier.organisation_id,
        "url": URL,
        "events": ["message.posted"],
    }
    assert client.post(LIST, both, format="json").json()["code"] == "one_owner"
    assert client.post(LIST, {"url": URL, "events": ["message.posted"]}, format="json").status_code == 400
    client = api(officer)
    response = client.post(LIST, {"territory": territory.pk, "url": URL, "events": ["dossier.deleted"]}, format="json")
    assert response.status_code == 400 and "events" in response.json()["errors"]
    assert client.post(LIST, {"territory": territory.pk, "url": URL, "events": []}, format="json").status_code == 400
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("url", ["http://169.254.169.254/", "http://10.0.0.1/", "http://internal.example.org/hook"])
def test_unsafe_urls_are_refused_with_unsafe_url_and_no_connection(api, officer, territory, dns, connections, url):
    dns["internal.example.org"] = ["127.0.0.1"]
    response = api(officer).post(
        LIST, {"territory": territory.pk, "url": url, "events": ["message.posted"]}, format="json"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "unsafe_url" and body["detail"] and body["errors"]["url"]
    assert connections == []
    assert not Subscription.objects.exists()


def test_a_change_of_url_is_checked_again_and_the_secret_never_changes(api, officer, territory, dns, public_dns):
    subscription = subscribe(url=URL, territory=territory)
    secret = subscription.secret
    client = api(officer)
    response = client.patch(detail(subscription), {"url": "http://10.0.0.1/", "secret": "mine"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unsafe_url"
    response = client.patch(
        detail(subscription),
        {"url": "https://hooks.example.org/v2", "active": False, "events": ["document.issued"], "secret": "mine"},
        format="json",
    )
    assert response.status_code == 200, response.content
    subscription.refresh_from_db()
    assert (subscription.url, subscription.active, subscription.events) == (
        "https://hooks.example.org/v2",
        False,
        ["document.issued"],
    )
    assert subscription.secret == secret
    assert client.put(detail(subscription), {"url": URL}, format="json").status_code == 405


def test_deleting_a_subscription_removes_its_log(api, officer, territory, dossier):
    subscription = subscribe(url=URL, territory=territory)
    message_post(dossier=dossier, author=officer, body="Note", is_internal=True)
    assert api(officer).delete(detail(subscription)).status_code == 204
    assert not Subscription.objects.exists() and not Delivery.objects.exists()


def test_the_delivery_log_is_the_subscribers(api, member, officer, dossier, territory, outsider, stranger):
    mine = subscribe(url=URL, organisation=dossier.organisation, events=[EventType.MESSAGE_POSTED])
    territorys = subscribe(url=URL, territory=territory)
    message_post(dossier=dossier, author=officer, body="Note", is_internal=True)
    message_post(dossier=dossier, author=member, body="Question")
    Delivery.objects.filter(subscription=mine).update(attempts=2, last_status_code=500, last_error="HTTP 500")
    rows = api(member).get(DELIVERIES).json()["results"]
    assert [row["subscription"] for row in rows] == [mine.pk]
    row = rows[0]
    assert (row["status"], row["attempts"], row["last_status_code"], row["last_error"]) == (
        "pending",
        2,
        500,
        "HTTP 500",
    )
    assert row["event_type"] == "message.posted" and row["payload"]["data"]["message"]["body"] == "Question"
    officer_rows = api(officer).get(DELIVERIES, {"subscription": territorys.pk}).json()["results"]
    assert len(officer_rows) == 2
    assert api(officer).get(DELIVERIES, {"status": DeliveryStatus.SUCCEEDED}).json()["results"] == []
    delivery = Delivery.objects.get(subscription=mine)
    for user in (outsider, stranger, officer):
        assert api(user).get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert api(outsider).get(DELIVERIES).json()["results"] == []
    assert api(member).post(DELIVERIES, {}, format="json").status_code == 405


def test_the_lists_run_a_constant_number_of_queries(api, officer, territory, contract, django_assert_num_queries):
    client = api(officer)

    def add():
        subscription = subscribe(url=URL, territory=territory)
        dossier = make_dossier(DossierState.SUBMITTED, contract=contract)
        message_post(dossier=dossier, author=officer, body="Note", is_internal=True)
        return subscription

    add()
    client.get(LIST)
    with CaptureQueriesContext(connection) as few_subscriptions:
        client.get(LIST)
    with CaptureQueriesContext(connection) as few_deliveries:
        client.get(DELIVERIES)
    for _ in range(4):
        add()
    with django_assert_num_queries(len(few_subscriptions)):
        assert len(client.get(LIST).json()["results"]) == 5
    with django_assert_num_queries(len(few_deliveries)):
        assert len(client.get(DELIVERIES).json()["results"]) == 15  # each note to the subscriptions made before it
