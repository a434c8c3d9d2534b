"""The signed convention (loi 2000-321 art. 10): the sponsor sends the copy they signed (a PDF, checked by
its content, dated between the notification and today, one live copy at a time) while the notified grant
needs a convention; the territory's officer refuses it with a reason or countersigns it, which moves the
dossier to agreement_signed dated of the countersignature. Only the dossier's people download the copies."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from dossiers.models import Dossier
from messaging.models import Notification
from payments.conventions import convention_countersign, convention_refuse, convention_submit
from payments.models import ConventionStatus, SignedConvention
from tests.factories import PDF, OrganisationFactory, make_dossier, make_territory, make_user
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.services import TransitionRefused

S = DossierState
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
pytestmark = pytest.mark.django_db


def pdf(name="convention-signee.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def stored_files() -> list[Path]:
    """The signed copies in storage."""
    root = Path(settings.MEDIA_ROOT) / "conventions"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def dossier(contract):
    """A notified grant that needs a convention (decided by the officer), notified 30 days ago."""
    return make_dossier(S.NOTIFIED, contract=contract, convention=True)


@pytest.fixture
def sponsor(dossier):
    return dossier.created_by


def submit(dossier, sponsor, **kwargs):
    values = {"uploaded": pdf(), "signed_on": timezone.localdate() - timedelta(days=2), **kwargs}
    return convention_submit(dossier=dossier, actor=sponsor, **values)


def en(name, args=()) -> str:
    """The page's address in English (the pages' links are then in English too)."""
    with translation.override("en"):
        return reverse(name, args=args)


def assert_nothing_written(dossier):
    assert not SignedConvention.objects.filter(dossier=dossier).exists()
    assert stored_files() == []
    assert not Notification.objects.filter(notice="convention_submitted").exists()


# Sending the signed copy ---------------------------------------------------------------------------


def test_the_sponsor_sends_the_signed_convention_and_the_territorys_officers_are_told(dossier, sponsor, officer):
    signed_on = timezone.localdate() - timedelta(days=2)
    copy = submit(dossier, sponsor, signed_on=signed_on)
    copy.refresh_from_db()
    assert copy.status == ConventionStatus.SUBMITTED
    assert (copy.signed_on, copy.uploaded_by, copy.content_type, copy.extension) == (
        signed_on,
        sponsor,
        "application/pdf",
        "pdf",
    )
    assert copy.file.read() == PDF
    assert copy.original_name == "convention-signee.pdf"
    assert Notification.objects.filter(recipient=officer, notice="convention_submitted", dossier=dossier).exists()
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED


@pytest.mark.parametrize("content", [PNG, b"Not a PDF at all, whatever its name says."], ids=["png", "text"])
def test_a_file_that_is_not_a_pdf_by_its_content_is_refused_even_named_pdf(dossier, sponsor, officer, content):
    with pytest.raises(ValidationError):
        submit(dossier, sponsor, uploaded=pdf(name="convention.pdf", content=content))
    assert_nothing_written(dossier)


def test_the_convention_cannot_be_sent_before_the_notification(contract):
    approved = make_dossier(S.APPROVED, contract=contract, convention=True)
    with pytest.raises(ValidationError) as refused:
        submit(approved, approved.created_by)
    assert refused.value.code == "invalid_state"
    assert_nothing_written(approved)


def test_a_grant_that_needs_no_convention_refuses_the_upload(contract):
    # A commune (public law) granted 80,000 €, no convention decided by the officer.
    public = make_dossier(S.NOTIFIED, contract=contract, convention=False)
    with pytest.raises(ValidationError) as refused:
        submit(public, public.created_by)
    assert refused.value.code == "convention_not_required"
    assert_nothing_written(public)


def test_a_private_law_beneficiary_above_the_threshold_needs_a_convention_without_the_officers_decision(contract):
    association = OrganisationFactory(legal_form="association")
    private = make_dossier(S.NOTIFIED, contract=contract, convention=False, organisation=association)
    copy = submit(private, make_user(Role.SPONSOR, organisation=association))
    assert copy.status == ConventionStatus.SUBMITTED


@pytest.mark.parametrize("days", [31, -1], ids=["before-the-notification", "in-the-future"])
def test_the_signature_date_must_be_between_the_notification_and_today(dossier, sponsor, days):
    with pytest.raises(ValidationError) as refused:
        submit(dossier, sponsor, signed_on=timezone.localdate() - timedelta(days=days))
    assert "signed_on" in refused.value.error_dict
    assert_nothing_written(dossier)


def test_a_signature_on_the_day_of_the_notification_or_today_is_accepted(dossier, sponsor, officer):
    copy = submit(dossier, sponsor, signed_on=dossier.notified_on)
    convention_refuse(copy=copy, actor=officer, reason="Page 3 is missing.")
    assert submit(dossier, sponsor, signed_on=timezone.localdate()).status == ConventionStatus.SUBMITTED


def test_a_second_copy_is_refused_while_one_is_waiting_or_countersigned(dossier, sponsor, officer):
    first = submit(dossier, sponsor)
    with pytest.raises(ValidationError) as refused:
        submit(dossier, sponsor, uploaded=pdf(name="autre.pdf"))
    assert refused.value.code == "copy_exists"
    assert list(SignedConvention.objects.filter(dossier=dossier)) == [first]
    assert len(stored_files()) == 1


def test_only_the_members_of_the_organisation_send_its_convention(dossier, officer):
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    for actor in (outsider, officer):
        with pytest.raises(PermissionDenied):
            submit(dossier, actor)
    assert_nothing_written(dossier)


# Refusal and countersignature ----------------------------------------------------------------------


def test_a_refused_copy_tells_the_sponsor_why_and_a_new_copy_may_be_sent(dossier, sponsor, officer):
    copy = submit(dossier, sponsor)
    refused = convention_refuse(copy=copy, actor=officer, reason="The signature of the mayor is missing.")
    assert (refused.status, refused.decided_by, refused.refusal_reason) == (
        ConventionStatus.REFUSED,
        officer,
        "The signature of the mayor is missing.",
    )
    notice = Notification.objects.get(recipient=sponsor, notice="convention_refused")
    assert notice.notice_values["comment"] == "The signature of the mayor is missing."
    again = submit(dossier, sponsor, uploaded=pdf(name="convention-v2.pdf"))
    assert again.status == ConventionStatus.SUBMITTED
    assert SignedConvention.objects.filter(dossier=dossier).count() == 2
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED


def test_a_refusal_needs_a_reason(dossier, sponsor, officer):
    copy = submit(dossier, sponsor)
    with pytest.raises(ValidationError):
        convention_refuse(copy=copy, actor=officer, reason="   ")
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.SUBMITTED


def test_countersigning_moves_the_dossier_to_agreement_signed_dated_of_the_countersignature(dossier, sponsor, officer):
    copy = submit(dossier, sponsor, signed_on=dossier.notified_on + timedelta(days=3))
    countersigned = convention_countersign(copy=copy, actor=officer)
    assert (countersigned.status, countersigned.decided_by) == (ConventionStatus.COUNTERSIGNED, officer)
    assert countersigned.decided_at is not None
    dossier.refresh_from_db()
    assert dossier.state == S.AGREEMENT_SIGNED
    assert dossier.agreement_signed_on == timezone.localdate()
    assert AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION, transition="sign_agreement").exists()
    with pytest.raises(ValidationError):
        convention_refuse(copy=copy, actor=officer, reason="Too late.")


def test_an_administrator_countersigns_too(dossier, sponsor):
    copy = submit(dossier, sponsor)
    convention_countersign(copy=copy, actor=make_user(Role.ADMINISTRATOR))
    assert Dossier.objects.get(pk=dossier.pk).state == S.AGREEMENT_SIGNED


def test_an_officer_of_another_territory_neither_countersigns_nor_refuses(dossier, sponsor, other_territory):
    stranger = make_user(Role.OFFICER, territory=other_territory)
    copy = submit(dossier, sponsor)
    with pytest.raises(PermissionDenied):
        convention_countersign(copy=copy, actor=stranger)
    with pytest.raises(PermissionDenied):
        convention_refuse(copy=copy, actor=stranger, reason="No.")
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.SUBMITTED
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED


def test_a_refused_transition_leaves_the_copy_waiting_and_the_dossier_notified(dossier, sponsor, officer):
    copy = submit(dossier, sponsor)
    # The dossier's rules say the convention cannot be dated before the notification.
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=timezone.localdate() + timedelta(days=1))
    with pytest.raises(TransitionRefused) as refused:
        convention_countersign(copy=copy, actor=officer)
    assert refused.value.code == "invalid_date"
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.SUBMITTED
    assert SignedConvention.objects.get(pk=copy.pk).decided_by is None
    assert Dossier.objects.get(pk=dossier.pk).state == S.NOTIFIED
    # The refusal itself is recorded, as every refused transition.
    assert AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.REFUSAL, transition="sign_agreement").exists()


# Pages ------------------------------------------------------------------------------------------


def test_the_sponsor_uploads_the_convention_from_the_dossier_page(client, dossier, sponsor, officer):
    client.force_login(sponsor)
    page = client.get(en("portal:dossier_detail", args=[dossier.pk]))
    assert b'id="convention"' in page.content
    assert en("payments_accounts:convention_submit", args=[dossier.pk]).encode() in page.content
    response = client.post(
        en("payments_accounts:convention_submit", args=[dossier.pk]),
        {"uploaded": pdf(), "signed_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    copy = SignedConvention.objects.get(dossier=dossier)
    page = client.get(en("portal:dossier_detail", args=[dossier.pk]))
    assert copy.get_status_display().encode() in page.content
    assert en("payments_accounts:convention_submit", args=[dossier.pk]).encode() not in page.content


def test_a_refused_upload_on_the_page_says_why(client, dossier, sponsor):
    client.force_login(sponsor)
    response = client.post(
        en("payments_accounts:convention_submit", args=[dossier.pk]),
        {"uploaded": pdf(content=PNG), "signed_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert b"must be a PDF file" in response.content
    assert not SignedConvention.objects.exists()


def test_the_panels_render_nothing_when_no_convention_is_required(client, contract, officer):
    public = make_dossier(S.NOTIFIED, contract=contract, convention=False)
    client.force_login(public.created_by)
    assert b'id="convention"' not in client.get(en("portal:dossier_detail", args=[public.pk])).content
    client.force_login(officer)
    staff_page = client.get(en("instruction:dossier_page", args=[public.pk]))
    assert staff_page.status_code == 200
    assert b'id="convention"' not in staff_page.content


def test_the_territorys_officer_countersigns_from_the_staff_page(client, dossier, sponsor, officer):
    copy = submit(dossier, sponsor)
    client.force_login(officer)
    page = client.get(en("instruction:dossier_page", args=[dossier.pk]))
    countersign = en("payments_accounts:convention_countersign", args=[copy.pk])
    assert countersign.encode() in page.content
    assert en("payments_accounts:convention_download", args=[copy.pk]).encode() in page.content
    response = client.post(countersign)
    assert response.status_code == 302
    assert Dossier.objects.get(pk=dossier.pk).state == S.AGREEMENT_SIGNED


def test_the_staff_page_shows_no_decision_to_finance(client, dossier, sponsor, finance):
    copy = submit(dossier, sponsor)
    client.force_login(finance)
    page = client.get(en("instruction:dossier_page", args=[dossier.pk]))
    assert page.status_code == 200
    assert en("payments_accounts:convention_download", args=[copy.pk]).encode() in page.content
    assert en("payments_accounts:convention_countersign", args=[copy.pk]).encode() not in page.content
    assert client.post(en("payments_accounts:convention_countersign", args=[copy.pk])).status_code == 404


def test_the_officer_refuses_from_the_staff_page_with_a_reason(client, dossier, sponsor, officer):
    copy = submit(dossier, sponsor)
    client.force_login(officer)
    url = en("payments_accounts:convention_refuse", args=[copy.pk])
    client.post(url, {"reason": ""})
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.SUBMITTED
    client.post(url, {"reason": "Unsigned."})
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.REFUSED


def test_an_officer_of_another_territory_gets_a_404_on_the_decisions(client, dossier, sponsor, other_territory):
    copy = submit(dossier, sponsor)
    client.force_login(make_user(Role.OFFICER, territory=other_territory))
    assert client.post(en("payments_accounts:convention_countersign", args=[copy.pk])).status_code == 404
    assert client.post(en("payments_accounts:convention_refuse", args=[copy.pk]), {"reason": "x"}).status_code == 404
    assert SignedConvention.objects.get(pk=copy.pk).status == ConventionStatus.SUBMITTED


def test_the_copy_is_downloaded_by_the_sponsors_members_and_the_staff_who_see_the_dossier_only(
    client, dossier, sponsor, officer, other_territory
):
    copy = submit(dossier, sponsor)
    url = en("payments_accounts:convention_download", args=[copy.pk])
    colleague = make_user(Role.SPONSOR, organisation=dossier.organisation)
    for user in (sponsor, colleague, officer, make_user(Role.ADMINISTRATOR)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment")
    outsiders = (
        make_user(Role.OFFICER, territory=other_territory),
        make_user(Role.SPONSOR, organisation=OrganisationFactory()),
        make_user(Role.OFFICER, territory=make_territory("Territoire C")),
    )
    for user in outsiders:
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    client.logout()
    assert client.get(url).status_code == 302
