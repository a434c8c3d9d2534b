"""A scenario in a real browser: the officer ticks a reviewed dossier and types its amount; the rate,
the theme's total, the scenario's total and the envelope's remaining room follow before anything is
saved; then the scenario is saved and its page shows it."""

import re

from django.urls import reverse

from committees.models import Scenario
from tests.browser import log_in, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.factories import make_dossier, make_user
from workflows.enums import DossierState, Role

SPACES = re.compile(r"[\s\u00a0\u202f]+")


def text(locator) -> str:
    """The element's text with every kind of space (narrow no-break spaces of the French format
    included) as one plain space."""
    return SPACES.sub(" ", locator.inner_text()).strip()


def test_typing_an_amount_updates_the_remaining_room_and_the_theme_total_live(page, live_server, contract, territory):
    base = live_server.url
    envelope = contract.envelopes.get()  # 1,000,000.00
    make_dossier(DossierState.NOTIFIED, contract=contract)  # commits 80,000.00
    dossier = make_dossier(DossierState.REVIEWED, contract=contract)  # base 200,000.00, requested 80,000.00
    officer = make_user(Role.OFFICER, territory=territory)

    log_in(page, base, officer.username)
    page.goto(f"{base}{reverse('scenarios:scenario_create')}?envelope={envelope.pk}")
    form = page.locator("form[data-scenario]")
    remaining = form.locator("[data-figure=remaining]")
    theme_total = form.locator(f"tr[data-theme-row='{dossier.theme_id}'] [data-theme-amount]")
    assert text(remaining) == "920 000,00 €"
    assert text(theme_total) == "0,00 €"

    form.locator("input[name=name]").fill("Programmation de juin")
    row = form.locator("tr[data-row]", has=page.locator(f"#include-{dossier.pk}"))
    row.locator(f"#include-{dossier.pk}").check()
    row.locator("input[data-amount]").fill("")
    row.locator("input[data-amount]").press_sequentially("50000,5")

    assert text(remaining) == "869 999,50 €"
    assert text(theme_total) == "50 000,50 €"
    assert text(form.locator("[data-figure=total]")) == "50 000,50 €"
    assert row.locator("input[data-rate]").input_value() == "25"
    assert not Scenario.objects.exists()  # nothing saved yet

    row.locator("input[data-rate]").fill("45")  # rate × base → amount
    assert row.locator("input[data-amount]").input_value() == "90000,00"
    assert text(remaining) == "830 000,00 €"
    assert row.locator("[data-row-note]").inner_text() != ""  # above the amount requested
    browser_shoot(page, "scenarios", "01-edit-live")

    row.locator("input[data-amount]").fill("64000")
    assert text(remaining) == "856 000,00 €"
    form.locator("button[name=save]").click()

    page.locator(".staff-messages li.success").wait_for()
    scenario = Scenario.objects.get()
    assert page.url.endswith(reverse("scenarios:scenario_detail", args=[scenario.pk]))
    assert text(page.locator("h1")) == "Programmation de juin"
    body = text(page.locator("main"))
    assert dossier.reference in body and "64 000,00 €" in body and "856 000,00 €" in body
    browser_shoot(page, "scenarios", "02-saved")
