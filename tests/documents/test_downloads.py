"""Who may download a document, how it is served, and who may issue documents again. Anyone else gets
a 404, so that a document's existence is not revealed."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from documents.services import document_request, job_run, session_issue_report
from tests.documents.conftest import pdf_bytes
from tests.factories import make_dossier, make_session, make_user
from workflows.enums import DossierState, Role
from workflows.instruction import opinion_service_add_member, opinion_service_create
from workflows.models import Opinion

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.SUBMITTED, contract=contract)


@pytest.fixture
def letter(dossier):
    return job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk).document


@pytest.fixture
def report():
    session = make_session()
    make_dossier(DossierState.SCHEDULED, session=session)
    return job_run(session_issue_report(session).pk).document


def download(client, user, document):
    if user is not None:
        client.force_login(user)
    return client.get(reverse("documents:download", args=[document.pk]))


def test_the_sponsor_downloads_the_letter_as_an_attachment_that_is_not_sniffed(client, dossier, letter):
    response = download(client, dossier.created_by, letter)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'attachment; filename="{letter.number}-v1.pdf"'
    assert b"".join(response.streaming_content) == pdf_bytes(letter)


def test_the_territorys_officers_and_the_administrators_download_it(client, letter, officer):
    assert download(client, officer, letter).status_code == 200
    assert download(client, make_user(Role.ADMINISTRATOR), letter).status_code == 200


@pytest.mark.parametrize("who", ["other_sponsor", "other_officer", "adviser", "committee_member", "anonymous"])
def test_anyone_else_gets_a_404_or_the_login_page(client, dossier, letter, other_territory, who):
    if who == "anonymous":
        response = download(client, None, letter)
        assert response.status_code == 302 and reverse("login") in response["Location"]
        return
    if who == "other_sponsor":
        user = make_dossier(DossierState.SUBMITTED).created_by
    elif who == "other_officer":
        user = make_user(Role.OFFICER, territory=other_territory)
    elif who == "adviser":
        # Consulted on this very dossier: the opinion is theirs to give, the letters are not theirs to read.
        user = make_user(Role.ADVISER)
        service = opinion_service_create(code="tourisme", name="Direction du tourisme")
        opinion_service_add_member(service=service, user=user)
        Opinion.objects.create(
            dossier=dossier,
            service=service,
            question="?",
            requested_by=dossier.created_by,
            due_on=timezone.localdate() + timedelta(days=10),
        )
    else:
        user = make_user(Role.COMMITTEE_MEMBER)  # the dossier is not before the committee
    assert download(client, user, letter).status_code == 404


def test_a_session_document_goes_to_its_members_the_secretariat_and_administrators(client, report):
    member = make_user(Role.COMMITTEE_MEMBER)
    report.session.members.add(member)
    assert download(client, member, report).status_code == 200
    assert download(client, make_user(Role.COMMITTEE_SECRETARY), report).status_code == 200
    assert download(client, make_user(Role.ADMINISTRATOR), report).status_code == 200
    assert download(client, make_user(Role.COMMITTEE_MEMBER), report).status_code == 404  # not a member
    assert download(client, make_user(Role.OFFICER), report).status_code == 404
    sponsor = report.session.items.get().dossier.created_by
    assert download(client, sponsor, report).status_code == 404


def test_an_officer_issues_a_new_version_and_a_sponsor_cannot(
    client, dossier, letter, officer, django_capture_on_commit_callbacks
):
    client.force_login(dossier.created_by)
    assert client.post(reverse("documents:reissue", args=[letter.pk])).status_code == 404
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:reissue", args=[letter.pk]))
    assert response.status_code == 302
    assert list(IssuedDocument.objects.values_list("number", "version")) == [(letter.number, 2), (letter.number, 1)]


def test_a_failed_document_is_retried_from_the_dossier_page_by_its_officer(
    client, dossier, officer, django_capture_on_commit_callbacks
):
    job = document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False)
    DocumentJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="RuntimeError: boom", attempts=3)

    client.force_login(dossier.created_by)
    assert client.post(reverse("documents:job_retry", args=[job.pk])).status_code == 404
    client.force_login(officer)
    page = client.get(reverse("instruction:dossier_page", args=[dossier.pk]))
    assert "RuntimeError: boom" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.document is not None


def test_the_sponsor_sees_the_letters_on_the_dossier_page(client, dossier, letter):
    client.force_login(dossier.created_by)
    page = client.get(reverse("portal:dossier_detail", args=[dossier.pk])).content.decode()
    assert reverse("documents:download", args=[letter.pk]) in page
    assert "Issue a new version" not in page and "Émettre une nouvelle version" not in page


def test_the_dossier_pages_list_documents_in_the_same_number_of_queries_whatever_their_number(client, dossier, officer):
    client.force_login(officer)
    url = reverse("instruction:dossier_page", args=[dossier.pk])

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    job_run(document_request(kind=DocumentKind.ACKNOWLEDGEMENT, dossier=dossier, enqueue=False).pk)
    one = count()
    for _ in range(4):
        job_run(document_request(kind=DocumentKind.PIECES_REQUEST, dossier=dossier, enqueue=False).pk)
    assert count() == one


def test_the_secretariat_issues_the_session_report_and_an_officer_cannot(client, django_capture_on_commit_callbacks):
    session = make_session()
    make_dossier(DossierState.SCHEDULED, session=session)
    client.force_login(make_user(Role.OFFICER))
    assert client.post(reverse("documents:session_report", args=[session.pk])).status_code == 404
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:session_report", args=[session.pk]))
    assert response.status_code == 302
    assert session.documents.get().kind == DocumentKind.SESSION_REPORT
