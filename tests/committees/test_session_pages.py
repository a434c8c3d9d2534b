"""The staff's pages of the Commission permanente: who sees them, what they show, the same number of
queries whatever the number of sessions or items, and the session chosen when a dossier is put on an
agenda from the dossier page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees.models import AgendaItem, CommitteeSession, SessionStatus
from committees.selectors import pending_item
from dossiers.models import Dossier
from tests.factories import make_dossier, make_session, make_user
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent

S = DossierState
pytestmark = pytest.mark.django_db
LIST_URL = reverse("sessions:index")
CREATE_URL = reverse("sessions:session_create")


def page_url(session):
    return reverse("sessions:session_page", args=[session.pk])


def status_url(session):
    return reverse("sessions:session_status", args=[session.pk])


@pytest.fixture
def session(contract):
    session = make_session(sits_on=date(2026, 6, 8), status=SessionStatus.HELD)
    make_dossier(S.APPROVED, contract=contract, session=session)
    make_dossier(S.SCHEDULED, contract=contract, session=session)
    return session


def login(client, role, **kwargs):
    user = make_user(role, **kwargs)
    client.force_login(user)
    return user


# Who sees what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER, Role.ADMINISTRATOR])
def test_the_committee_and_administrators_see_the_sessions_and_their_agendas(client, session, role):
    login(client, role)

    assert client.get(LIST_URL).status_code == 200
    page = client.get(page_url(session))
    assert page.status_code == 200
    for item in session.items.select_related("dossier"):
        assert item.dossier.reference in page.content.decode()


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FINANCE, Role.ADVISER, Role.SPONSOR])
def test_other_roles_get_none_of_the_session_pages(client, session, territory, role):
    login(client, role, territory=territory)
    before = list(CommitteeSession.objects.values_list("pk", "status"))

    for url in (LIST_URL, page_url(session), CREATE_URL):
        assert client.get(url).status_code in (403, 404), url
    for url, data in (
        (CREATE_URL, {"body": "CP", "sits_on": "2099-01-12"}),
        (status_url(session), {"status": "closed"}),
    ):
        assert client.post(url, data).status_code in (403, 404), url

    assert list(CommitteeSession.objects.values_list("pk", "status")) == before


def test_visitors_are_refused(client, session):
    for url in (LIST_URL, page_url(session), CREATE_URL):
        assert client.get(url).status_code in (302, 403), url


def test_the_menu_offers_the_sessions_to_the_committee_only(client, territory):
    login(client, Role.COMMITTEE_MEMBER)
    assert f'href="{LIST_URL}"' in client.get(reverse("instruction:index")).content.decode()
    login(client, Role.OFFICER, territory=territory)
    assert f'href="{LIST_URL}"' not in client.get(reverse("instruction:index")).content.decode()


# What the pages show -------------------------------------------------------------------------------


def test_the_session_page_shows_its_agenda_in_order_and_the_session_documents(client, session):
    login(client, Role.COMMITTEE_MEMBER)

    response = client.get(page_url(session))

    html = response.content.decode()
    approved, scheduled = session.items.select_related("dossier__organisation", "dossier__territory")
    assert html.index(approved.dossier.reference) < html.index(scheduled.dossier.reference)
    assert f'href="{reverse("instruction:dossier_page", args=[approved.dossier_id])}"' in html
    for text in (
        approved.deliberation_number,
        approved.dossier.organisation.name,
        approved.dossier.territory.name,
        "80\xa0000,00",
    ):
        assert text in html
    assert "documents/_session_documents.html" in [t.name for t in response.templates]
    assert 'name="status"' not in html  # members do not move the session on


def test_the_session_list_counts_items_and_decisions(client, session):
    login(client, Role.COMMITTEE_SECRETARY)

    listed = client.get(LIST_URL).context["sessions"]

    assert [(s.pk, s.item_count, s.decided_count) for s in listed] == [(session.pk, 2, 1)]


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_session_list_costs_the_same_number_of_queries_with_3_or_30_sessions(client, contract):
    login(client, Role.COMMITTEE_MEMBER)
    sessions = [make_session(sits_on=date(2026, month, 8)) for month in (1, 2, 3)]
    make_dossier(S.SCHEDULED, contract=contract, session=sessions[0])
    small = count_queries(client, LIST_URL)

    sessions += [make_session(sits_on=date(2024, 1, 1) + timedelta(days=7 * week)) for week in range(27)]
    for each in sessions[1:6]:
        make_dossier(S.SCHEDULED, contract=contract, session=each)
        make_dossier(S.APPROVED, contract=contract, session=each)
    assert count_queries(client, LIST_URL) == small


def test_the_session_page_costs_the_same_number_of_queries_with_2_or_8_items(client, session, contract):
    login(client, Role.COMMITTEE_SECRETARY)
    small = count_queries(client, page_url(session))

    for _ in range(3):
        make_dossier(S.SCHEDULED, contract=contract, session=session)
        make_dossier(S.REJECTED, contract=contract, session=session)
    assert count_queries(client, page_url(session)) == small


# Creating and moving sessions on -------------------------------------------------------------------


def test_the_secretariat_creates_a_session_from_the_form(client):
    login(client, Role.COMMITTEE_SECRETARY)
    sits_on = timezone.localdate() + timedelta(days=30)
    assert client.get(CREATE_URL).status_code == 200

    response = client.post(CREATE_URL, {"body": "CP", "sits_on": sits_on.isoformat(), "place": "Poitiers"})

    session = CommitteeSession.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(session)
    assert (session.sits_on, session.place, session.status) == (sits_on, "Poitiers", SessionStatus.PREPARATION)


def test_a_session_in_the_past_is_refused_with_the_reason(client):
    login(client, Role.ADMINISTRATOR)

    response = client.post(CREATE_URL, {"body": "CP", "sits_on": "2020-01-13", "place": ""})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not CommitteeSession.objects.exists()


def test_a_committee_member_neither_creates_nor_moves_a_session(client, session):
    login(client, Role.COMMITTEE_MEMBER)

    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, {"body": "CP", "sits_on": "2099-01-12"}).status_code == 403
    assert client.post(status_url(session), {"status": SessionStatus.CLOSED}).status_code == 403
    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.HELD


def test_the_secretariat_moves_a_session_on_from_its_page(client):
    session = make_session()
    login(client, Role.COMMITTEE_SECRETARY)
    assert f'value="{SessionStatus.CONVENED}"' in client.get(page_url(session)).content.decode()

    response = client.post(status_url(session), {"status": SessionStatus.CONVENED}, follow=True)

    assert response.redirect_chain[-1][0] == page_url(session)
    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.CONVENED
    refused = client.post(status_url(session), {"status": SessionStatus.CLOSED}, follow=True)
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    assert CommitteeSession.objects.get(pk=session.pk).status == SessionStatus.CONVENED


# Putting a dossier on an agenda from the dossier page ----------------------------------------------


def test_the_dossier_page_offers_the_open_sessions_soonest_first(client, contract):
    later = make_session(sits_on=timezone.localdate() + timedelta(days=40))
    sooner = make_session(sits_on=timezone.localdate() + timedelta(days=10), status=SessionStatus.CONVENED)
    held = make_session(sits_on=timezone.localdate() - timedelta(days=3), status=SessionStatus.HELD)
    dossier = make_dossier(S.REVIEWED, contract=contract)
    login(client, Role.COMMITTEE_SECRETARY)

    html = client.get(reverse("instruction:dossier_page", args=[dossier.pk])).content.decode()

    assert f'action="{reverse("dossier_transition", args=[dossier.pk, "schedule"])}"' in html
    assert html.index(f'<option value="{sooner.pk}"') < html.index(f'<option value="{later.pk}"')
    assert f'<option value="{held.pk}"' not in html


def test_putting_a_dossier_on_an_agenda_from_the_dossier_page(client, contract):
    session = make_session()
    dossier = make_dossier(S.REVIEWED, contract=contract)
    login(client, Role.COMMITTEE_SECRETARY)

    client.post(reverse("dossier_transition", args=[dossier.pk, "schedule"]), {"session": session.pk})

    assert Dossier.objects.get(pk=dossier.pk).state == S.SCHEDULED
    assert pending_item(dossier).session == session
    page = client.get(reverse("instruction:dossier_page", args=[dossier.pk])).content.decode()
    assert f'href="{page_url(session)}"' in page


def test_a_session_closed_for_agenda_cannot_be_chosen(client, contract):
    held = make_session(status=SessionStatus.HELD)
    dossier = make_dossier(S.REVIEWED, contract=contract)
    login(client, Role.COMMITTEE_SECRETARY)

    response = client.post(
        reverse("dossier_transition", args=[dossier.pk, "schedule"]), {"session": held.pk}, follow=True
    )

    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Dossier.objects.get(pk=dossier.pk).state == S.REVIEWED
    assert not AgendaItem.objects.exists()
    assert not AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION).exists()


def test_the_amounts_on_the_agenda_are_the_proposal_when_the_dossier_was_put_on_it(client, contract):
    session = make_session()
    dossier = make_dossier(S.SCHEDULED, contract=contract, session=session)
    Dossier.objects.filter(pk=dossier.pk).update(proposed_amount=Decimal("12345.00"))
    login(client, Role.COMMITTEE_MEMBER)

    html = client.get(page_url(session)).content.decode()

    assert "80\xa0000,00" in html and "12\xa0345,00" not in html


# The Django admin ----------------------------------------------------------------------------------


def test_the_admin_edits_a_sessions_date_and_members_but_never_its_items_nor_status(client, session):
    login(client, Role.ADMINISTRATOR, is_superuser=True)
    url = reverse("admin:committees_committeesession_change", args=[session.pk])

    html = client.get(url).content.decode()

    assert 'name="sits_on"' in html and 'name="members"' in html
    assert 'name="status"' not in html and 'name="items-0-result"' not in html
    assert session.items.first().deliberation_number in html
    item_url = reverse("admin:committees_agendaitem_change", args=[session.items.first().pk])
    assert client.get(item_url).status_code == 200
    assert client.post(item_url, {"result": "rejected"}).status_code == 403
    assert client.get(reverse("admin:committees_agendaitem_add")).status_code == 403
