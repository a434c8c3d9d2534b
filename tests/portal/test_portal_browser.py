"""In a real browser (Debian's chromium driven by Playwright), with the portal's JavaScript: a visitor finds
where to file their project, signs up, registers their organisation, fills every step of a dossier with
its financing plan (totals computed while typing) and pieces, and submits it. A screenshot of each page is
saved under test-results/portal/."""

import re
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from dossiers.models import Dossier, Organisation, PieceType
from dossiers.money import format_eur
from tests.browser import pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.factories import CommuneFactory, ContractFactory, EnvelopeFactory, make_territory, make_user, valid_siret
from tests.portal.helpers import PDF, french
from workflows.enums import DossierState, Role


def shoot(page, name):
    browser_shoot(page, "portal", name)


def activate(page, selector):
    """Presses Enter on a button or link, as a keyboard user does (and whatever a full-page screenshot
    just did to the scroll position, which can move a target between mouse down and mouse up)."""
    page.locator(selector).press("Enter")


def choose_commune(page, selector, typed):
    """Types in a commune box and picks the first suggestion with the keyboard."""
    page.locator(selector).press_sequentially(typed, delay=30)
    page.locator(f"{selector}[aria-expanded=true]").wait_for()
    page.locator(selector).press("ArrowDown")
    page.locator(selector).press("Enter")


def test_a_sponsor_signs_up_registers_files_and_submits_a_dossier(page, live_server, tmp_path):
    file_and_submit_a_dossier(page, live_server, tmp_path)


def file_and_submit_a_dossier(page, live_server, tmp_path) -> Dossier:
    """The sponsor's journey, from the orientation to the submission; returns the dossier submitted."""
    territory = make_territory("Pays Basque")
    contract = EnvelopeFactory(contract=ContractFactory(territory=territory, name="Contrat Pays Basque")).contract
    commune = CommuneFactory(
        name="Saint-Jean-Pied-de-Port", postcodes="64220", epci=territory.epcis.first(), population=1500
    )
    officer = make_user(Role.OFFICER, territory=territory, first_name="Camille", last_name="Instructrice")

    # 1. Orientation, before any account.
    page.goto(f"{live_server.url}/orientation/")
    choose_commune(page, "#id_commune", "Saint-Jean-Pi")
    assert page.locator("#id_commune").input_value() == "Saint-Jean-Pied-de-Port (64220)"
    page.select_option("#id_theme", "sante")
    page.select_option("#id_legal_form", "commune")
    page.click("form[action$='/orientation/'] button[type=submit]")
    page.locator("#result-title").wait_for()
    assert page.locator(f"text={contract.name}").count() >= 1
    assert page.locator(f"a[href='mailto:{officer.email}']").count() == 1
    shoot(page, "01-orientation")

    # 2. "File a dossier" goes through the login page, then sign-up, keeping the choices.
    activate(page, ".result a.button")
    page.wait_for_url(re.compile(r".*/connexion/\?next=.*"))
    shoot(page, "02-login")
    page.click("a[href^='/inscription/']")
    page.wait_for_url(re.compile(r".*/inscription/\?next=.*"))
    page.fill("#id_username", "amaia")
    page.fill("#id_first_name", "Amaia")
    page.fill("#id_last_name", "Etxeberria")
    page.fill("#id_email", "amaia@example.test")
    page.fill("#id_password1", "Garazi-Nive-2026!")
    page.fill("#id_password2", "Garazi-Nive-2026!")
    shoot(page, "03-signup")
    activate(page, "main form button[type=submit]")

    # 3. No organisation yet: register it (the commune picked with the keyboard, by postcode).
    page.wait_for_url(re.compile(r".*/porteur/organisations/nouvelle/.*"))
    assert page.locator("#id_legal_form").input_value() == "commune"
    page.fill("#id_name", "Commune de Saint-Jean-Pied-de-Port")
    page.fill("#id_siret", valid_siret())
    page.fill("#id_commune", "")
    choose_commune(page, "#id_commune", "6422")
    shoot(page, "04-organisation")
    activate(page, "main form button[type=submit]")

    # 4. Steps 1 to 3 on one page, prefilled from the orientation.
    page.wait_for_url(re.compile(r".*/porteur/dossiers/nouveau/\?.*"))
    assert page.locator(f"input[name=communes][value='{commune.insee}']").is_checked()
    page.fill("#id_title", "Maison de santé de Garazi")
    page.fill("#id_object", "Construction d'une maison de santé pluriprofessionnelle")
    page.fill("#id_description", "Six cabinets médicaux et une salle de soins.")
    page.fill("#id_requested_amount", "80 000")
    start = timezone.localdate() + timedelta(days=30)
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + timedelta(days=365)).isoformat())
    shoot(page, "05-new-dossier")
    activate(page, "main form button[type=submit]:not([name])")

    # 5. The financing plan, with totals computed while typing.
    page.wait_for_url(re.compile(r".*/etape/financement/$"))
    page.fill("#id_expenses-0-label", "Travaux")
    page.fill("#id_expenses-0-amount", "150 000")
    page.click("button[data-add-row=expenses]")
    page.fill("#id_expenses-2-label", "Honoraires de maîtrise d'œuvre")
    page.fill("#id_expenses-2-amount", "50 000")
    page.select_option("#id_funding-1-funder_kind", "state")
    page.fill("#id_funding-1-funder_name", "DETR")
    page.fill("#id_funding-1-amount", "80 000")
    page.select_option("#id_funding-2-funder_kind", "own")
    page.fill("#id_funding-2-amount", "40 000")
    page.locator("[data-status] li", has_text=french("Balanced: the resources equal the total cost.")).wait_for()
    assert page.locator("[data-total=cost]").inner_text() == format_eur(Decimal("200000"))
    assert page.locator("[data-status] li", has_text="20").count() >= 1
    shoot(page, "06-financing-plan")
    activate(page, "form[data-plan] button[type=submit]:not([name])")

    # 6. The pieces of the commune's checklist, each sent as a real PDF.
    page.wait_for_url(re.compile(r".*/etape/pieces/$"))
    pdf = tmp_path / "piece.pdf"
    pdf.write_bytes(PDF)
    for piece_type in PieceType.objects.mandatory_for("commune"):
        item = page.locator(f"#type-{piece_type.pk}")
        item.locator("input[type=file]").set_input_files(str(pdf))
        item.locator("button[type=submit]").click()
        page.locator(f"#type-{piece_type.pk} .tag.ok").wait_for()
    shoot(page, "07-pieces")

    # 7. Review and submit.
    activate(page, "a.button[href$='/etape/recapitulatif/']")
    page.locator(".ok-box").wait_for()
    page.check("#id_certify")
    shoot(page, "08-review")
    activate(page, "form.submit-form button[type=submit]")
    page.locator(".messages li.success").wait_for()
    shoot(page, "09-submitted")

    dossier = Dossier.objects.get()
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.organisation == Organisation.objects.get(name="Commune de Saint-Jean-Pied-de-Port")
    assert dossier.contract == contract
    assert dossier.requested_amount == 80_000
    assert dossier.pieces.count() == len(PieceType.objects.mandatory_for("commune"))
    assert page.locator(".state").first.inner_text() == "Déposé"
    return dossier
