"""In a real browser (Debian's chromium driven by Playwright): each role logs in through the login
page, and an officer takes a submitted dossier through completeness with the page's own form."""

import pytest
from django.urls import reverse

from tests.browser import log_in, pytestmark  # noqa: F401  (the module is marked)
from tests.factories import make_dossier, make_user
from workflows.enums import DossierState, Role
from workflows.processes import process_for_dossier, start_instruction


@pytest.mark.parametrize("role", list(Role))
def test_each_role_logs_in_through_the_login_page(page, live_server, role):
    dossier = make_dossier(DossierState.SCHEDULED)
    user = dossier.created_by if role == Role.SPONSOR else make_user(role, territory=dossier.territory)
    log_in(page, live_server, user.username)
    space = "/porteur/" if role == Role.SPONSOR else "/region/instruction/"
    page.wait_for_url(f"{live_server.url}{space}")
    assert page.locator("html").get_attribute("lang").startswith("fr")
    # Every role sees a scheduled dossier of its scope (sponsor, officer of the territory, committee,
    # administrator) except finance, which only sees committed grants, and consulted services, which see
    # only the dossiers they were asked about.
    response = page.goto(f"{live_server.url}{reverse('dossier_detail', args=[dossier.pk])}")
    visible = role not in {Role.FINANCE, Role.ADVISER}
    assert response.status == (200 if visible else 404)
    assert (page.locator(f"text={dossier.reference}").count() >= 1) == visible


def test_wrong_password_is_refused_with_a_message(page, live_server):
    user = make_user(Role.OFFICER)
    log_in(page, live_server, user.username, password="wrong")
    assert page.url.endswith("/connexion/")
    assert page.locator("p.error").is_visible()


def test_officer_takes_the_completeness_task_and_declares_the_dossier_admissible(page, live_server):
    dossier = make_dossier(DossierState.SUBMITTED)
    start_instruction(dossier)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    log_in(page, live_server, officer.username)
    page.goto(f"{live_server.url}{reverse('instruction:dossier_page', args=[dossier.pk])}")
    page.screenshot(path="test-results/instruction-dossier-page.png", full_page=True)
    page.locator("form[action$='/take/'] button").click()
    page.locator("a[href$='/execute/']").click()
    page.locator("input[value=admissible]").check()
    page.locator(".staff-form button[type=submit]").click()
    page.locator(".staff-messages li.success").wait_for()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.ADMISSIBLE
    next_task = process_for_dossier(dossier.pk).task_set.filter(status="NEW", flow_task_type="HUMAN").get()
    assert next_task.flow_task.name == "instruct"


def test_a_refused_action_shows_why_and_changes_nothing(page, live_server):
    dossier = make_dossier(DossierState.NOTIFIED, notified_days_ago=30)
    officer = make_user(Role.OFFICER, territory=dossier.territory)
    log_in(page, live_server, officer.username)
    page.goto(f"{live_server.url}{reverse('instruction:dossier_page', args=[dossier.pk])}")
    page.locator("form[action$='/actions/lapse/'] button").click()
    page.locator(".staff-messages li.error").wait_for()
    dossier.refresh_from_db()
    assert dossier.state == DossierState.NOTIFIED
    assert dossier.audit_events.filter(kind="transition").count() == 0
