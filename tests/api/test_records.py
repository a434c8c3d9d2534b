"""The dossiers' records through the API: the audit trail scoped as in the web UI (refused attempts hidden
from sponsors, 404 outside one's scope), the published rule sets (read-only, for everyone) and the issued
documents (listed and downloaded exactly as `documents.permissions.can_read` allows, 404 otherwise) and the
dossiers' threads (internal notes for the staff only; posting through the web UI's service and rule)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents.models import DocumentKind, IssuedDocument
from documents.permissions import can_read
from documents.services import document_request, job_run, session_issue_report
from dossiers.models import RuleSet
from dossiers.services import ruleset_publish
from messaging.models import Message
from messaging.services import message_post
from roadmaps import services as roadmaps
from roadmaps.minutes import minutes_issue
from roadmaps.models import FollowUpMeeting
from tests.documents.conftest import pdf_bytes
from tests.factories import make_dossier, make_session, make_user
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db

S = DossierState


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def transition(dossier, name="submit", *, ago=0, **fields):
    return AuditEvent.objects.create(
        kind=AuditKind.TRANSITION,
        dossier=dossier,
        actor=dossier.created_by,
        actor_name="Someone",
        transition=name,
        from_state=S.DRAFT,
        to_state=S.SUBMITTED,
        created_at=timezone.now() - timedelta(minutes=ago),
        **fields,
    )


def refusal(dossier, name="declare_admissible"):
    return AuditEvent.objects.create(
        kind=AuditKind.REFUSAL,
        dossier=dossier,
        actor_name="Someone",
        transition=name,
        from_state=S.SUBMITTED,
        reason_code="forbidden",
        reason="Not allowed.",
        ip_address="192.0.2.1",
    )


@pytest.fixture
def dossier(contract):
    return make_dossier(S.SUBMITTED, contract=contract)


# Audit events ---------------------------------------------------------------------------------------


def test_a_sponsor_sees_their_dossiers_transitions_but_never_the_refused_attempts(api, dossier, contract):
    fired = transition(dossier)
    refusal(dossier)
    transition(make_dossier(S.SUBMITTED, contract=contract))  # another sponsor's
    assert ids(api(dossier.created_by).get("/api/v1/audit-events/")) == [fired.pk]


def test_an_officer_sees_their_territorys_transitions_and_refusals(api, officer, dossier, stranger):
    fired, refused = transition(dossier), refusal(dossier)
    assert set(ids(api(officer).get("/api/v1/audit-events/"))) == {fired.pk, refused.pk}
    assert ids(api(stranger).get("/api/v1/audit-events/", {"dossier": dossier.pk})) == []


def test_an_event_outside_ones_scope_is_a_404(api, dossier, stranger):
    fired, refused = transition(dossier), refusal(dossier)
    response = api(stranger).get(f"/api/v1/audit-events/{fired.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api(dossier.created_by).get(f"/api/v1/audit-events/{refused.pk}/").status_code == 404
    assert api(dossier.created_by).get(f"/api/v1/audit-events/{fired.pk}/").status_code == 200


def test_an_event_gives_its_comment_but_not_the_clients_address(api, officer, dossier):
    refused = refusal(dossier)
    body = api(officer).get(f"/api/v1/audit-events/{refused.pk}/").json()
    assert body["reason"] == "Not allowed."
    assert body["reason_code"] == "forbidden"
    assert "ip_address" not in body
    assert "192.0.2.1" not in str(body)


def test_the_events_filter_by_dossier_kind_and_transition_in_time_order(api, officer, dossier, contract):
    other = make_dossier(S.SUBMITTED, contract=contract)
    late, early = transition(dossier, ago=1), transition(dossier, ago=5)
    refused = refusal(dossier)
    theirs = transition(other, "withdraw")
    client = api(officer)
    assert ids(client.get("/api/v1/audit-events/", {"dossier": dossier.pk})) == [early.pk, late.pk, refused.pk]
    assert ids(client.get("/api/v1/audit-events/", {"kind": AuditKind.REFUSAL})) == [refused.pk]
    assert ids(client.get("/api/v1/audit-events/", {"transition": "withdraw"})) == [theirs.pk]
    assert client.get("/api/v1/audit-events/", {"transition": "nonsense"}).status_code == 400


def test_the_events_list_runs_a_constant_number_of_queries(api, officer, contract, django_assert_num_queries):
    client = api(officer)
    transition(make_dossier(S.SUBMITTED, contract=contract))
    transition(make_dossier(S.SUBMITTED, contract=contract))
    client.get("/api/v1/audit-events/")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/audit-events/"))) == 2
    for _ in range(8):
        transition(make_dossier(S.SUBMITTED, contract=contract))
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/audit-events/"))) == 10


def test_the_audit_trail_is_read_only(api, officer, dossier):
    fired = transition(dossier)
    client = api(officer)
    assert client.post("/api/v1/audit-events/", {}).status_code == 405
    assert client.delete(f"/api/v1/audit-events/{fired.pk}/").status_code == 405


# Rule sets ------------------------------------------------------------------------------------------


def test_every_user_reads_the_published_rule_sets_newest_first(api, dossier, secretary):
    current = RuleSet.objects.current()
    newer = ruleset_publish(actor=secretary, note="New cap", **{"de_minimis_cap": current.de_minimis_cap + 1})
    response = api(dossier.created_by).get("/api/v1/rule-sets/")
    assert response.status_code == 200
    versions = [row["version"] for row in response.json()["results"]]
    assert versions[0] == newer.version
    assert current.version in versions
    body = api(dossier.created_by).get(f"/api/v1/rule-sets/{newer.version}/").json()
    assert body["note"] == "New cap"
    assert body["de_minimis_cap"] == str(newer.de_minimis_cap)
    assert "published_by" not in body


def test_an_unknown_rule_set_is_a_404_and_none_can_be_written(api, officer):
    client = api(officer)
    assert client.get("/api/v1/rule-sets/999/").status_code == 404
    version = RuleSet.objects.current().version
    assert client.patch(f"/api/v1/rule-sets/{version}/", {"note": "x"}).status_code == 405


# Documents ------------------------------------------------------------------------------------------


def letter(dossier, kind=DocumentKind.ACKNOWLEDGEMENT):
    return job_run(document_request(kind=kind, dossier=dossier, enqueue=False).pk).document


@pytest.fixture
def report():
    session = make_session()
    make_dossier(S.SCHEDULED, session=session)
    return job_run(session_issue_report(session).pk).document


@pytest.fixture
def minutes(contract, officer, django_capture_on_commit_callbacks):
    roadmap = roadmaps.roadmap_for_contract(contract)
    meeting = roadmaps.meeting_create(
        roadmap=roadmap,
        actor=officer,
        held_on=timezone.localdate(),
        participants=[officer],
        partners="",
        agenda="Avancement",
    )
    FollowUpMeeting.objects.filter(pk=meeting.pk).update(minutes="Le comité examine l'avancement.")
    meeting.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        job = minutes_issue(meeting=meeting, actor=officer)
    job.refresh_from_db()
    return job.document


def test_the_documents_listed_are_exactly_those_one_may_read(
    api, dossier, officer, representative, stranger, report, minutes
):
    mine = letter(dossier)
    member = make_user(Role.COMMITTEE_MEMBER)
    report.session.members.add(member)
    everyone = [dossier.created_by, officer, representative, stranger, member, make_user(Role.COMMITTEE_MEMBER)]
    everyone += [make_user(Role.COMMITTEE_SECRETARY), make_user(Role.ADMINISTRATOR), make_user(Role.ADVISER)]
    documents = [mine, report, minutes]
    for user in everyone:
        expected = {document.pk for document in documents if can_read(user, document)}
        assert set(ids(api(user).get("/api/v1/documents/"))) == expected, user
    assert set(ids(api(officer).get("/api/v1/documents/"))) == {mine.pk, minutes.pk}
    assert set(ids(api(dossier.created_by).get("/api/v1/documents/"))) == {mine.pk}
    assert ids(api(stranger).get("/api/v1/documents/")) == []


def test_the_sponsor_downloads_their_letter_as_a_private_attachment(api, dossier):
    document = letter(dossier)
    response = api(dossier.created_by).get(f"/api/v1/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{document.number}-v1.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == pdf_bytes(document)


def test_another_territorys_officer_gets_a_404_on_the_document_and_its_download(api, dossier, stranger, minutes):
    for document in (letter(dossier), minutes):
        client = api(stranger)
        for path in (f"/api/v1/documents/{document.pk}/", f"/api/v1/documents/{document.pk}/download/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json()["code"] == "not_found"


def test_the_documents_filter_by_dossier_and_kind(api, officer, dossier, contract):
    acknowledgement = letter(dossier)
    request = letter(dossier, DocumentKind.PIECES_REQUEST)
    theirs = letter(make_dossier(S.SUBMITTED, contract=contract))
    client = api(officer)
    assert set(ids(client.get("/api/v1/documents/", {"dossier": dossier.pk}))) == {acknowledgement.pk, request.pk}
    assert set(ids(client.get("/api/v1/documents/", {"kind": DocumentKind.ACKNOWLEDGEMENT}))) == {
        acknowledgement.pk,
        theirs.pk,
    }
    response = client.get("/api/v1/documents/", {"dossier": dossier.pk, "kind": DocumentKind.PIECES_REQUEST})
    assert ids(response) == [request.pk]
    assert response.json()["results"][0]["download_url"].endswith(f"/api/v1/documents/{request.pk}/download/")


def test_the_documents_list_runs_a_constant_number_of_queries(api, officer, dossier, django_assert_num_queries):
    client = api(officer)
    for _ in range(2):
        letter(dossier)
    client.get("/api/v1/documents/")
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get("/api/v1/documents/"))) == 2
    for _ in range(8):
        letter(dossier, DocumentKind.PIECES_REQUEST)
    assert IssuedDocument.objects.count() == 10
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get("/api/v1/documents/"))) == 10


# Messages -------------------------------------------------------------------------------------------


def thread(dossier):
    return f"/api/v1/dossiers/{dossier.pk}/messages/"


def test_the_sponsor_reads_the_thread_without_the_internal_notes(api, dossier, officer):
    public = message_post(dossier=dossier, author=officer, body="Pièce reçue.")
    note = message_post(dossier=dossier, author=officer, body="Note interne.", is_internal=True)
    reply = message_post(dossier=dossier, author=dossier.created_by, body="Merci.")
    assert ids(api(dossier.created_by).get(thread(dossier))) == [public.pk, reply.pk]
    rows = api(officer).get(thread(dossier)).json()["results"]
    assert [row["id"] for row in rows] == [public.pk, note.pk, reply.pk]
    assert rows[1]["is_internal"] is True and rows[1]["body"] == "Note interne."


def test_another_territorys_officer_gets_a_404_on_the_thread(api, dossier, officer, stranger):
    message_post(dossier=dossier, author=officer, body="Pièce reçue.")
    client = api(stranger)
    for response in (client.get(thread(dossier)), client.post(thread(dossier), {"body": "Bonjour"}, format="json")):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert Message.objects.count() == 1


def test_the_sponsor_and_the_officer_post_in_the_thread(api, dossier, officer):
    response = api(dossier.created_by).post(thread(dossier), {"body": "  Voici le devis.  "}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["body"] == "Voici le devis."
    assert response.json()["side"] == "sponsor" and response.json()["is_internal"] is False
    response = api(officer).post(thread(dossier), {"body": "À vérifier.", "is_internal": True}, format="json")
    assert response.status_code == 201, response.content
    note = Message.objects.get(pk=response.json()["id"])
    assert note.is_internal and note.author == officer and note.dossier == dossier


def test_a_sponsors_internal_note_is_refused_with_403_and_nothing_is_written(api, dossier):
    response = api(dossier.created_by).post(thread(dossier), {"body": "Secret", "is_internal": True}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Message.objects.exists()


def test_a_reader_who_may_not_write_is_refused_with_403(api, dossier, representative):
    assert api(representative).get(thread(dossier)).status_code == 200
    response = api(representative).post(thread(dossier), {"body": "Bonjour"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not Message.objects.exists()


def test_an_empty_message_is_refused_with_its_code(api, dossier):
    response = api(dossier.created_by).post(thread(dossier), {"body": "   "}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "empty_message"
    assert not Message.objects.exists()


def test_the_thread_runs_a_constant_number_of_queries(api, dossier, officer, django_assert_num_queries):
    client = api(officer)
    for _ in range(2):
        message_post(dossier=dossier, author=officer, body="Message")
    client.get(thread(dossier))
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(thread(dossier)))) == 2
    for _ in range(8):
        message_post(dossier=dossier, author=dossier.created_by, body="Réponse")
    with django_assert_num_queries(len(few)):
        assert len(ids(client.get(thread(dossier)))) == 10
