"""Browser tests drive Debian's chromium through Playwright (never a downloaded browser).

The fixtures `browser` and `page` are provided by tests/conftest.py; a test module marks itself with
`from tests.browser import pytestmark`.
"""

import os
import shutil

import pytest
from django.conf import settings

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
SCREENSHOTS = settings.BASE_DIR / "test-results"

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


def new_page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.context.close()


def shoot(page, folder: str, name: str) -> None:
    """Saves a full-page screenshot under test-results/<folder>/ (kept by CI as an artifact)."""
    (SCREENSHOTS / folder).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / folder / f"{name}.png"), full_page=True)


def log_in(page, base_url, username, password="secret-password"):
    page.goto(f"{base_url}/connexion/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
