"""The secretary's session page in a real browser: the agenda is built from three reviewed dossiers, the
session is convened then held, the attendance and the votes are recorded (approved as proposed,
approved with an amended amount, rejected with a reason), the session is closed and its letters are
issued; the sponsor of the amended approval downloads the notification, which carries the deliberation
number the session page shows for the item. Screenshots go to test-results/sessions/."""

import re
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from committees.models import AgendaItem, SessionStatus
from dossiers.models import Dossier
from tests.browser import log_in, new_page, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.documents.conftest import text_of
from tests.factories import make_dossier, make_session, make_user
from workflows.enums import DossierState, Role

S = DossierState


def shoot(page, name):
    browser_shoot(page, "sessions", name)


def submit(page, form_selector):
    """Clicks the form's button and waits for the page it leads to."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def test_the_secretary_runs_a_session_and_the_sponsor_downloads_the_letter(
    page, browser, live_server, contract, tmp_path
):
    base = live_server.url
    members = [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr")]
    session = make_session(members=members, sits_on=timezone.localdate())
    as_proposed, amended, rejected = (make_dossier(S.REVIEWED, contract=contract) for _ in range(3))
    secretary = make_user(Role.COMMITTEE_SECRETARY)
    session_url = f"{base}{reverse('sessions:session_page', args=[session.pk])}"

    # The agenda: the three reviewed dossiers, ticked and added.
    log_in(page, base, secretary.username)
    page.goto(session_url)
    for dossier in (as_proposed, amended, rejected):
        page.check(f"#candidate-{dossier.pk}")
    shoot(page, "01-agenda-builder")
    submit(page, f"form[action='{reverse('sessions:agenda_add', args=[session.pk])}']")
    page.locator(".staff-messages li.success").wait_for()
    items = {item.dossier_id: item for item in AgendaItem.objects.filter(session=session)}
    assert len(items) == 3
    assert set(Dossier.objects.filter(pk__in=items).values_list("state", flat=True)) == {S.SCHEDULED}

    # Convened, then held.
    status_form = f"form[action='{reverse('sessions:session_status', args=[session.pk])}']"
    submit(page, status_form)
    page.locator(".staff-messages li.success").wait_for()
    submit(page, status_form)
    page.locator(".staff-messages li.success").wait_for()
    session.refresh_from_db()
    assert session.status == SessionStatus.HELD

    # Everyone is present.
    for member in members:
        page.check(f"input[name=present][value='{member.pk}']")
    submit(page, f"form[action='{reverse('sessions:session_attendance', args=[session.pk])}']")
    page.locator(".staff-messages li.success").wait_for()
    assert page.locator("#quorum").inner_text().startswith("2")

    # The votes, item by item.
    def vote(dossier, *, amount="", against=False, reason=""):
        item = items[dossier.pk]
        page.goto(session_url)
        with page.expect_navigation():
            page.click(f"a[href='{reverse('sessions:item_vote', args=[session.pk, item.pk])}']")
        if against:
            for member in members:
                page.select_option(f"select[name=vote_{member.pk}]", "against")
        if amount:
            page.fill("#id_amended_amount", amount)
        if reason:
            page.fill("#id_reason", reason)
        if dossier is rejected:
            shoot(page, "02-vote-page")
        submit(page, "#vote-form")
        page.locator(".staff-messages li.success").wait_for()

    vote(as_proposed)
    vote(amended, amount="50000")
    vote(rejected, against=True, reason="Le projet ne relève pas des priorités du contrat.")
    shoot(page, "03-votes-recorded")

    # The closing.
    submit(page, f"form[action='{reverse('sessions:session_close', args=[session.pk])}']")
    page.locator(".staff-messages li.success").wait_for()
    shoot(page, "04-session-closed")
    session.refresh_from_db()
    assert session.status == SessionStatus.CLOSED
    states = dict(Dossier.objects.filter(pk__in=items).values_list("pk", "state"))
    assert states == {as_proposed.pk: S.APPROVED, amended.pk: S.APPROVED, rejected.pk: S.REJECTED}
    row = page.locator(f"#item-{items[amended.pk].pk}").inner_text()
    (number,) = re.findall(r"CP-\d{4}-\d{2}-\d{4}", row)
    assert AgendaItem.objects.get(pk=items[amended.pk].pk).deliberation_number == number

    # The sponsor downloads the notification.
    sponsor_page = new_page(browser)
    log_in(sponsor_page, base, amended.created_by.username)
    sponsor_page.goto(f"{base}{reverse('portal:dossier_detail', args=[amended.pk])}")
    link = sponsor_page.locator("section[aria-labelledby=documents-title] a", has_text="notification")
    shoot(sponsor_page, "05-sponsor-dossier-page")
    with sponsor_page.expect_download() as download:
        link.click()
    saved = Path(tmp_path) / download.value.suggested_filename
    download.value.save_as(saved)

    text = text_of(saved.read_bytes())
    assert f"délibération n° {number}" in text
    assert "50 000,00 €" in text
    sponsor_page.context.close()
