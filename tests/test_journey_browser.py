"""The whole journey of issue 3 in a real browser, each person in their own session: a sponsor files and
submits a dossier; the officer of the territory finds it in the queue and asks for a missing piece; the
sponsor sees the request, sends the piece and submits again; the officer declares the dossier
admissible and asks an opinion; the consulted service gives it; the officer completes the review with
a proposed amount. A screenshot of each page is saved under test-results/journey/."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dossiers.models import PieceType
from tests.browser import log_in, new_page, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.portal.helpers import PDF
from tests.portal.test_portal_browser import activate, file_and_submit_a_dossier
from tests.workflows.test_instruction_flow import make_adviser, make_service
from workflows.enums import DossierState


def shoot(page, name):
    browser_shoot(page, "journey", name)


def do_the_task(page, base_url, dossier, screenshot):
    """From the dossier page: take the waiting task, open it."""
    page.goto(f"{base_url}{reverse('instruction:dossier_page', args=[dossier.pk])}")
    page.locator("form[action$='/take/'] button").click()
    page.locator(".staff-messages li.success").wait_for()
    page.locator("a[href$='/execute/']").click()
    page.locator(".staff-form").wait_for()
    shoot(page, screenshot)


def confirm(page):
    page.locator(".staff-form button[type=submit]").click()
    page.locator(".staff-messages li.success").wait_for()


def test_from_a_blank_form_to_a_dossier_ready_for_the_committee(page, browser, live_server, tmp_path):
    base = live_server.url
    sponsor_page = page
    dossier = file_and_submit_a_dossier(sponsor_page, live_server, tmp_path)
    officer = dossier.territory.officers_group.user_set.get()
    officer.set_password("secret-password")
    officer.save()
    service = make_service("Direction de la santé")
    adviser = make_adviser(service)

    # The officer finds the dossier in the territory's queue and asks for a missing piece.
    officer_page = new_page(browser)
    log_in(officer_page, base, officer.username)
    officer_page.goto(f"{base}{reverse('instruction:queue')}")
    officer_page.locator(f"text={dossier.reference}").wait_for()
    shoot(officer_page, "01-officer-queue")
    do_the_task(officer_page, base, dossier, "02-completeness-task")
    officer_page.locator("input[value=incomplete]").check()
    officer_page.fill("#id_message", "Il manque la délibération signée du conseil municipal.")
    confirm(officer_page)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.INCOMPLETE

    # The sponsor sees the request, replaces the piece and submits again.
    sponsor_page.goto(f"{base}{reverse('portal:dossier_detail', args=[dossier.pk])}")
    sponsor_page.locator(".officer-message", has_text="Il manque la délibération signée").wait_for()
    shoot(sponsor_page, "03-sponsor-sees-the-request")
    activate(sponsor_page, ".expected a.button[href$='/etape/pieces/']")
    deliberation = PieceType.objects.get(code="deliberation")
    pdf = tmp_path / "deliberation-signee.pdf"
    pdf.write_bytes(PDF)
    item = sponsor_page.locator(f"#type-{deliberation.pk}")
    item.locator("form.upload input[type=file]").first.set_input_files(str(pdf))
    item.locator("form.upload button[type=submit]").first.click()
    sponsor_page.locator(f"#type-{deliberation.pk} .tag.ok").wait_for()
    shoot(sponsor_page, "04-sponsor-sends-the-piece")
    activate(sponsor_page, "a.button[href$='/etape/recapitulatif/']")
    sponsor_page.check("#id_certify")
    activate(sponsor_page, "form.submit-form button[type=submit]")
    sponsor_page.locator(".messages li.success").wait_for()
    shoot(sponsor_page, "05-sponsor-resubmits")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.SUBMITTED

    # The officer declares it admissible, then starts the review and asks an opinion.
    do_the_task(officer_page, base, dossier, "06-completeness-again")
    officer_page.locator("input[value=admissible]").check()
    confirm(officer_page)
    do_the_task(officer_page, base, dossier, "07-instruct-task")
    officer_page.locator("input[value=review]").check()
    officer_page.locator(f"input[name=services][value='{service.pk}']").check()
    officer_page.fill("#id_question", "Le projet répond-il au schéma régional de santé ?")
    officer_page.fill("#id_due_on", (timezone.localdate() + timedelta(days=15)).isoformat())
    confirm(officer_page)
    dossier.refresh_from_db()
    assert dossier.state == DossierState.UNDER_REVIEW

    # The consulted service gives its opinion.
    adviser.set_password("secret-password")
    adviser.save()
    adviser_page = new_page(browser)
    log_in(adviser_page, base, adviser.username)
    adviser_page.goto(f"{base}{reverse('instruction:queue')}")
    adviser_page.locator(f"text={dossier.reference}").wait_for()
    shoot(adviser_page, "08-adviser-queue")
    do_the_task(adviser_page, base, dossier, "09-opinion-task")
    adviser_page.locator("input[value=favourable]").check()
    adviser_page.fill("#id_text", "Favorable : le projet complète l'offre de soins du canton.")
    confirm(adviser_page)
    assert dossier.opinions.get().verdict == "favourable"

    # The officer completes the review with a proposed amount.
    do_the_task(officer_page, base, dossier, "10-proposal-task")
    officer_page.fill("#id_eligible_base", "200000")
    officer_page.fill("#id_proposed_amount", "70000")
    officer_page.fill("#id_comment", "Projet prioritaire du contrat ; avis favorable de la direction de la santé.")
    confirm(officer_page)
    shoot(officer_page, "11-reviewed")
    dossier.refresh_from_db()
    assert dossier.state == DossierState.REVIEWED
    assert dossier.proposed_amount == 70000
    officer_page.context.close()
    adviser_page.context.close()
