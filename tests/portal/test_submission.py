"""Review and submission (workflows.services.dossier_submit): every problem is shown next to its step with a
link to it; resubmission after the officer's request for missing pieces; withdrawal with a confirmation;
the dossier page in plain words with its timeline."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from dossiers.models import Dossier, ExpenseLine, PieceType
from portal.enums import STATE_EXPLANATIONS
from tests.factories import make_dossier, make_draft, make_user
from tests.portal.helpers import french, upload
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.services import TransitionRefused, dossier_declare_incomplete, dossier_start_review

S = DossierState


def review_url(dossier):
    return reverse("portal:dossier_step", args=[dossier.pk, "recapitulatif"])


def detail_url(dossier):
    return reverse("portal:dossier_detail", args=[dossier.pk])


@pytest.fixture
def complete_draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor)


@pytest.fixture
def faulty_draft(contract, organisation, sponsor):
    """No pieces, and an unbalanced plan."""
    dossier = make_draft(contract=contract, organisation=organisation, creator=sponsor, pieces=False)
    ExpenseLine.objects.create(dossier=dossier, label="Surcoût", amount=10_000)
    return dossier


@pytest.fixture
def officer_of(contract):
    return make_user(Role.OFFICER, territory=contract.territory, first_name="Camille", last_name="Instructrice")


@pytest.mark.django_db
def test_the_review_lists_what_would_stop_the_submission_before_submitting(sponsor_client, faulty_draft):
    response = sponsor_client.get(review_url(faulty_draft))

    groups = {group["step"].value: [p.code for p in group["problems"]] for group in response.context["step_problems"]}
    assert groups == {"financement": ["unbalanced_plan"], "pieces": ["missing_pieces"]}
    assert not response.context["refused"]


@pytest.mark.django_db
def test_a_refused_submission_shows_every_problem_next_to_its_step_with_a_link(sponsor_client, faulty_draft):
    response = sponsor_client.post(review_url(faulty_draft), {"certify": "on"})

    assert response.status_code == 200
    assert response.context["refused"]
    assert Dossier.objects.get(pk=faulty_draft.pk).state == S.DRAFT
    refusal = AuditEvent.objects.get(dossier=faulty_draft)
    assert refusal.kind == AuditKind.REFUSAL
    html = response.content.decode()
    for group in response.context["step_problems"]:
        assert f'<a href="{group["url"]}">' in html
        for problem in group["problems"]:
            assert f'data-code="{problem.code}"' in html
    assert set(refusal.reason_code.split(",")) == {"unbalanced_plan", "missing_pieces"}
    assert 'role="alert"' in html


@pytest.mark.django_db
def test_submitting_needs_the_certification_box(sponsor_client, complete_draft):
    response = sponsor_client.post(review_url(complete_draft), {})

    assert response.context["form"].errors["certify"] == [
        french("Tick this box to certify the dossier before submitting it.")
    ]
    assert Dossier.objects.get(pk=complete_draft.pk).state == S.DRAFT
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_complete_draft_is_submitted_and_the_sponsor_sees_it_on_its_page(sponsor_client, complete_draft, sponsor):
    response = sponsor_client.post(review_url(complete_draft), {"certify": "on"}, REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    assert response.url == detail_url(complete_draft)
    dossier = Dossier.objects.get(pk=complete_draft.pk)
    assert dossier.state == S.SUBMITTED
    event = AuditEvent.objects.get(dossier=dossier)
    assert (event.kind, event.transition, event.actor, event.ip_address) == (
        AuditKind.TRANSITION,
        "submit",
        sponsor,
        "198.51.100.7",
    )
    page = sponsor_client.get(response.url)
    html = page.content.decode()
    assert escape(french(str(STATE_EXPLANATIONS[S.SUBMITTED]))) in html
    assert dossier.get_state_display() in html
    # The steps are closed once submitted.
    assert sponsor_client.get(review_url(dossier)).status_code == 302


@pytest.mark.django_db
def test_a_refused_then_fixed_dossier_is_submitted(sponsor_client, faulty_draft):
    sponsor_client.post(review_url(faulty_draft), {"certify": "on"})
    faulty_draft.expense_lines.filter(label="Surcoût").delete()
    for piece_type in PieceType.objects.mandatory_for(faulty_draft.organisation.legal_form):
        sponsor_client.post(
            reverse("portal:dossier_step", args=[faulty_draft.pk, "pieces"]),
            {"target": f"t{piece_type.pk}", f"t{piece_type.pk}-file": upload()},
        )

    sponsor_client.post(review_url(faulty_draft), {"certify": "on"})

    assert Dossier.objects.get(pk=faulty_draft.pk).state == S.SUBMITTED


# Incomplete → completed → resubmitted -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_incomplete_dossier_shows_the_officers_request_and_is_resubmitted(
    sponsor_client, contract, organisation, sponsor, officer_of
):
    dossier = make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor)
    dossier_declare_incomplete(dossier=dossier, actor=officer_of, missing="Il manque la délibération <signée>.")

    page = sponsor_client.get(detail_url(dossier))

    request = page.context["incomplete_request"]
    assert request.message == "Il manque la délibération <signée>."
    assert request.requested_on == timezone.localdate()
    html = page.content.decode()
    assert "Il manque la délibération &lt;signée&gt;." in html
    assert date_format(timezone.localdate(), "j F Y") in html
    assert f'href="{reverse("portal:dossier_step", args=[dossier.pk, "pieces"])}"' in html
    # The pieces step is editable again: the sponsor replaces the deliberation.
    deliberation = PieceType.objects.get(code="deliberation")
    old = dossier.pieces.get(piece_type=deliberation)
    replaced = sponsor_client.post(
        reverse("portal:dossier_step", args=[dossier.pk, "pieces"]),
        {"target": f"p{old.pk}", f"p{old.pk}-file": upload(name="deliberation-signee.pdf")},
    )
    assert replaced.status_code == 302
    assert dossier.pieces.get(piece_type=deliberation).original_name == "deliberation-signee.pdf"

    response = sponsor_client.post(review_url(dossier), {"certify": "on"})

    assert response.url == detail_url(dossier)
    dossier.refresh_from_db()
    assert dossier.state == S.SUBMITTED
    assert dossier.resubmitted_at is not None
    assert AuditEvent.objects.filter(dossier=dossier, transition="resubmit", kind=AuditKind.TRANSITION).exists()


# Withdrawal ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_withdrawing_asks_for_confirmation_then_records_the_reason(sponsor_client, contract, organisation, sponsor):
    dossier = make_dossier(S.UNDER_REVIEW, contract=contract, organisation=organisation, creator=sponsor)
    url = reverse("portal:dossier_withdraw", args=[dossier.pk])

    confirmation = sponsor_client.get(url)
    assert confirmation.status_code == 200
    assert 'name="reason"' in confirmation.content.decode()
    assert Dossier.objects.get(pk=dossier.pk).state == S.UNDER_REVIEW

    response = sponsor_client.post(url, {"reason": "Projet financé autrement"})

    assert response.url == detail_url(dossier)
    assert Dossier.objects.get(pk=dossier.pk).state == S.WITHDRAWN
    event = AuditEvent.objects.get(dossier=dossier, kind=AuditKind.TRANSITION)
    assert (event.transition, event.comment) == ("withdraw", "Projet financé autrement")


@pytest.mark.django_db
def test_withdrawing_without_reason_is_allowed(sponsor_client, complete_draft):
    sponsor_client.post(reverse("portal:dossier_withdraw", args=[complete_draft.pk]), {"reason": ""})

    assert Dossier.objects.get(pk=complete_draft.pk).state == S.WITHDRAWN


@pytest.mark.django_db
def test_a_dossier_in_payment_cannot_be_withdrawn(sponsor_client, contract, organisation, sponsor):
    dossier = make_dossier(S.IN_PAYMENT, contract=contract, organisation=organisation, creator=sponsor)

    page = sponsor_client.get(detail_url(dossier))
    response = sponsor_client.post(reverse("portal:dossier_withdraw", args=[dossier.pk]), {"reason": "x"})

    assert reverse("portal:dossier_withdraw", args=[dossier.pk]) not in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Dossier.objects.get(pk=dossier.pk).state == S.IN_PAYMENT


# The dossier page -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_timeline_shows_transitions_only_never_refused_attempts(
    sponsor_client, contract, organisation, sponsor, officer_of
):
    dossier = make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor)
    with pytest.raises(TransitionRefused):
        dossier_start_review(dossier=dossier, actor=officer_of)
    dossier_declare_incomplete(dossier=dossier, actor=officer_of, missing="RIB")

    response = sponsor_client.get(detail_url(dossier))

    timeline = list(response.context["timeline"])
    assert [(e.kind, e.transition) for e in timeline] == [(AuditKind.TRANSITION, "declare_incomplete")]
    refusal = AuditEvent.objects.get(kind=AuditKind.REFUSAL)
    assert refusal.reason not in response.content.decode()


@pytest.mark.django_db
def test_a_drafts_page_lists_the_steps_still_to_complete(sponsor_client, faulty_draft):
    response = sponsor_client.get(detail_url(faulty_draft))

    to_complete = [item["step"].value for item in response.context["steps"] if item["status"] == "to_complete"]
    assert to_complete == ["financement", "pieces"]
    assert response.context["explanation"] == STATE_EXPLANATIONS[S.DRAFT]


@pytest.mark.django_db
def test_user_text_is_escaped_on_the_portal_pages(sponsor_client, complete_draft, sponsor):
    script = "<script>alert(1)</script>"
    Dossier.objects.filter(pk=complete_draft.pk).update(title=script, object=script, description=script)
    complete_draft.expense_lines.update(label=script)
    complete_draft.organisation.__class__.objects.filter(pk=complete_draft.organisation_id).update(name=script)

    for url in (
        reverse("portal:home"),
        detail_url(complete_draft),
        review_url(complete_draft),
        reverse("portal:dossier_step", args=[complete_draft.pk, "financement"]),
        reverse("portal:organisation_detail", args=[complete_draft.organisation_id]),
    ):
        html = sponsor_client.get(url).content.decode()
        assert script not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
