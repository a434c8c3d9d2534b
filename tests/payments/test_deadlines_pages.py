"""The deadlines on the dossier pages: the sponsor sees both deadlines and asks for the extension; the
territory's officer grants or refuses it. Other organisations' sponsors and other territories' officers
get a 404; refusals show their message and change nothing; the panels cost the same queries whatever
the number of payment requests and reminders."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dossiers.models import Dossier
from dossiers.money import add_months
from payments.deadlines import dossier_deadlines, extension_request
from payments.models import (
    DeadlineReminder,
    ExtensionRequest,
    ExtensionStatus,
    PaymentKind,
    PaymentRequest,
    RequestState,
)
from tests.factories import OrganisationFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    yield
    translation.deactivate()


@pytest.fixture
def dossier(contract):
    return make_dossier(DossierState.NOTIFIED, contract=contract, notified_days_ago=30)


def en(name, dossier) -> str:
    with translation.override("en"):
        return reverse(name, args=[dossier.pk])


def sponsor_page(dossier):
    return en("portal:dossier_detail", dossier)


def staff_page(dossier):
    return en("instruction:dossier_page", dossier)


def ask_url(dossier):
    return en("deadlines:extension_ask", dossier)


def decide_url(dossier):
    return en("deadlines:extension_decide", dossier)


def extensions():
    return list(ExtensionRequest.objects.values())


# The sponsor --------------------------------------------------------------------------------------


def test_sponsor_sees_both_deadlines_and_can_ask_for_the_extension(client, dossier):
    client.force_login(dossier.created_by)
    facts = dossier_deadlines(dossier)
    page = client.get(sponsor_page(dossier)).content.decode()
    assert "Deadlines" in page
    assert facts.start_on.strftime("%B %Y") in page and facts.completion_on.strftime("%B %Y") in page
    assert "Runs now" in page
    assert ask_url(dossier) in page


def test_sponsor_asks_for_the_extension_and_is_told_it_is_sent(client, dossier):
    client.force_login(dossier.created_by)
    response = client.post(ask_url(dossier), {"reason": "Retard du chantier"}, follow=True)
    assert response.redirect_chain[-1][0] == sponsor_page(dossier)
    page = response.content.decode()
    assert "is sent to the territorial officer" in page
    extension = ExtensionRequest.objects.get(dossier=dossier)
    assert (extension.status, extension.reason) == (ExtensionStatus.PENDING, "Retard du chantier")
    assert "Waiting for the officer" in page
    assert ask_url(dossier) not in page  # asked once: no form any more


def test_an_extension_without_reason_is_refused_with_its_message(client, dossier):
    client.force_login(dossier.created_by)
    page = client.post(ask_url(dossier), {"reason": " "}, follow=True).content.decode()
    assert "Say why the extension is needed." in page
    assert extensions() == []


def test_a_second_extension_is_refused_with_its_message(client, dossier, officer):
    extension = extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    ExtensionRequest.objects.filter(pk=extension.pk).update(status=ExtensionStatus.REFUSED, decision_comment="Non")
    before = extensions()
    client.force_login(dossier.created_by)
    page = client.post(ask_url(dossier), {"reason": "Encore"}, follow=True).content.decode()
    assert "An extension can be asked only once." in page
    assert extensions() == before


def test_an_extension_after_the_deadline_is_refused_with_its_message(client, dossier):
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=add_months(timezone.localdate(), -13))
    client.force_login(dossier.created_by)
    page = client.get(sponsor_page(dossier)).content.decode()
    assert ask_url(dossier) not in page
    page = client.post(ask_url(dossier), {"reason": "Retard"}, follow=True).content.decode()
    assert "has passed: an extension must be asked before it." in page
    assert extensions() == []


def test_another_organisations_sponsor_gets_a_404(client, dossier):
    client.force_login(make_user(Role.SPONSOR, organisation=OrganisationFactory()))
    assert client.post(ask_url(dossier), {"reason": "Retard"}).status_code == 404
    assert extensions() == []


def test_the_regions_staff_cannot_ask_for_an_extension(client, dossier, officer):
    client.force_login(officer)
    assert client.post(ask_url(dossier), {"reason": "Retard"}).status_code in (403, 404)
    assert extensions() == []


def test_asking_needs_a_post(client, dossier):
    client.force_login(dossier.created_by)
    assert client.get(ask_url(dossier)).status_code == 405


# The officer --------------------------------------------------------------------------------------


@pytest.fixture
def pending(dossier):
    return extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard du chantier")


def test_officer_sees_the_pending_extension_with_grant_and_refuse(client, dossier, officer, pending):
    client.force_login(officer)
    page = client.get(staff_page(dossier)).content.decode()
    assert "Retard du chantier" in page
    assert decide_url(dossier) in page
    assert "Grant the extension" in page and "Refuse the extension" in page


def test_finance_sees_the_deadlines_but_cannot_decide(client, dossier, finance, pending):
    client.force_login(finance)
    page = client.get(staff_page(dossier)).content.decode()
    assert "Deadlines" in page
    assert decide_url(dossier) not in page


def test_officer_grants_the_extension(client, dossier, officer, pending):
    start = dossier_deadlines(dossier).start_on
    client.force_login(officer)
    response = client.post(decide_url(dossier), {"decision": "grant", "comment": ""}, follow=True)
    assert response.redirect_chain[-1][0] == staff_page(dossier)
    assert "The extension is granted." in response.content.decode()
    assert ExtensionRequest.objects.get().status == ExtensionStatus.GRANTED
    assert dossier_deadlines(Dossier.objects.get(pk=dossier.pk)).start_on == add_months(start, 12)


def test_a_refusal_without_comment_is_refused_with_its_message(client, dossier, officer, pending):
    before = extensions()
    client.force_login(officer)
    page = client.post(decide_url(dossier), {"decision": "refuse", "comment": ""}, follow=True).content.decode()
    assert "Say why the extension is refused." in page
    assert extensions() == before


def test_officer_refuses_the_extension_with_a_comment(client, dossier, officer, pending):
    client.force_login(officer)
    page = client.post(decide_url(dossier), {"decision": "refuse", "comment": "Aucun justificatif"}, follow=True)
    assert "The extension is refused." in page.content.decode()
    assert ExtensionRequest.objects.get().status == ExtensionStatus.REFUSED


def test_a_decided_extension_cannot_be_decided_again(client, dossier, officer, pending):
    client.force_login(officer)
    client.post(decide_url(dossier), {"decision": "grant"})
    before = extensions()
    page = client.post(decide_url(dossier), {"decision": "refuse", "comment": "Non"}, follow=True).content.decode()
    assert "This extension has already been decided" in page
    assert extensions() == before


@pytest.mark.parametrize("who", ["other_officer", "sponsor", "finance"])
def test_only_the_territorys_officer_may_decide_others_get_a_404(client, dossier, pending, other_territory, who):
    users = {
        "other_officer": lambda: make_user(Role.OFFICER, territory=other_territory),
        "sponsor": lambda: dossier.created_by,
        "finance": lambda: make_user(Role.FINANCE),
    }
    before = extensions()
    client.force_login(users[who]())
    assert client.post(decide_url(dossier), {"decision": "grant"}).status_code == 404
    assert extensions() == before


def test_an_administrator_may_decide(client, dossier, pending):
    client.force_login(make_user(Role.ADMINISTRATOR))
    client.post(decide_url(dossier), {"decision": "grant"})
    assert ExtensionRequest.objects.get().status == ExtensionStatus.GRANTED


def test_deciding_without_an_extension_is_a_404(client, dossier, officer):
    client.force_login(officer)
    assert client.post(decide_url(dossier), {"decision": "grant"}).status_code == 404


# Queries ------------------------------------------------------------------------------------------


def render_panel(tag, dossier_pk, user_pk):
    """The panel as the page renders it: the dossier as its selector loads it, the user as the request has it."""
    dossier = Dossier.objects.select_related("organisation", "territory").get(pk=dossier_pk)
    user = get_user_model().objects.get(pk=user_pk)
    template = Template("{% load payments_deadlines %}{% " + tag + " dossier user %}")
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"dossier": dossier, "user": user}))
    return len(queries), html


def add_rows(dossier, count):
    for _ in range(count):
        PaymentRequest.objects.create(
            dossier=dossier, kind=PaymentKind.INSTALMENT, state=RequestState.PAID, created_by=dossier.created_by
        )
    for days in range(count):
        DeadlineReminder.objects.create(
            dossier=dossier, deadline="start", deadline_on=timezone.localdate() + timedelta(days=days), days_before=days
        )


@pytest.mark.parametrize("tag", ["deadlines_sponsor_panel", "deadlines_staff_panel"])
def test_the_panels_cost_the_same_queries_whatever_the_number_of_rows(contract, officer, tag):
    few = make_dossier(DossierState.IN_PAYMENT, contract=contract)
    many = make_dossier(DossierState.IN_PAYMENT, contract=contract)
    add_rows(few, 1)
    add_rows(many, 8)
    for dossier in (few, many):
        extension_request(dossier=dossier, actor=dossier.created_by, reason="Retard")
    counts = []
    for dossier in (few, many):
        user = officer if tag == "deadlines_staff_panel" else dossier.created_by
        queries, html = render_panel(tag, dossier.pk, user.pk)
        assert "Retard" in html
        counts.append(queries)
    assert counts[0] == counts[1]
