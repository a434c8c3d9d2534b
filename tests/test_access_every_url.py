"""Every URL of the application, GET and POST, by an officer of another territory: nothing of the dossier
shows (its pages, tasks, files, messages) and nothing changes. The URL list is read from the URLconf,
so a new page is covered (or makes this test fail until it says how to fill its parameters)."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from viewflow.workflow.status import STATUS

from committees.models import AgendaItem, Attendance, CommitteeSession, MemberInterest, Scenario, Vote
from documents.models import DocumentBatch, DocumentJob, DocumentKind, IssuedDocument, JobStatus
from documents.services import document_request, job_run
from dossiers.models import PieceType
from engineering.models import ActivityReport, EngineeringPost
from messaging.models import Message, MessageAttachment, Notification
from messaging.services import message_post
from payments.models import BankAccount, ExtensionRequest, PaymentOrder, PaymentRequest, SignedConvention
from portal.models import MembershipRequest
from roadmaps.models import FollowUpMeeting, MeetingDecision, RoadmapOperation, RoadmapVersion
from tests.factories import OrganisationFactory, make_dossier, make_session, make_territory, make_user
from webhooks.models import Delivery, Event, Subscription
from workflows.enums import DossierState, Role
from workflows.flows import DossierFlow
from workflows.instruction import task_take
from workflows.processes import start_instruction

pytestmark = pytest.mark.django_db

# Pages that are public or only about the visitor themself: they hold nothing of anyone's dossier.
OWN_PAGES = {"i18n/setlang/", "connexion/", "deconnexion/", "inscription/", "orientation/", "orientation/communes/"}
SECRET = "Budget confidentiel du projet de Pierrefeu"
ROADMAP_SECRET = "Opération confidentielle de la feuille de route"


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    dossier = make_dossier(DossierState.SUBMITTED)
    sponsor = dossier.created_by
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    with django_capture_on_commit_callbacks(execute=True):
        process = start_instruction(dossier)
        message = message_post(dossier=dossier, author=sponsor, body=SECRET)
    MessageAttachment.objects.create(
        message=message,
        file=ContentFile(b"%PDF-1.4 secret", name="secret.pdf"),
        original_name="secret.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
    )
    task = process.task_set.get(flow_task=DossierFlow.check_completeness)
    task_take(task=task, actor=officer)
    candidate = make_user(Role.SPONSOR)
    request = MembershipRequest.objects.create(organisation=dossier.organisation, user=candidate)
    letter = job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document
    failed = document_request(kind=DocumentKind.PIECES_REQUEST, dossier=dossier, enqueue=False)
    DocumentJob.objects.filter(pk=failed.pk).update(status=JobStatus.FAILED, error="boom")
    session = make_session()
    batch = DocumentBatch.objects.create(session=session, label="Lettres")
    item = make_dossier(DossierState.SCHEDULED, session=session).agenda_items.get()
    granted, payment, account, convention, order = _payments_world(dossier, sponsor, officer)
    operation, meeting = _roadmap_world(dossier, officer)
    post, report = _engineering_world(dossier, sponsor)
    subscription = Subscription.objects.create(
        organisation=dossier.organisation, url="https://hooks.example.org/in", events=["message.posted"], secret="s"
    )
    event = Event.objects.create(type="message.posted", dossier=dossier, payload={"secret": SECRET})
    delivery = Delivery.objects.create(event=event, subscription=subscription)
    return {
        "subscription": subscription,
        "delivery": delivery,
        "operation": operation,
        "meeting": meeting,
        "post": post,
        "report": report,
        "granted": granted,
        "payment": payment,
        "account": account,
        "convention": convention,
        "order": order,
        "item": item,
        "letter": letter,
        "failed_job": failed,
        "session": session,
        "batch": batch,
        "dossier": dossier,
        "officer": officer,
        "task": task,
        "process": process,
        "notification": Notification.objects.filter(recipient=officer).first(),
        "request": request,
        "attachment": MessageAttachment.objects.get(),
    }


def _payments_world(dossier, sponsor, officer):
    """A notified dossier of the same sponsor and territory with its bank details, a signed copy of its
    convention, an instalment request (with an invoice) and a payment order."""
    import uuid

    from payments.services import payment_request_submit
    from tests.payments.conftest import bank_account, pdf_upload, statement

    granted = make_dossier(DossierState.NOTIFIED, contract=dossier.contract, organisation=dossier.organisation)
    account = bank_account(granted.organisation, sponsor)
    payment = payment_request_submit(
        dossier=granted,
        actor=sponsor,
        kind="instalment",
        idempotency_key=uuid.uuid4(),
        lines=statement("1000"),
        invoices=[pdf_upload()],
    )
    convention = SignedConvention.objects.create(
        dossier=granted,
        file=ContentFile(b"%PDF-1.4 secret", name="convention.pdf"),
        signed_on=granted.notified_on,
        uploaded_by=sponsor,
        original_name="convention.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=15,
        sha256="2" * 64,
    )
    order = PaymentOrder.objects.create(number="OP-2026-000001", created_by=officer)
    return granted, payment, account, convention, order


def _roadmap_world(dossier, officer):
    """The contract's roadmap with an operation realised by the dossier, a follow-up meeting whose
    decision made a new version, and its issued minutes."""
    from roadmaps.services import (
        Decision,
        NewOperation,
        meeting_create,
        meeting_record_decisions,
        operation_add,
        operation_link_dossier,
        roadmap_for_contract,
    )

    roadmap = roadmap_for_contract(dossier.contract)
    new = NewOperation(
        title=ROADMAP_SECRET,
        theme=dossier.theme,
        estimated_cost=Decimal("900000"),
        expected_support=Decimal("200000"),
        expected_year=2027,
    )
    operation = operation_add(roadmap=roadmap, actor=officer, operation=new)
    operation_link_dossier(operation=operation, dossier=dossier, actor=officer)
    planned = operation_add(roadmap=roadmap, actor=officer, operation=new)
    meeting = meeting_create(roadmap=roadmap, actor=officer, held_on=date(2026, 11, 20), participants=[officer])
    meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[
            Decision(kind="postpone", decided_by="Le comité", operation=planned, details={"expected_year": 2028})
        ],
    )
    meeting.minutes = SECRET
    meeting.save(update_fields=["minutes"])
    job_run(document_request(kind=DocumentKind.MEETING_MINUTES, meeting=meeting, enqueue=False).pk)
    return operation, meeting


def _engineering_world(dossier, sponsor):
    """An engineering post of the same sponsor and contract, notified, with an activity report."""
    from engineering.models import ActivityReport, EngineeringPost

    engineering = make_dossier(DossierState.NOTIFIED, contract=dossier.contract, organisation=dossier.organisation)
    post = EngineeringPost.objects.create(
        dossier=engineering,
        post_title=ROADMAP_SECRET,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        months=12,
        annual_cost=Decimal("60000"),
        regional_rate=Decimal("0.5"),
        regional_amount=Decimal("30000"),
    )
    report = ActivityReport.objects.create(
        post=post,
        year=2026,
        file=ContentFile(b"%PDF-1.4 secret", name="rapport.pdf"),
        original_name="rapport.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=15,
        sha256="3" * 64,
        submitted_by=sponsor,
    )
    return post, report


def fill(route: str, world) -> str:
    """The route with each parameter replaced by the world's object it designates."""
    dossier = world["dossier"]
    values = {
        "process_pk": world["process"].pk,
        "task_pk": world["task"].pk,
        "piece_pk": dossier.pieces.first().pk,
        "attachment_pk": world["attachment"].pk,
        "step": "pieces",
        "request_pk": world["payment"].pk,
        "file_pk": world["payment"].files.first().pk,
        "file_id": world["payment"].files.first().pk,
        "decision": "accept",
        "name": "withdraw",
        "contract_pk": dossier.contract_id,
        "number": 1,
        "format": "json",
        "id": dossier.pk,
        "dossier_pk": dossier.pk,
        "version": 1,
        "code": PieceType.objects.order_by("code").first().code,
    }
    if route.startswith(("region/follow-up-meetings/", "comites-de-suivi/")):
        values["pk"] = world["meeting"].pk
    elif route.startswith("region/roadmaps/operations/"):
        values["pk"] = world["operation"].pk
    elif route.startswith("porteur/ingenierie/"):
        values["pk"] = world["post"].dossier_id
    elif route.startswith("ingenierie/rapports/"):
        values["pk"] = world["report"].pk
    elif route.startswith("documents/demandes/"):
        values["pk"] = world["failed_job"].pk
    elif route.startswith("documents/"):
        values["pk"] = world["letter"].pk
    elif route.startswith(("seances/", "region/sessions/")):
        values["pk"] = world["session"].pk
        values["batch_pk"] = world["batch"].pk
        values["item_pk"] = world["item"].pk
    elif route.startswith("api/v1/^committee-sessions/"):
        values["session_pk"] = world["session"].pk
        values["pk"] = world["item"].pk if "/items/" in route else world["session"].pk
    elif route.startswith("api/v1/^tasks/"):
        values["pk"] = world["task"].pk
    elif route.startswith(("porteur/organisations/", "compte/jetons-api/organisations/")):
        values["pk"] = dossier.organisation_id
    elif route.startswith("porteur/demandes-adhesion/"):
        values["pk"] = world["request"].pk
    elif route.startswith("notifications/"):
        values["pk"] = world["notification"].pk
    elif route.startswith("region/payment-requests/"):
        values["pk"] = world["payment"].pk
    elif route.startswith(("region/bank-details/", "coordonnees-bancaires/")):
        values["pk"] = world["account"].pk
    elif route.startswith("region/payment-orders/"):
        values["pk"] = world["order"].pk
    elif route.startswith("conventions/"):
        values["pk"] = world["convention"].pk
    elif route.startswith("api/v1/^payment-requests/"):
        values["pk"] = world["payment"].pk
    elif route.startswith("api/v1/^conventions/"):
        values["pk"] = world["convention"].pk
    elif route.startswith("api/v1/^bank-accounts/"):
        values["pk"] = world["account"].pk
    elif route.startswith("api/v1/^payment-orders/"):
        values["pk"] = world["order"].pk
    elif route.startswith("api/v1/^roadmap-operations/"):
        values["pk"] = world["operation"].pk
    elif route.startswith("api/v1/^follow-up-meetings/"):
        values["pk"] = world["meeting"].pk
    elif route.startswith("api/v1/^webhook-subscriptions/"):
        values["pk"] = world["subscription"].pk
    elif route.startswith("api/v1/^webhook-deliveries/"):
        values["pk"] = world["delivery"].pk
    elif route.startswith("api/v1/^roadmaps/"):
        values["pk"] = dossier.contract_id
    elif "paiements" in route or "prorogation" in route or "convention" in route:
        values["pk"] = world["granted"].pk
    elif "/activity-reports/" in route or "/engineering-post/" in route:
        values["dossier_pk"], values["pk"] = world["post"].dossier_id, world["report"].pk
    else:
        values["pk"] = dossier.pk
    if route.startswith("api/v1/^documents/"):
        values["pk"] = world["letter"].pk

    def substitute(match):
        name = match.group(2)
        if name not in values:
            raise AssertionError(f"say how to fill <{name}> of {route} in tests/test_access_every_url.py")
        return str(values[name])

    # DRF's router writes regular expressions: `^dossiers/(?P<id>[0-9]+)\.(?P<format>[a-z0-9]+)/?$`.
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).translate({ord("^"): None, ord("$"): None})
    route = route.replace("\\.", ".").replace("/?", "/")
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", substitute, route)


