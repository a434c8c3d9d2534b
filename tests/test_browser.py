"""In a real browser (Debian's chromium driven by Playwright): each role logs in through the login
page, and an officer takes a submitted dossier through completeness with the page's own form."""

import os
import shutil

import pytest

from tests.factories import make_dossier, make_user
from workflows.enums import DossierState, Role

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and os.environ.get("CI") != "true",
        reason="chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are
    # synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Once the loop runs, Django hands this thread new connection wrappers: carry over the data that
    # serialized rollback restores after each test (it lives on the wrapper made at setup).
    with django_db_blocker.unblock():
        serialized = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with sync_playwright() as playwright:
        for alias, contents in serialized.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, live_server, username, password="secret-password"):
    page.goto(f"{live_server.url}/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_through_the_login_page(page, live_server, role):
    dossier = make_dossier(DossierState.SCHEDULED)
    user = dossier.created_by if role == Role.SPONSOR else make_user(role, territory=dossier.territory)
    log_in(page, live_server, user.username)
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang").startswith("fr")
    assert page.locator("header .who").inner_text().strip() == user.get_full_name()
    # Every role sees a scheduled dossier of its scope (sponsor, officer of the territory, committee,
    # administrator) except finance, which only sees committed grants.
    assert (page.locator(f"text={dossier.reference}").count() == 1) == (role != Role.FINANCE)


def test_wrong_password_is_refused_with_a_message(page, live_server):
    user = make_user(Role.OFFICER)
    log_in(page, live_server, user.username, password="wrong")
    assert page.url.endswith("/connexion/")
    assert page.locator("p.error").is_visible()


def test_officer_declares_a_submitted_dossier_admissible_in_the_browser(page, live_server):
    dossier = make_dossier(DossierState.SUBMITTED)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    log_in(page, live_server, officer.username)
    page.click(f"text={dossier.reference}")
    page.locator("form[action$='/actions/declare_admissible/'] button").click()
    page.locator(".messages li.success").wait_for()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ADMISSIBLE
    assert page.locator(".state").first.inner_text() == dossier.get_state_display()


def test_a_refused_action_shows_why_and_changes_nothing(page, live_server):
    dossier = make_dossier(DossierState.NOTIFIED, notified_days_ago=30)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    log_in(page, live_server, officer.username)
    page.click(f"text={dossier.reference}")
    page.locator("form[action$='/actions/lapse/'] button").click()
    page.locator(".messages li.error").wait_for()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.NOTIFIED
    assert dossier.audit_events.filter(kind="transition").count() == 0
