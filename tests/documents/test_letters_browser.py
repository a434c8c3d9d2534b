"""The letters in a real browser: the committee's secretary records an approval on the staff dossier
page; the letters are rendered after the commit; the sponsor finds the notification on their dossier
page and downloads it, and it carries the deliberation number and the amount."""

from pathlib import Path

from django.urls import reverse

from committees.models import AgendaItem
from tests.browser import log_in, new_page, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.documents.conftest import text_of
from tests.factories import make_dossier, make_user
from workflows.enums import DossierState, Role


def test_the_sponsor_downloads_the_notification_of_an_approval_recorded_by_the_secretary(
    page, browser, live_server, contract, tmp_path
):
    base = live_server.url
    dossier = make_dossier(DossierState.SCHEDULED, contract=contract)
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    sponsor = dossier.created_by

    log_in(page, base, secretary.username)
    page.goto(f"{base}{reverse('instruction:dossier_page', args=[dossier.pk])}")
    approve = page.locator(f"form[action='{reverse('dossier_transition', args=[dossier.pk, 'approve'])}']")
    approve.locator("input[name=amount]").fill("65000")
    approve.locator("button[type=submit]").click()
    page.locator(".staff-messages li.success").wait_for()
    page.locator("#documents-title").scroll_into_view_if_needed()
    browser_shoot(page, "letters", "01-staff-dossier-page")
    number = AgendaItem.objects.get(dossier=dossier).deliberation_number

    sponsor_page = new_page(browser)
    log_in(sponsor_page, base, sponsor.username)
    sponsor_page.goto(f"{base}{reverse('portal:dossier_detail', args=[dossier.pk])}")
    link = sponsor_page.locator("section[aria-labelledby=documents-title] a", has_text="notification")
    browser_shoot(sponsor_page, "letters", "02-sponsor-dossier-page")
    with sponsor_page.expect_download() as download:
        link.click()
    saved = Path(tmp_path) / download.value.suggested_filename
    download.value.save_as(saved)

    assert saved.name.startswith("NOT-") and saved.suffix == ".pdf"
    text = text_of(saved.read_bytes())
    assert f"délibération n° {number}" in text
    assert "65 000,00 €" in text and "soixante-cinq mille euros" in text
    sponsor_page.context.close()
