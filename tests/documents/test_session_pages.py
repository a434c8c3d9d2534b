"""The documents of a session on its staff page: the report to issue, the letters' batches and their
progress, the batch page that refreshes itself until every letter is rendered."""

from decimal import Decimal

import pytest
from django.urls import reverse

from committees.models import SessionStatus
from documents.models import DocumentBatch, DocumentJob, JobStatus
from tests.factories import make_dossier, make_session, make_user
from workflows import services
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided_session(contract, django_capture_on_commit_callbacks):
    session = make_session(status=SessionStatus.HELD)
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    for _ in range(2):
        dossier = make_dossier(DossierState.SCHEDULED, contract=contract, session=session)
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_approve(dossier=dossier, actor=secretary, amount=Decimal("40000"))
    return session


def test_the_session_page_shows_the_letters_progress_and_the_secretariats_buttons(client, decided_session):
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))
    page = client.get(reverse("sessions:session_page", args=[decided_session.pk])).content.decode()
    batch = DocumentBatch.objects.get(session=decided_session)
    assert reverse("sessions:document_batch", args=[decided_session.pk, batch.pk]) in page
    assert 'max="4" value="4"' in page
    assert reverse("documents:session_report", args=[decided_session.pk]) in page
    assert reverse("documents:session_letters", args=[decided_session.pk]) in page


def test_a_committee_member_sees_the_progress_without_the_buttons(client, decided_session):
    member = make_user(Role.COMMITTEE_MEMBER)
    decided_session.members.add(member)
    client.force_login(member)
    page = client.get(reverse("sessions:session_page", args=[decided_session.pk])).content.decode()
    assert 'max="4" value="4"' in page
    assert reverse("documents:session_letters", args=[decided_session.pk]) not in page


def test_reissuing_the_sessions_letters_leads_to_the_batch_page_with_its_progress(
    client, decided_session, django_capture_on_commit_callbacks
):
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:session_letters", args=[decided_session.pk]), {"reissue": "1"})
    batch = DocumentBatch.objects.filter(session=decided_session).order_by("-pk").first()
    assert response["Location"] == reverse("sessions:document_batch", args=[decided_session.pk, batch.pk])

    page = client.get(response["Location"]).content.decode()
    assert batch.jobs.filter(status=JobStatus.DONE).count() == 4
    assert 'max="4" value="4"' in page
    assert 'http-equiv="refresh"' not in page  # finished: no more refreshing


def test_a_running_batch_page_refreshes_itself_and_lists_its_failures(client, decided_session):
    batch = DocumentBatch.objects.get(session=decided_session)
    first, second = batch.jobs.order_by("pk")[:2]
    DocumentJob.objects.filter(pk=first.pk).update(status=JobStatus.PENDING, document=None)
    DocumentJob.objects.filter(pk=second.pk).update(status=JobStatus.FAILED, error="OSError: disk full")
    client.force_login(make_user(Role.COMMITTEE_SECRETARY))

    page = client.get(reverse("sessions:document_batch", args=[decided_session.pk, batch.pk])).content.decode()

    assert 'http-equiv="refresh"' in page
    assert "OSError: disk full" in page
    assert reverse("documents:job_retry", args=[second.pk]) in page


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FINANCE, Role.COMMITTEE_MEMBER])
def test_others_do_not_see_a_batch(client, decided_session, role):
    batch = DocumentBatch.objects.get(session=decided_session)
    client.force_login(make_user(role))  # a committee member who does not sit in this session
    response = client.get(reverse("sessions:document_batch", args=[decided_session.pk, batch.pk]))
    assert response.status_code in (403, 404)


def test_convening_a_session_issues_its_presentation_report_to_the_members(
    client, contract, django_capture_on_commit_callbacks
):
    from committees.services import session_set_status
    from documents.models import DocumentKind, IssuedDocument

    session = make_session()
    make_dossier(DossierState.SCHEDULED, contract=contract, session=session)
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    with django_capture_on_commit_callbacks(execute=True):
        session_set_status(session=session, actor=secretary, status=SessionStatus.CONVENED)

    report = IssuedDocument.objects.get(session=session)
    assert report.kind == DocumentKind.SESSION_REPORT and report.issued_by == secretary
    member = make_user(Role.COMMITTEE_MEMBER)
    session.members.add(member)
    client.force_login(member)
    assert client.get(reverse("documents:download", args=[report.pk])).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        session_set_status(session=session, actor=secretary, status=SessionStatus.HELD)
    assert IssuedDocument.objects.filter(session=session).count() == 1  # only convening issues it
