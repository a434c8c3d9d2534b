"""A follow-up meeting in a real browser: the territory's officer prepares it with the territory's
elected representative, records two decisions (the market hall postponed a year, the crèche added),
writes and issues the minutes; the representative then sees the new roadmap and downloads the minutes.
Screenshots go to test-results/roadmaps/."""

from decimal import Decimal
from pathlib import Path

from django.urls import reverse

from roadmaps.models import FollowUpMeeting, RoadmapOperation, RoadmapVersion
from roadmaps.services import NewOperation, operation_add, roadmap_for_contract
from tests.browser import log_in, new_page, pytestmark  # noqa: F401  (the module is marked)
from tests.browser import shoot as browser_shoot
from tests.documents.conftest import text_of
from tests.factories import make_user, theme
from workflows.enums import Role


def shoot(page, name):
    browser_shoot(page, "roadmaps", name)


def submit(page, selector="main form.staff-form button[type=submit]"):
    with page.expect_navigation():
        page.locator(selector).first.click()


def test_an_officer_holds_a_meeting_and_the_representative_reads_the_new_roadmap(
    page, browser, live_server, contract, territory, tmp_path
):
    base = live_server.url
    officer = make_user(Role.OFFICER, territory=territory, first_name="Dominique", last_name="Lasserre")
    representative = make_user(Role.REPRESENTATIVE, territory=territory, first_name="Maïa", last_name="Etxeberria")
    roadmap = roadmap_for_contract(contract)
    hall = operation_add(
        roadmap=roadmap,
        actor=officer,
        operation=NewOperation(
            title="Réhabilitation de la halle du marché",
            theme=theme(),
            estimated_cost=Decimal("620000"),
            expected_support=Decimal("120000"),
            expected_year=2027,
            axis="Axe 3 — Centres-bourgs",
        ),
    )
    first_version = RoadmapVersion.objects.filter(roadmap=roadmap).latest("number")
    log_in(page, base, officer.username)

    # The officer prepares the meeting with the representative.
    page.goto(f"{base}{reverse('meetings:create', args=[contract.pk])}")
    page.fill("[name=held_on]", "2026-11-20")
    page.get_by_label("Maïa Etxeberria").check()
    page.get_by_label("Dominique Lasserre").check()
    page.fill("[name=partners]", "Département des Pyrénées-Atlantiques")
    page.fill("[name=agenda]", "1. Halle du marché\n2. Nouvelles opérations")
    shoot(page, "01-meeting-prepared")
    submit(page)
    meeting = FollowUpMeeting.objects.get()
    assert set(meeting.participants.all()) == {officer, representative}

    # Two decisions: the hall postponed to 2028, the crèche added.
    page.goto(f"{base}{reverse('meetings:decisions', args=[meeting.pk])}")
    page.select_option("[name=decision-0-kind]", "postpone")
    page.select_option("[name=decision-0-operation]", str(hall.pk))
    page.fill("[name=decision-0-expected_year]", "2028")
    page.fill("[name=decision-0-decided_by]", "Le comité de suivi")
    page.select_option("[name=decision-1-kind]", "add")
    page.fill("[name=decision-1-title]", "Extension de la crèche intercommunale")
    page.select_option("[name=decision-1-theme]", str(theme().pk))
    page.fill("[name=decision-1-estimated_cost]", "780000")
    page.fill("[name=decision-1-expected_support]", "140000")
    page.fill("[name=decision-1-expected_year]", "2027")
    page.fill("[name=decision-1-decided_by]", "La présidente du territoire")
    shoot(page, "02-decisions")
    submit(page)
    assert meeting.decisions.count() == 2
    assert RoadmapOperation.objects.get(pk=hall.pk).expected_year == 2028
    first_version.refresh_from_db()
    assert [operation["expected_year"] for operation in first_version.operations] == [2027]

    # The minutes, written then issued.
    page.goto(f"{base}{reverse('meetings:edit', args=[meeting.pk])}")
    page.fill("[name=minutes]", "La halle est reportée d'un an ; la crèche intercommunale est inscrite.")
    submit(page)
    page.goto(f"{base}{reverse('meetings:detail', args=[meeting.pk])}")
    submit(page, "form[action*='/compte-rendu/'] button[type=submit]")
    shoot(page, "03-minutes-issued")
    assert meeting.documents.count() == 1

    # The representative sees the new roadmap and downloads the minutes.
    other = new_page(browser)
    log_in(other, base, representative.username)
    other.goto(f"{base}{reverse('roadmaps:detail', args=[contract.pk])}")
    assert "2028" in other.locator("#operation-1").inner_text()
    assert "Extension de la crèche intercommunale" in other.locator("#operation-2").inner_text()
    shoot(other, "04-representative-roadmap")
    other.goto(f"{base}{reverse('meetings:detail', args=[meeting.pk])}")
    with other.expect_download() as download:
        other.locator("a[href*='/documents/']").first.click()
    saved = Path(tmp_path) / download.value.suggested_filename
    download.value.save_as(saved)
    text = text_of(saved.read_bytes())
    assert "Extension de la crèche intercommunale" in text
    assert "Le comité de suivi" in text
    assert "Maïa Etxeberria" in text
    other.context.close()