def application_routes():
    routes = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                routes.append(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    # The Django admin is for administrators only (staff accounts): it refuses everyone else as a whole.
    return sorted({route for route in routes if not route.startswith("admin/") and route not in OWN_PAGES})


def snapshot(world):
    dossier = type(world["dossier"]).objects.get(pk=world["dossier"].pk)
    task = type(world["task"]).objects.get(pk=world["task"].pk)
    notification = Notification.objects.filter(pk=getattr(world["notification"], "pk", None)).first()
    return (
        dossier.state,
        dossier.title,
        dossier.pieces.count(),
        Message.objects.filter(dossier=dossier).count(),
        (task.status, task.owner_id),
        notification and notification.read_at,
        MembershipRequest.objects.get(pk=world["request"].pk).status,
        list(IssuedDocument.objects.values_list("pk", "number", "version")),
        list(DocumentJob.objects.values_list("pk", "status")),
        DocumentBatch.objects.count(),
        list(AgendaItem.objects.values_list("pk", "session_id", "position", "outcome", "result")),
        list(CommitteeSession.objects.values_list("pk", "status", "closing_since")),
        Vote.objects.count(),
        Attendance.objects.count(),
        MemberInterest.objects.count(),
        Scenario.objects.count(),
        list(PaymentRequest.objects.values_list("pk", "state", "payable")),
        list(BankAccount.objects.values_list("pk", "status")),
        list(SignedConvention.objects.values_list("pk", "status")),
        list(PaymentOrder.objects.values_list("pk", "paid_on")),
        ExtensionRequest.objects.count(),
        list(RoadmapOperation.objects.values_list("pk", "title", "expected_year", "status", "dossier_id")),
        RoadmapVersion.objects.count(),
        list(FollowUpMeeting.objects.values_list("pk", "held_on", "agenda", "minutes")),
        list(FollowUpMeeting.participants.through.objects.values_list("pk", flat=True)),
        MeetingDecision.objects.count(),
        list(EngineeringPost.objects.values_list("pk", "post_title", "annual_cost", "regional_amount")),
        ActivityReport.objects.count(),
        list(Subscription.objects.values_list("pk", "url", "events", "active")),
        list(Delivery.objects.values_list("pk", "status", "attempts")),
    )


def test_the_route_list_covers_the_dossier_pages_tasks_files_and_messages(world):
    routes = application_routes()
    for expected in ("dossiers/<int:pk>/", "porteur/dossiers/<int:pk>/pieces/<int:piece_pk>/", "notifications/"):
        assert expected in routes
    assert any("execute" in route for route in routes)
    assert any("pieces-jointes" in route for route in routes)
    assert world["meeting"].documents.count() == 1
    assert world["report"].file


def test_an_officer_of_another_territory_gets_nothing_of_the_dossier_from_any_url(world, client):
    stranger = make_user(Role.OFFICER, territory=make_territory("Territoire B"))
    # A sponsor of another organisation and an elected representative of another territory too.
    other_sponsor = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    other_representative = make_user(
        Role.REPRESENTATIVE, territory=stranger.groups.get(name__startswith="territory:").territory
    )
    dossier = world["dossier"]
    before = snapshot(world)
    for user in (stranger, other_sponsor, other_representative):
        client.force_login(user)
        for route in application_routes():
            url = fill(route, world)
            # The API's resources are written with PUT, PATCH and DELETE too.
            for method in ("get", "post", "put", "patch", "delete") if route.startswith("api/") else ("get", "post"):
                cache.clear()  # the API's rate limits would answer 429 and hide the addresses behind
                response = getattr(client, method)(url)
                assert response.status_code < 500, (user, method, url)
                body = b"".join(response) if response.streaming else response.content
                text = body.decode(errors="ignore")
                if response.status_code == 200:
                    assert dossier.reference not in text, (user, method, url)
                    assert world["granted"].reference not in text, (user, method, url)
                    assert SECRET not in text, (user, method, url)
                    assert ROADMAP_SECRET not in text, (user, method, url)
                    assert b"%PDF-1.4 secret" not in body, (user, method, url)
                    assert not body.startswith(b"%PDF"), (user, method, url)
                assert snapshot(world) == before, (user, method, url)
    assert world["task"].__class__.objects.get(pk=world["task"].pk).status == STATUS.ASSIGNED
