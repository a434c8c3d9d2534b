"""A follow-up meeting's minutes, issued as a PDF like the other documents (number CRS-…, a new version at
each issue), e-mailed to its participants, and read only by those who see the contract's roadmap."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from documents.models import DocumentJob, DocumentKind, IssuedDocument, JobStatus
from dossiers.models import Contract
from roadmaps import services
from roadmaps.enums import DecisionKind
from roadmaps.minutes import minutes_issue
from roadmaps.models import FollowUpMeeting
from roadmaps.services import Decision, NewOperation
from tests import factories
from tests.documents.conftest import document_text
from tests.factories import OrganisationFactory, make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db

MINUTES = "Le comité examine l'avancement.\n<script>alert('minutes')</script>\nSuite des échanges."


@pytest.fixture
def meeting(contract, officer, representative):
    roadmap = services.roadmap_for_contract(contract)
    operation = services.operation_add(
        roadmap=roadmap,
        actor=officer,
        operation=NewOperation(
            title="Maison de santé",
            theme=factories.theme(),
            estimated_cost=Decimal("500000"),
            expected_support=Decimal("150000"),
            expected_year=2027,
        ),
    )
    meeting = services.meeting_create(
        roadmap=roadmap,
        actor=officer,
        held_on=date(2026, 11, 20),
        participants=[officer, representative],
        partners="Département de la Gironde",
        agenda="Avancement des opérations",
    )
    services.meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[Decision(DecisionKind.POSTPONE, "Président du PETR", operation, {"expected_year": 2028})],
    )
    FollowUpMeeting.objects.filter(pk=meeting.pk).update(minutes=MINUTES)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def issued(meeting, officer, django_capture_on_commit_callbacks):
    """Issues the minutes and runs what the commit schedules (rendering, e-mails: immediate backend)."""

    def issue(actor=officer):
        with django_capture_on_commit_callbacks(execute=True):
            job = minutes_issue(meeting=meeting, actor=actor)
        job.refresh_from_db()
        return job

    return issue


def test_issuing_the_minutes_renders_a_pdf_with_the_meeting_and_its_decisions(meeting, contract, issued):
    Contract.objects.filter(pk=contract.pk).update(name="Contrat de développement du Pays Test")
    job = issued()
    assert job.status == JobStatus.DONE, job.error
    document = job.document
    assert document.meeting == meeting and document.kind == DocumentKind.MEETING_MINUTES
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    text = document_text(document)
    assert "Contrat de développement du Pays Test" in text
    representative = meeting.participants.get(groups__name=Role.REPRESENTATIVE)
    assert representative.get_full_name() in text
    assert "Président du PETR" in text and "2027 → 2028" in text
    # The user's text is printed as text: the tag shows, nothing runs or disappears.
    assert "<script>alert('minutes')</script>" in text


def test_the_minutes_are_numbered_crs_and_issuing_again_makes_version_2_of_the_same_number(issued):
    first = issued()
    second = issued()
    assert first.number.startswith("CRS-") and first.version == 1
    assert second.number == first.number and second.version == 2
    assert IssuedDocument.objects.filter(number=first.number).count() == 2


def test_empty_minutes_are_refused_and_nothing_is_requested(meeting, officer):
    FollowUpMeeting.objects.filter(pk=meeting.pk).update(minutes="  \n ")
    with pytest.raises(ValidationError) as refusal:
        minutes_issue(meeting=meeting, actor=officer)
    assert refusal.value.code == "minutes_empty"
    assert not DocumentJob.objects.filter(meeting=meeting).exists()


def test_only_who_edits_the_roadmap_issues_the_minutes(meeting, other_territory):
    with pytest.raises(PermissionDenied):
        minutes_issue(meeting=meeting, actor=make_user(Role.OFFICER, territory=other_territory))
    assert not DocumentJob.objects.filter(meeting=meeting).exists()


def test_the_participants_are_mailed_the_link_and_an_officer_who_did_not_take_part_is_not(
    meeting, territory, officer, representative, issued, mailoutbox
):
    absent = make_user(Role.OFFICER, territory=territory)
    document = issued().document
    recipients = sorted(address for mail in mailoutbox for address in mail.to)
    assert recipients == sorted([officer.email, representative.email])
    assert absent.email not in recipients
    assert all(len(mail.to) == 1 for mail in mailoutbox)
    link = reverse("documents:download", args=[document.pk])
    assert all(link in mail.body and document.number in mail.body for mail in mailoutbox)


def test_a_representative_of_the_territory_downloads_the_minutes(issued, representative, client):
    document = issued().document
    client.force_login(representative)
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_an_officer_of_another_territory_and_a_sponsor_get_a_404_on_the_minutes(issued, other_territory, client):
    document = issued().document
    url = reverse("documents:download", args=[document.pk])
    for user in (
        make_user(Role.OFFICER, territory=other_territory),
        make_user(Role.SPONSOR, organisation=OrganisationFactory()),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_the_issue_view_issues_the_minutes_and_goes_back_to_the_page(
    meeting, representative, client, django_capture_on_commit_callbacks
):
    client.force_login(representative)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("roadmaps_documents:minutes_issue", args=[meeting.pk]), {"next": "/region/meetings/"}
        )
    assert response.status_code == 302 and response["Location"] == "/region/meetings/"
    assert IssuedDocument.objects.filter(meeting=meeting, kind=DocumentKind.MEETING_MINUTES).count() == 1


def test_the_issue_view_is_a_404_outside_ones_territories_and_requests_nothing(meeting, other_territory, client):
    client.force_login(make_user(Role.OFFICER, territory=other_territory))
    response = client.post(reverse("roadmaps_documents:minutes_issue", args=[meeting.pk]), {"next": "/"})
    assert response.status_code == 404
    assert not DocumentJob.objects.filter(meeting=meeting).exists()


def test_the_issue_view_never_redirects_off_site(meeting, officer, client, django_capture_on_commit_callbacks):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("roadmaps_documents:minutes_issue", args=[meeting.pk]), {"next": "https://evil.example/"}
        )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_minutes_read_their_participants_and_decisions_in_a_constant_number_of_queries(
    meeting, contract, officer, territory
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from documents.contexts import meeting_facts

    def queries(of_meeting):
        with CaptureQueriesContext(connection) as captured:
            facts = meeting_facts(of_meeting.pk)
        return len(captured), facts

    small, small_facts = queries(meeting)
    roadmap = meeting.roadmap
    crowded = services.meeting_create(
        roadmap=roadmap,
        actor=officer,
        held_on=date(2026, 12, 1),
        participants=[make_user(Role.REPRESENTATIVE, territory=territory) for _ in range(8)],
    )
    operations = list(roadmap.operations.all())
    services.meeting_record_decisions(
        meeting=crowded,
        actor=officer,
        decisions=[
            Decision(DecisionKind.POSTPONE, f"Élu {n}", operations[0], {"expected_year": 2029 + n}) for n in range(6)
        ],
    )
    large, large_facts = queries(crowded)
    assert len(large_facts.participants) == 8 and len(large_facts.meeting_decisions) == 6
    assert len(small_facts.participants) == 2
    assert large == small


def test_the_meeting_page_section_offers_the_minutes_to_the_territory_and_nothing_to_others(
    issued, meeting, representative, other_territory, rf
):
    from django.template import RequestContext, Template

    document = issued().document
    template = Template("{% load meeting_documents %}{% meeting_documents meeting %}")

    def section(user):
        request = rf.get("/region/meetings/")
        request.user = user
        return template.render(RequestContext(request, {"meeting": meeting}))

    shown = section(representative)
    assert reverse("documents:download", args=[document.pk]) in shown
    assert reverse("roadmaps_documents:minutes_issue", args=[meeting.pk]) in shown
    assert "csrfmiddlewaretoken" in shown
    hidden = section(make_user(Role.OFFICER, territory=other_territory))
    assert document.number not in hidden and "form" not in hidden
