"""Messages' attachments through the API: posted with the message (multipart) through the web UI's service
and its checks (content, size, number: a refusal writes no message and stores no file), listed with each
message and downloaded as on the web, by whoever may read the message; 404 otherwise (an internal note's
file to the sponsor included)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Message, MessageAttachment
from messaging.services import message_post
from tests.factories import OrganisationFactory, make_dossier, make_user
from tests.portal.helpers import PDF, stored_files
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


def thread(dossier):
    return f"/api/v1/dossiers/{dossier.pk}/messages/"


def download(dossier, attachment):
    return f"/api/v1/dossiers/{dossier.pk}/messages/attachments/{attachment.pk}/download/"


def pdf(name="devis.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_sponsor_posts_a_message_with_attachments(api, dossier):
    response = api(dossier.created_by).post(
        thread(dossier), {"body": "Voici les devis.", "attachments": [pdf("a.pdf"), pdf("b.pdf")]}
    )
    assert response.status_code == 201, response.content
    rows = response.json()["attachments"]
    assert [row["original_name"] for row in rows] == ["a.pdf", "b.pdf"]
    assert rows[0]["content_type"] == "application/pdf" and rows[0]["size"] == len(PDF)
    attachment = MessageAttachment.objects.get(pk=rows[0]["id"])
    assert attachment.message.dossier == dossier
    assert rows[0]["download_url"].endswith(download(dossier, attachment))


def test_a_message_without_attachments_is_still_posted_as_json(api, dossier):
    response = api(dossier.created_by).post(thread(dossier), {"body": "Bonjour"}, format="json")
    assert response.status_code == 201
    assert response.json()["attachments"] == []


@pytest.mark.parametrize(
    "files, code",
    [
        ([pdf("faux.pdf", b"MZ\x90\x00 an executable")], "file_type"),
        ([pdf(f"{n}.pdf") for n in range(6)], "too_many_files"),
    ],
)
def test_a_refused_attachment_writes_nothing(api, dossier, files, code):
    before = stored_files()
    response = api(dossier.created_by).post(thread(dossier), {"body": "Voici", "attachments": files})
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not Message.objects.exists()
    assert not MessageAttachment.objects.exists()
    assert stored_files() == before


def test_the_officer_downloads_the_sponsors_attachment_as_on_the_web(api, dossier, officer):
    message = message_post(dossier=dossier, author=dossier.created_by, body="Devis", attachments=[pdf("devis.pdf")])
    attachment = message.attachments.get()
    response = api(officer).get(download(dossier, attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


def test_an_internal_notes_attachment_is_a_404_to_the_sponsor(api, dossier, officer):
    note = message_post(dossier=dossier, author=officer, body="Note", is_internal=True, attachments=[pdf()])
    attachment = note.attachments.get()
    response = api(dossier.created_by).get(download(dossier, attachment))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api(officer).get(download(dossier, attachment)).status_code == 200


def test_outsiders_get_404_on_the_attachments_and_post_nothing(api, dossier, stranger):
    message = message_post(dossier=dossier, author=dossier.created_by, body="Devis", attachments=[pdf()])
    attachment = message.attachments.get()
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    for user in (stranger, outsider):
        client = api(user)
        for response in (
            client.get(download(dossier, attachment)),
            client.post(thread(dossier), {"body": "Bonjour", "attachments": [pdf()]}),
        ):
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert Message.objects.count() == 1 and MessageAttachment.objects.count() == 1


def test_an_attachment_of_another_dossier_is_a_404(api, dossier, contract):
    other = make_dossier(DossierState.SUBMITTED, contract=contract, organisation=dossier.organisation)
    message = message_post(dossier=other, author=other.created_by, body="Devis", attachments=[pdf()])
    response = api(dossier.created_by).get(download(dossier, message.attachments.get()))
    assert response.status_code == 404


def test_the_thread_with_attachments_runs_a_constant_number_of_queries(
    api, dossier, officer, django_assert_num_queries
):
    client = api(officer)
    message_post(dossier=dossier, author=officer, body="Un", attachments=[pdf()])
    client.get(thread(dossier))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(thread(dossier)).json()["results"]) == 1
    for _ in range(6):
        message_post(dossier=dossier, author=dossier.created_by, body="Deux", attachments=[pdf(), pdf("b.pdf")])
    with django_assert_num_queries(len(few)):
        assert len(client.get(thread(dossier)).json()["results"]) == 7
