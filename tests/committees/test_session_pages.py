"""The staff's pages of the Commission permanente: who sees them, what they show, the same number of
queries whatever the number of sessions or items, the session chosen when a dossier is put on an
agenda from the dossier page; and the secretary's session page: building the agenda, the attendance,
the votes item by item and en bloc (with their refusals shown and nothing written), the deferrals and
the closing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from committees.models import (
    AgendaItem,
    CommitteeSession,
    ItemResult,
    MemberInterest,
    SessionStatus,
    Vote,
    VoteChoice,
)
from committees.selectors import pending_item
from committees.voting import session_record_attendance, session_record_block_vote
from documents.models import DocumentBatch
from dossiers.models import Dossier
from tests.factories import (
    ContractFactory,
    EnvelopeFactory,
    make_dossier,
    make_session,
    make_territory,
    make_user,
)
from workflows.enums import AuditKind, DossierState, OpinionVerdict, Role
from workflows.instruction import opinion_service_create
from workflows.models import AuditEvent, Opinion

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


# The secretary's session page: agenda, attendance, votes, closing ---------------------------------------

FOR, AGAINST = VoteChoice.FOR, VoteChoice.AGAINST


def url(name, session, item=None):
    return reverse(f"sessions:{name}", args=[session.pk] if item is None else [session.pk, item.pk])


@pytest.fixture
def members(db):
    return [make_user(Role.COMMITTEE_MEMBER, first_name=name, last_name="Élu") for name in ("Ana", "Bea", "Cyr")]


@pytest.fixture
def sitting(members, secretary):
    """A held session of three members, all present (quorum by default: 2), without items yet."""
    session = make_session(members=members, status=SessionStatus.HELD)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    return session


def on_agenda(session, contract, count=1):
    dossiers = [make_dossier(S.SCHEDULED, contract=contract, session=session) for _ in range(count)]
    items = [AgendaItem.objects.get(dossier=dossier) for dossier in dossiers]
    return items if count > 1 else items[0]


def votes_of(members, choice=FOR, **prefixes):
    return {f"vote_{member.pk}": choice for member in members} | prefixes


def state_of(dossier_or_item):
    dossier_id = getattr(dossier_or_item, "dossier_id", dossier_or_item.pk)
    return Dossier.objects.get(pk=dossier_id).state


def error_messages(response):
    return [str(m) for m in response.context["messages"] if m.level_tag == "error"]


def record_of(item):
    """What the vote wrote on the item: nothing at all after a refusal."""
    item = AgendaItem.objects.get(pk=item.pk)
    return item.outcome, item.amended_amount, item.outcome_reason, sorted(item.votes.values_list("choice", flat=True))


def give_opinion(dossier, verdict, code):
    service = opinion_service_create(code=code, name=code)
    given = verdict is not None
    return Opinion.objects.create(
        dossier=dossier,
        service=service,
        question="?",
        requested_by=dossier.created_by,
        due_on=timezone.localdate() + timedelta(days=10),
        verdict=verdict or "",
        given_at=timezone.now() if given else None,
        given_by=dossier.created_by if given else None,
    )


def action_urls(session, item):
    """Every action of the session page, with the data it would be sent."""
    return [
        (url("agenda_add", session), {"dossiers": [item.dossier_id]}),
        (url("agenda_order", session), {"order_by": "territory"}),
        (url("agenda_remove", session, item), {}),
        (url("agenda_move", session, item), {"direction": "down"}),
        (url("session_attendance", session), {"present": []}),
        (url("item_vote", session, item), {}),
        (url("item_defer", session, item), {"reason": "Plus tard"}),
        (url("block_vote", session), {}),
        (url("session_close", session), {}),
    ]


def world_state(session):
    return (
        list(AgendaItem.objects.order_by("pk").values_list("pk", "position", "outcome", "result")),
        list(session.attendances.order_by("pk").values_list("member_id", "is_present")),
        Vote.objects.count(),
        CommitteeSession.objects.get(pk=session.pk).status,
    )


def test_a_member_gets_a_403_on_every_action_of_the_session_page(client, sitting, members, contract):
    items = on_agenda(sitting, contract, 2)
    client.force_login(members[0])
    before = world_state(sitting)

    assert client.get(url("item_vote", sitting, items[0])).status_code == 403
    for action, data in action_urls(sitting, items[0]):
        assert client.post(action, data | votes_of(members)).status_code == 403, action

    assert world_state(sitting) == before


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.OFFICER])
def test_a_sponsor_or_an_officer_gets_none_of_the_actions_of_the_session_page(
    client, sitting, members, contract, territory, role
):
    item = on_agenda(sitting, contract)
    user = item.dossier.created_by if role == Role.SPONSOR else make_user(Role.OFFICER, territory=territory)
    client.force_login(user)
    before = world_state(sitting)

    # The staff site refuses them (403) before the page's own 404 for whoever does not see sessions.
    assert client.get(url("item_vote", sitting, item)).status_code in (403, 404)
    for action, data in action_urls(sitting, item):
        assert client.post(action, data | votes_of(members)).status_code in (403, 404), action

    assert world_state(sitting) == before


def test_an_item_of_another_session_is_a_404(client, sitting, members, contract, secretary):
    other = make_session(members=members, status=SessionStatus.HELD)
    item = on_agenda(other, contract)
    client.force_login(secretary)

    assert client.get(url("item_vote", sitting, item)).status_code == 404
    for name, data in (("item_vote", votes_of(members)), ("item_defer", {"reason": "x"}), ("agenda_remove", {})):
        assert client.post(url(name, sitting, item), data).status_code == 404
    assert record_of(item) == ("", None, "", [])


# Building the agenda


def test_the_agenda_builder_lists_the_reviewed_dossiers_with_their_proposal_and_opinions(client, contract, secretary):
    session = make_session()
    reviewed = make_dossier(S.REVIEWED, contract=contract)
    give_opinion(reviewed, OpinionVerdict.FAVOURABLE, "economie")
    give_opinion(reviewed, OpinionVerdict.UNFAVOURABLE, "tourisme")
    give_opinion(reviewed, None, "sante")
    elsewhere = make_dossier(S.SCHEDULED, contract=contract)
    client.force_login(secretary)

    html = client.get(page_url(session)).content.decode()

    candidates = html[html.index('id="candidates-title"') :]
    assert f'name="dossiers" value="{reviewed.pk}"' in candidates
    assert elsewhere.reference not in candidates
    for text in (
        reviewed.organisation.name,
        reviewed.territory.name,
        escape(reviewed.theme.label),
        "80\xa0000,00",
        "200\xa0000,00",
        "40\xa0%",
    ):
        assert text in candidates, text
    assert "1 favorable, 1 défavorable, 1 attendu" in candidates


def test_the_secretary_adds_dossiers_to_the_agenda_and_each_refusal_is_reported(client, contract, secretary):
    session = make_session()
    first, second = make_dossier(S.REVIEWED, contract=contract), make_dossier(S.REVIEWED, contract=contract)
    elsewhere = make_dossier(S.SCHEDULED, contract=contract)
    client.force_login(secretary)

    response = client.post(url("agenda_add", session), {"dossiers": [second.pk, elsewhere.pk, first.pk]}, follow=True)

    assert [state_of(d) for d in (first, second)] == [S.SCHEDULED, S.SCHEDULED]
    assert list(session.items.order_by("position").values_list("dossier_id", flat=True)) == [second.pk, first.pk]
    assert pending_item(elsewhere).session != session
    (refusal,) = error_messages(response)
    assert refusal.startswith(f"{elsewhere.reference} : ")
    (success,) = [str(m) for m in response.context["messages"] if m.level_tag == "success"]
    assert "2 dossiers" in success
    assert client.post(url("agenda_add", session), {}).status_code == 302  # nothing ticked: a message, no change
    assert session.items.count() == 2


def test_removing_an_item_puts_its_dossier_back_among_the_reviewed(client, contract, secretary):
    session = make_session(status=SessionStatus.CONVENED)
    item = on_agenda(session, contract)
    client.force_login(secretary)

    response = client.post(url("agenda_remove", session, item), follow=True)

    assert state_of(item) == S.REVIEWED
    assert not session.items.exists()
    html = response.content.decode()
    assert f'name="dossiers" value="{item.dossier_id}"' in html


def test_the_agenda_is_ordered_by_territory_and_moved_item_by_item(client, contract, secretary):
    session = make_session()
    other_contract = EnvelopeFactory(contract=ContractFactory(territory=make_territory("Aaa territoire"))).contract
    in_a, in_aaa = on_agenda(session, contract), on_agenda(session, other_contract)
    client.force_login(secretary)

    def order():
        return list(session.items.order_by("position").values_list("pk", flat=True))

    assert order() == [in_a.pk, in_aaa.pk]
    client.post(url("agenda_order", session), {"order_by": "territory"})
    assert order() == [in_aaa.pk, in_a.pk]
    client.post(url("agenda_move", session, in_a), {"direction": "up"})
    assert order() == [in_a.pk, in_aaa.pk]
    client.post(url("agenda_move", session, in_a), {"direction": "up"})  # already first
    assert order() == [in_a.pk, in_aaa.pk]
    client.post(url("agenda_move", session, in_a), {"direction": "down"})
    assert order() == [in_aaa.pk, in_a.pk]
    assert list(session.items.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_a_held_session_offers_neither_the_agenda_builder_nor_a_closed_status(client, sitting, contract, secretary):
    on_agenda(sitting, contract)
    make_dossier(S.REVIEWED, contract=contract)
    client.force_login(secretary)

    html = client.get(page_url(sitting)).content.decode()

    assert 'id="candidates-title"' not in html and url("agenda_order", sitting) not in html
    assert f'value="{SessionStatus.CLOSED}"' not in html
    assert 'id="block-vote-form"' in html


# Attendance


def test_the_secretary_records_the_attendance_and_sees_the_quorum(client, members, secretary, contract):
    session = make_session(members=members, status=SessionStatus.CONVENED)
    MemberInterest.objects.create(member=members[2], territory=contract.territory, description="Maire")
    client.force_login(secretary)

    response = client.post(url("session_attendance", session), {"present": [members[0].pk, members[2].pk]}, follow=True)

    assert dict(session.attendances.values_list("member_id", "is_present")) == {
        members[0].pk: True,
        members[1].pk: False,
        members[2].pk: True,
    }
    html = response.content.decode()
    assert "2 requis, 2 présents" in html
    assert f"{contract.territory.name} (Maire)" in html
    assert f'name="present" value="{members[0].pk}" checked' in html


def test_attendance_of_a_stranger_is_refused_on_the_form(client, members, secretary):
    session = make_session(members=members, status=SessionStatus.CONVENED)
    client.force_login(secretary)

    response = client.post(url("session_attendance", session), {"present": [secretary.pk]})

    assert response.status_code == 200 and response.context["attendance_form"].errors
    assert not session.attendances.exists()


# Votes item by item


def test_a_vote_with_an_amended_amount_is_recorded(client, sitting, members, contract, secretary):
    item = on_agenda(sitting, contract)
    client.force_login(secretary)
    form_page = client.get(url("item_vote", sitting, item)).content.decode()
    assert '<option value="for" selected>' in form_page

    votes = votes_of(members) | {f"vote_{members[2].pk}": AGAINST}
    response = client.post(url("item_vote", sitting, item), votes | {"amended_amount": "65000.00"})

    assert response.status_code == 302 and response["Location"] == f"{page_url(sitting)}#item-{item.pk}"
    assert record_of(item) == (ItemResult.APPROVED, Decimal("65000.00"), "", ["against", "for", "for"])
    html = client.get(page_url(sitting)).content.decode()
    assert "2 pour, 1 contre, 0 abstention(s), 0 ne prenant pas part au vote" in html
    assert "65\xa0000,00" in html


def test_a_rejection_needs_a_reason_shown_on_the_form(client, sitting, members, contract, secretary):
    item = on_agenda(sitting, contract)
    client.force_login(secretary)

    refused = client.post(url("item_vote", sitting, item), votes_of(members, AGAINST))
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert record_of(item) == ("", None, "", [])

    client.post(url("item_vote", sitting, item), votes_of(members, AGAINST) | {"reason": "Projet non prioritaire"})
    assert record_of(item)[:3] == (ItemResult.REJECTED, None, "Projet non prioritaire")


def test_a_withdrawn_member_is_shown_without_a_choice_and_their_vote_is_refused(
    client, sitting, members, contract, secretary
):
    item = on_agenda(sitting, contract)
    MemberInterest.objects.create(member=members[2], organisation=item.dossier.organisation, description="Président")
    client.force_login(secretary)

    html = client.get(url("item_vote", sitting, item)).content.decode()
    assert f'name="vote_{members[2].pk}"' not in html
    assert "Déport" in html and f"{item.dossier.organisation.name} (Président)" in html

    # A page loaded before the interest was declared still sends the member's vote.
    response = client.post(url("item_vote", sitting, item), votes_of(members))
    assert response.status_code == 200
    assert "déport" in " ".join(response.context["form"].non_field_errors())
    assert record_of(item) == ("", None, "", [])

    client.post(url("item_vote", sitting, item), votes_of(members[:2]))
    assert record_of(item) == (ItemResult.APPROVED, None, "", ["for", "for", "withdrawn"])


def test_an_amount_above_the_request_is_refused_on_the_amount(client, sitting, members, contract, secretary):
    item = on_agenda(sitting, contract)
    client.force_login(secretary)

    response = client.post(url("item_vote", sitting, item), votes_of(members) | {"amended_amount": "80000.01"})

    assert response.status_code == 200
    assert "80\u202f000,01" in response.context["form"].errors["amended_amount"][0]
    assert record_of(item) == ("", None, "", [])


def test_without_the_quorum_no_result_is_recorded(client, sitting, members, contract, secretary):
    item = on_agenda(sitting, contract)
    session_record_attendance(session=sitting, actor=secretary, present=[members[0].pk])
    client.force_login(secretary)

    response = client.post(url("item_vote", sitting, item), votes_of(members[:1]))

    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors()
    assert "quorum" in error
    assert record_of(item) == ("", None, "", [])


def test_the_committee_defers_an_item_with_a_reason(client, sitting, contract, secretary):
    item = on_agenda(sitting, contract)
    client.force_login(secretary)

    refused = client.post(url("item_defer", sitting, item), {"reason": ""})
    assert refused.status_code == 200 and refused.context["defer_form"].errors["reason"]

    client.post(url("item_defer", sitting, item), {"reason": "Dossier à compléter"})
    assert record_of(item) == (ItemResult.DEFERRED, None, "Dossier à compléter", [])


def test_votes_are_not_taken_before_the_session_is_held(client, members, contract, secretary):
    session = make_session(members=members, status=SessionStatus.CONVENED)
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    item = on_agenda(session, contract)
    client.force_login(secretary)

    assert 'id="vote-form"' not in client.get(url("item_vote", session, item)).content.decode()
    response = client.post(url("item_vote", session, item), votes_of(members))
    assert "tenue" in " ".join(response.context["form"].non_field_errors())
    assert record_of(item) == ("", None, "", [])


# Votes en bloc


def test_a_vote_en_bloc_with_an_exception_records_the_group_and_its_deports(
    client, sitting, members, contract, secretary
):
    items = on_agenda(sitting, contract, 3)
    MemberInterest.objects.create(member=members[0], organisation=items[1].dossier.organisation)
    client.force_login(secretary)

    response = client.post(url("block_vote", sitting), votes_of(members) | {"exceptions": [items[2].pk]}, follow=True)

    assert [record_of(item)[0] for item in items] == [ItemResult.APPROVED, ItemResult.APPROVED, ""]
    assert record_of(items[1])[3] == ["for", "for", "withdrawn"]
    assert AgendaItem.objects.filter(voted_en_bloc=True).count() == 2
    (message,) = [str(m) for m in response.context["messages"]]
    assert "sur 2 points" in message and "déports : 1" in message


def test_a_refused_vote_en_bloc_records_nothing_and_keeps_the_exceptions_ticked(
    client, sitting, members, contract, secretary
):
    items = on_agenda(sitting, contract, 2)
    client.force_login(secretary)

    response = client.post(url("block_vote", sitting), votes_of(members, AGAINST) | {"exceptions": [items[1].pk]})

    assert response.status_code == 200 and response.context["block_form"].errors
    assert f'value="{items[1].pk}" form="block-vote-form" checked' in response.content.decode()
    assert not Vote.objects.exists()


# Closing


def test_closing_applies_every_result_and_issues_the_letters(client, sitting, members, contract, secretary):
    approved, amended, rejected, deferred = on_agenda(sitting, contract, 4)
    client.force_login(secretary)
    client.post(url("item_vote", sitting, approved), votes_of(members))
    client.post(url("item_vote", sitting, amended), votes_of(members) | {"amended_amount": "50000"})
    client.post(url("item_vote", sitting, rejected), votes_of(members, AGAINST) | {"reason": "Hors cadre"})
    client.post(url("item_defer", sitting, deferred), {"reason": "Plus tard"})
    assert url("session_close", sitting) in client.get(page_url(sitting)).content.decode()

    response = client.post(url("session_close", sitting), follow=True)

    assert CommitteeSession.objects.get(pk=sitting.pk).status == SessionStatus.CLOSED
    assert [state_of(item) for item in (approved, amended, rejected, deferred)] == [
        S.APPROVED,
        S.APPROVED,
        S.REJECTED,
        S.REVIEWED,
    ]
    assert Dossier.objects.get(pk=amended.dossier_id).granted_amount == Decimal("50000.00")
    numbers = list(sitting.items.order_by("position").values_list("deliberation_number", flat=True))
    assert numbers[:3] == sorted(numbers[:3]) and all(numbers[:3]) and numbers[3] is None
    texts = [str(m) for m in response.context["messages"]]
    assert "4 résultats appliqués" in texts[0]
    batch = DocumentBatch.objects.get(session=sitting)
    assert reverse("sessions:document_batch", args=[sitting.pk, batch.pk]) in response.content.decode()
    html = response.content.decode()
    for number in numbers[:3]:
        assert number in html


def test_with_task_workers_the_page_follows_the_closing_until_it_is_done(
    client, sitting, members, contract, secretary, settings
):
    from committees.voting import session_close_run

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    items = on_agenda(sitting, contract, 2)
    client.force_login(secretary)
    for item in items:
        client.post(url("item_vote", sitting, item), votes_of(members))

    response = client.post(url("session_close", sitting), follow=True)

    html = response.content.decode()
    assert any("La clôture a commencé" in str(message) for message in response.context["messages"])
    assert "0 résultats appliqués sur 2" in html and 'http-equiv="refresh"' in html
    assert url("session_close", sitting) not in html  # no second closing while this one runs

    session_close_run(session_id=sitting.pk, actor_id=secretary.pk)

    html = client.get(page_url(sitting)).content.decode()
    assert CommitteeSession.objects.get(pk=sitting.pk).status == SessionStatus.CLOSED
    assert 'http-equiv="refresh"' not in html
    assert [state_of(item) for item in items] == [S.APPROVED, S.APPROVED]


def test_a_session_with_an_item_without_vote_is_not_closed(client, sitting, members, contract, secretary):
    voted, waiting = on_agenda(sitting, contract, 2)
    client.force_login(secretary)
    client.post(url("item_vote", sitting, voted), votes_of(members))
    assert url("session_close", sitting) not in client.get(page_url(sitting)).content.decode()

    response = client.post(url("session_close", sitting), follow=True)

    assert str(waiting.position) in error_messages(response)[0]
    assert CommitteeSession.objects.get(pk=sitting.pk).status == SessionStatus.HELD
    assert state_of(voted) == S.SCHEDULED


def test_a_result_refused_at_the_closing_is_listed_and_the_session_stays_held(
    client, sitting, members, contract, secretary
):
    item = on_agenda(sitting, contract)
    client.force_login(secretary)
    client.post(url("item_vote", sitting, item), votes_of(members))
    contract.envelopes.update(amount=Decimal("1000.00"))

    response = client.post(url("session_close", sitting), follow=True)

    assert CommitteeSession.objects.get(pk=sitting.pk).status == SessionStatus.HELD
    assert state_of(item) == S.SCHEDULED
    apply_error = AgendaItem.objects.get(pk=item.pk).apply_error
    assert apply_error and "1 point a été refusé" in error_messages(response)[0]
    html = response.content.decode()
    assert html[html.index('id="close-title"') :].count(escape(apply_error)) == 1


# Queries


def test_the_held_session_page_costs_the_same_number_of_queries_with_3_or_30_voted_items(
    client, sitting, members, contract, secretary
):
    client.force_login(secretary)
    MemberInterest.objects.create(member=members[0], territory=contract.territory)
    session_record_attendance(session=sitting, actor=secretary, present=[m.pk for m in members])

    def add(count):
        for item in on_agenda(sitting, contract, count):
            give_opinion(item.dossier, OpinionVerdict.FAVOURABLE, f"service-{item.pk}")
        session_record_block_vote(session=sitting, actor=secretary, votes={m.pk: FOR for m in members})

    add(3)
    small = count_queries(client, page_url(sitting))
    add(27)
    assert count_queries(client, page_url(sitting)) == small
    assert count_queries(client, url("item_vote", sitting, sitting.items.last())) <= 15


def test_the_agenda_builder_costs_the_same_number_of_queries_with_3_or_30_dossiers(client, contract, secretary):
    session = make_session(status=SessionStatus.CONVENED)
    client.force_login(secretary)

    def add(count):
        for index in range(count):
            dossier = make_dossier(S.REVIEWED if index % 2 else S.SCHEDULED, contract=contract, session=session)
            give_opinion(dossier, OpinionVerdict.RESERVED, f"service-{dossier.pk}")

    add(3)
    small = count_queries(client, page_url(session))
    add(27)
    assert count_queries(client, page_url(session)) == small
