"""Which events are recorded, for whom, with what: transitions, messages, documents and payments, written
in the transaction of what happened; organisations get their own dossiers' events and never the Region's
internal notes; territories get their dossiers' events and the notes."""

import uuid

import pytest
from django.utils import timezone

from documents.models import DocumentKind
from documents.services import document_request, job_run
from messaging.services import message_post
from payments import services as payments
from payments.models import PaymentKind
from roadmaps import services as roadmaps
from roadmaps.minutes import minutes_issue
from roadmaps.models import FollowUpMeeting
from tests.factories import make_dossier, make_draft, make_user
from tests.webhooks.conftest import subscribe
from webhooks.enums import EventType
from webhooks.models import Delivery, Event
from workflows import services
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.org/"


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


@pytest.fixture
def subscriptions(dossier, territory):
    """The dossier's organisation's and territory's subscriptions to everything."""
    return (
        subscribe(url=URL + "organisation", organisation=dossier.organisation),
        subscribe(url=URL + "territory", territory=territory),
    )


def deliveries_for(subscription, type=None):
    deliveries = Delivery.objects.filter(subscription=subscription).select_related("event")
    return [d.event for d in deliveries if type is None or d.event.type == type]


def test_a_transition_is_sent_to_the_organisation_and_the_territory(contract, territory, officer):
    draft = make_draft(contract=contract)
    mine = subscribe(url=URL, organisation=draft.organisation, events=[EventType.DOSSIER_STATE_CHANGED])
    theirs = subscribe(url=URL, territory=territory, events=[EventType.DOSSIER_STATE_CHANGED])
    services.dossier_submit(dossier=draft, actor=draft.created_by)
    [event] = deliveries_for(mine)
    assert deliveries_for(theirs) == [event]
    assert event.type == EventType.DOSSIER_STATE_CHANGED and event.dossier_id == draft.pk
    data = event.payload["data"]
    assert (data["transition"], data["from_state"], data["to_state"]) == ("submit", "draft", "submitted")
    assert data["dossier"]["reference"] == draft.reference and data["dossier"]["state"] == "submitted"
    assert data["dossier"]["url"].endswith(f"/api/v1/dossiers/{draft.pk}/")
    assert set(event.payload) == {"id", "type", "created_at", "data"} and event.payload["id"] == str(event.event_id)


@pytest.fixture
def stranger_officer(other_territory):
    return make_user(Role.OFFICER, territory=other_territory)


def test_a_refused_transition_sends_nothing(dossier, subscriptions, stranger_officer):
    with pytest.raises(services.TransitionRefused):
        services.dossier_declare_admissible(dossier=dossier, actor=stranger_officer)
    assert not Event.objects.exists()


def test_organisations_never_get_internal_notes(dossier, subscriptions, officer):
    mine, territorys = subscriptions
    message_post(dossier=dossier, author=officer, body="Note interne", is_internal=True)
    public = message_post(dossier=dossier, author=officer, body="Pièce reçue")
    assert [event.payload["data"]["message"]["id"] for event in deliveries_for(mine)] == [public.pk]
    bodies = sorted(event.payload["data"]["message"]["body"] for event in deliveries_for(territorys))
    assert bodies == ["Note interne", "Pièce reçue"]
    assert "Note interne" not in str([event.payload for event in deliveries_for(mine)])


def test_organisations_never_get_other_organisations_dossiers(dossier, subscriptions, contract):
    mine, territorys = subscriptions
    other = make_dossier(DossierState.SUBMITTED, contract=contract)
    message_post(dossier=other, author=other.created_by, body="Question")
    assert deliveries_for(mine) == []
    assert len(deliveries_for(territorys)) == 1


def test_another_territorys_subscription_gets_nothing(dossier, other_territory, officer):
    theirs = subscribe(url=URL, territory=other_territory)
    message_post(dossier=dossier, author=officer, body="Note", is_internal=True)
    message_post(dossier=dossier, author=dossier.created_by, body="Question")
    assert deliveries_for(theirs) == [] and not Event.objects.exists()


def test_only_the_events_wanted_by_active_subscriptions(dossier, territory):
    subscribe(url=URL, organisation=dossier.organisation, events=[EventType.DOCUMENT_ISSUED])
    subscribe(url=URL, territory=territory, active=False)
    message_post(dossier=dossier, author=dossier.created_by, body="Question")
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_an_issued_letter_is_sent_with_its_download_address(dossier, subscriptions):
    document = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document
    for subscription in subscriptions:
        [event] = deliveries_for(subscription, EventType.DOCUMENT_ISSUED)
        data = event.payload["data"]["document"]
        assert (data["id"], data["number"], data["kind"]) == (document.pk, document.number, document.kind)
        assert data["download_url"].endswith(f"/api/v1/documents/{document.pk}/download/")


def test_a_follow_up_meetings_minutes_go_to_the_territory_only(contract, territory, officer, dossier, subscriptions):
    mine, territorys = subscriptions
    meeting = roadmaps.meeting_create(
        roadmap=roadmaps.roadmap_for_contract(contract),
        actor=officer,
        held_on=timezone.localdate(),
        participants=[officer],
        partners="",
        agenda="Avancement",
    )
    FollowUpMeeting.objects.filter(pk=meeting.pk).update(minutes="Compte rendu.")
    meeting.refresh_from_db()
    job = minutes_issue(meeting=meeting, actor=officer)
    job_run(job.pk)
    [event] = deliveries_for(territorys, EventType.DOCUMENT_ISSUED)
    assert event.payload["data"]["meeting"] == meeting.pk and event.payload["data"]["dossier"] is None
    assert deliveries_for(mine, EventType.DOCUMENT_ISSUED) == []


def test_a_payment_request_is_sent_when_filed_and_at_each_change_of_state(
    granted, sponsor, officer, finance, territory
):
    mine = subscribe(url=URL, organisation=granted.organisation, events=[EventType.PAYMENT_UPDATED])
    theirs = subscribe(url=URL, territory=territory, events=[EventType.PAYMENT_UPDATED])
    request = payments.payment_request_submit(
        dossier=granted,
        actor=sponsor,
        kind=PaymentKind.ADVANCE,
        idempotency_key=uuid.uuid4(),
        lines=[],
        invoices=[],
        completion_statement=None,
        requested_amount=None,
    )
    payments.payment_request_check(request=request, actor=officer, exclusions={})
    payments.payment_request_validate(request=request, actor=finance)
    states = [
        (e.payload["data"]["payment_request"]["previous_state"], e.payload["data"]["payment_request"]["state"])
        for e in sorted(deliveries_for(mine), key=lambda e: e.pk)
    ]
    assert states == [(None, "submitted"), ("submitted", "checked"), ("checked", "validated")]
    validated = sorted(deliveries_for(mine), key=lambda e: e.pk)[-1].payload["data"]["payment_request"]
    assert validated["payable"] == "15000.00" and validated["id"] == request.pk
    assert len(deliveries_for(theirs)) == 3
