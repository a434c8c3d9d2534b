"""The committee members' own pages (committees/member_views.py) and their declared interests
(committees/interests.py): a member sees the sessions they sit on and nobody else's, their own votes
and not the other members' choices, the items they are withdrawn from (déport) with the interest that
withdraws them, the session's reports; they declare and remove their own interests only. The pages
cost the same number of queries whatever the number of sessions or items."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from committees.interests import interest_declare, interest_remove
from committees.models import AgendaItem, MemberInterest, SessionStatus, Vote, VoteChoice
from committees.voting import item_record_votes, session_record_attendance
from documents.services import job_run, session_issue_report
from tests.factories import ContractFactory, EnvelopeFactory, OrganisationFactory, make_dossier, make_session, make_user
from workflows.enums import DossierState, Role

S = DossierState
FOR, AGAINST = VoteChoice.FOR, VoteChoice.AGAINST
pytestmark = pytest.mark.django_db
# The pages are read in English (under /en/), whatever the French catalogue says.
with translation.override("en"):
    LIST_URL = reverse("my_sessions:index")
    INTERESTS_URL = reverse("my_sessions:interests")
    REMOVE_URL = reverse("my_sessions:interest_remove")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def page_url(session):
    return reverse("my_sessions:session_page", args=[session.pk])


@pytest.fixture
def members(db):
    return [
        make_user(Role.COMMITTEE_MEMBER, first_name=first, last_name=last)
        for first, last in (("Ana", "Arnaud"), ("Bea", "Bernard"), ("Cyr", "Castel"))
    ]


@pytest.fixture
def ana(members):
    return members[0]


@pytest.fixture
def other_contract(other_territory):
    return EnvelopeFactory(contract=ContractFactory(territory=other_territory)).contract


def on_agenda(session, contract, **kwargs):
    return AgendaItem.objects.get(dossier=make_dossier(S.SCHEDULED, contract=contract, session=session, **kwargs))


@pytest.fixture
def held(members, secretary, contract, other_contract):
    """A held session of the three members, all present, with three items: one voted (Ana for, Bea
    against), one of another territory not voted yet, one whose sponsor Ana declared an interest in."""
    session = make_session(members=members, status=SessionStatus.HELD, sits_on=timezone.localdate())
    session_record_attendance(session=session, actor=secretary, present=[m.pk for m in members])
    voted = on_agenda(session, contract)
    other = on_agenda(session, other_contract)
    linked = on_agenda(session, contract)
    interest_declare(member=members[0], organisation=linked.dossier.organisation, description="Présidente")
    ana, bea, cyr = members
    item_record_votes(item=voted, actor=secretary, votes={ana.pk: FOR, bea.pk: AGAINST, cyr.pk: FOR})
    item_record_votes(item=linked, actor=secretary, votes={bea.pk: FOR, cyr.pk: FOR})
    session.voted, session.other, session.linked = voted, other, linked
    return session


def login(client, user):
    client.force_login(user)
    return user


def html_of(response):
    assert response.status_code == 200
    return response.content.decode()


# Who sees what ----------------------------------------------------------------------------------------


def test_a_member_sees_only_the_sessions_they_sit_on_upcoming_first_then_past(client, ana, members):
    today = timezone.localdate()
    later = make_session(members=[ana], sits_on=today + timedelta(days=30))
    soon = make_session(members=[ana], sits_on=today + timedelta(days=7))
    past = make_session(members=[ana], sits_on=today - timedelta(days=30), status=SessionStatus.CLOSED)
    older = make_session(members=[ana], sits_on=today - timedelta(days=60), status=SessionStatus.CLOSED)
    make_session(members=[members[1]], sits_on=today + timedelta(days=8))
    login(client, ana)

    response = client.get(LIST_URL)

    assert [s.pk for s in response.context["upcoming_sessions"]] == [soon.pk, later.pk]
    assert [s.pk for s in response.context["past_sessions"]] == [past.pk, older.pk]
    html = html_of(response)
    assert html.index(page_url(soon)) < html.index(page_url(later)) < html.index(page_url(past))


def test_the_list_counts_the_items_the_ones_the_member_is_withdrawn_from_and_their_attendance(
    client, held, ana, members, contract
):
    not_recorded = make_session(members=[ana])
    on_agenda(not_recorded, contract, organisation=held.linked.dossier.organisation)
    on_agenda(not_recorded, contract)
    login(client, ana)

    response = client.get(LIST_URL)

    listed = {s.pk: (s.item_count, s.withdrawn_count, s.is_present) for s in response.context["upcoming_sessions"]}
    assert listed == {held.pk: (3, 1, True), not_recorded.pk: (2, 1, None)}
    assert "Not recorded yet" in html_of(response)


def test_a_session_the_member_does_not_sit_on_is_not_found(client, held):
    login(client, make_user(Role.COMMITTEE_MEMBER))

    assert client.get(page_url(held)).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.OFFICER, Role.SPONSOR, Role.COMMITTEE_SECRETARY, Role.FINANCE, Role.ADVISER, Role.ADMINISTRATOR]
)
def test_only_committee_members_reach_the_members_pages(client, held, territory, role):
    login(client, make_user(role, territory=territory))
    before = list(MemberInterest.objects.values_list("pk", flat=True))

    for url in (LIST_URL, page_url(held), INTERESTS_URL):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(INTERESTS_URL, {"territory": territory.pk}).status_code in (403, 404)
    assert client.post(REMOVE_URL, {"interest": before[0]}).status_code in (403, 404)

    assert list(MemberInterest.objects.values_list("pk", flat=True)) == before


def test_visitors_are_refused(client, held):
    for url in (LIST_URL, page_url(held), INTERESTS_URL):
        assert client.get(url).status_code in (302, 403), url


def test_the_site_menu_offers_my_sessions_to_the_members_only(client, ana, territory):
    login(client, ana)
    assert f'href="{LIST_URL}"' in html_of(client.get(reverse("sessions:index")))
    login(client, make_user(Role.COMMITTEE_SECRETARY))
    assert f'href="{LIST_URL}"' not in html_of(client.get(reverse("sessions:index")))


# One session as the member sees it -----------------------------------------------------------------------


def test_the_session_page_shows_the_agenda_in_order_with_the_members_own_votes(client, held, ana):
    login(client, ana)

    response = client.get(page_url(held))

    html = html_of(response)
    items = {item.pk: item for item in response.context["items"]}
    assert list(items) == [held.voted.pk, held.other.pk, held.linked.pk]
    assert items[held.voted.pk].own_vote == FOR
    assert items[held.other.pk].own_vote is None
    assert items[held.linked.pk].own_vote == VoteChoice.WITHDRAWN
    voted = held.voted.dossier
    for text in (voted.reference, voted.title, voted.organisation.name, voted.territory.name, "80,000.00"):
        assert text in html
    assert html.index(voted.reference) < html.index(held.other.dossier.reference)
    assert html.index(held.other.dossier.reference) < html.index(held.linked.dossier.reference)
    assert "Not voted yet" in html


def test_a_member_sees_the_totals_but_not_the_other_members_choices(client, held, ana, members):
    bea = members[1]
    login(client, bea)

    response = client.get(page_url(held))

    html = html_of(response)
    items = {item.pk: item for item in response.context["items"]}
    assert items[held.voted.pk].own_vote == AGAINST
    assert items[held.voted.pk].totals == [("For", 2), ("Against", 1)]
    assert items[held.linked.pk].totals == [("For", 2), ("Withdrawn (déport)", 1)]
    for other in (ana, members[2]):
        assert other.first_name not in html
        assert other.last_name not in html


def test_withdrawn_items_are_marked_with_the_interest_once_votes_are_recorded(client, held, ana):
    login(client, ana)

    response = client.get(page_url(held))

    items = {item.pk: item for item in response.context["items"]}
    linked = items[held.linked.pk]
    assert linked.is_withdrawn
    assert linked.interest.organisation == held.linked.dossier.organisation
    assert not items[held.voted.pk].is_withdrawn and not items[held.other.pk].is_withdrawn
    assert response.context["withdrawn_count"] == 1
    html = html_of(response)
    assert f"interest in “{held.linked.dossier.organisation.name}”" in html
    assert "Présidente" in html


def test_withdrawn_items_are_marked_before_any_vote_from_a_territorys_interest(
    client, ana, contract, other_contract, territory
):
    session = make_session(members=[ana], status=SessionStatus.CONVENED)
    inside = on_agenda(session, contract)
    outside = on_agenda(session, other_contract)
    interest_declare(member=ana, territory=territory, description="Maire d'une commune")
    login(client, ana)

    response = client.get(page_url(session))

    items = {item.pk: item for item in response.context["items"]}
    assert items[inside.pk].is_withdrawn and items[inside.pk].interest.territory == territory
    assert not items[outside.pk].is_withdrawn
    assert f"interest in “{territory.name}”" in html_of(response)
    assert not Vote.objects.exists()


def test_a_member_of_the_session_downloads_its_report_from_the_page(client, ana, contract):
    session = make_session(members=[ana], status=SessionStatus.CONVENED)
    on_agenda(session, contract)
    report = job_run(session_issue_report(session).pk).document
    login(client, ana)

    html = html_of(client.get(page_url(session)))

    download = reverse("documents:download", args=[report.pk])
    assert f'href="{download}"' in html
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    login(client, make_user(Role.COMMITTEE_MEMBER))
    assert client.get(download).status_code == 404


def count_queries(client, url):
    client.get(url)  # the login's session is loaded once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_session_page_costs_the_same_number_of_queries_with_3_or_12_items(
    client, held, ana, members, secretary, contract, other_contract
):
    login(client, ana)
    small = count_queries(client, page_url(held))

    for _ in range(3):
        on_agenda(held, contract)
        on_agenda(held, other_contract, organisation=held.linked.dossier.organisation)
        item = on_agenda(held, other_contract)
        item_record_votes(item=item, actor=secretary, votes={m.pk: FOR for m in members})
    assert count_queries(client, page_url(held)) == small


def test_the_session_list_costs_the_same_number_of_queries_with_2_or_20_sessions(client, held, ana, contract):
    make_session(members=[ana], sits_on=timezone.localdate() - timedelta(days=30))
    login(client, ana)
    small = count_queries(client, LIST_URL)

    for week in range(1, 19):
        session = make_session(members=[ana], sits_on=timezone.localdate() + timedelta(days=(week - 9) * 7))
        on_agenda(session, contract)
        on_agenda(session, contract, organisation=held.linked.dossier.organisation)
    assert count_queries(client, LIST_URL) == small


# Declared interests --------------------------------------------------------------------------------------


def test_a_member_finds_an_organisation_by_siret_or_name_and_declares_an_interest(client, ana):
    organisation = OrganisationFactory(name="Association des Amis du Lac")
    login(client, ana)

    by_siret = client.get(INTERESTS_URL, {"q": organisation.siret[:9]})
    by_name = client.get(INTERESTS_URL, {"q": "amis du lac"})
    assert organisation in by_siret.context["results"]
    assert organisation in by_name.context["results"]

    response = client.post(INTERESTS_URL, {"organisation": organisation.pk, "description": "  Trésorière  "})

    assert response.status_code == 302
    interest = MemberInterest.objects.get(member=ana)
    assert (interest.organisation, interest.territory, interest.description) == (organisation, None, "Trésorière")
    assert interest.declared_on == timezone.localdate()
    html = html_of(client.get(response.url))
    assert "Association des Amis du Lac" in html and "Trésorière" in html


def test_a_member_declares_an_interest_in_a_territory(client, ana, territory):
    login(client, ana)

    assert client.post(INTERESTS_URL, {"territory": territory.pk, "description": "Maire"}).status_code == 302

    assert list(MemberInterest.objects.values_list("member", "organisation", "territory")) == [
        (ana.pk, None, territory.pk)
    ]


@pytest.mark.parametrize("both", [True, False])
def test_an_interest_is_in_an_organisation_or_a_territory_never_both_nor_neither(client, ana, territory, both):
    login(client, ana)
    data = {"organisation": OrganisationFactory().pk, "territory": territory.pk} if both else {"description": "x"}

    response = client.post(INTERESTS_URL, data)

    assert "organisation or in a territory" in html_of(response)
    assert not MemberInterest.objects.exists()


def test_an_interest_declared_twice_is_refused_with_a_clear_message(client, ana, territory):
    organisation = OrganisationFactory(name="SEM Énergies")
    interest_declare(member=ana, organisation=organisation)
    interest_declare(member=ana, territory=territory)
    login(client, ana)

    for data, name in (
        ({"organisation": organisation.pk}, "SEM Énergies"),
        ({"territory": territory.pk}, territory.name),
    ):
        html = html_of(client.post(INTERESTS_URL, data))
        assert f"An interest in “{name}” is already declared" in html
    assert MemberInterest.objects.count() == 2
    assert "Already declared" in html_of(client.get(INTERESTS_URL, {"q": "SEM"}))


def test_the_same_interest_may_be_declared_by_two_members(ana, members, territory):
    interest_declare(member=ana, territory=territory)
    interest_declare(member=members[1], territory=territory)

    assert MemberInterest.objects.count() == 2


def test_a_member_removes_their_own_interest_only(client, ana, members, territory):
    own = interest_declare(member=ana, territory=territory)
    others = interest_declare(member=members[1], territory=territory)
    login(client, ana)

    assert client.post(REMOVE_URL, {"interest": others.pk}).status_code == 404
    assert client.post(REMOVE_URL, {"interest": "nonsense"}).status_code == 404
    assert client.get(INTERESTS_URL).context["interests"] == [own]
    assert client.post(REMOVE_URL, {"interest": own.pk}).status_code == 302

    assert list(MemberInterest.objects.all()) == [others]


def test_an_interest_relied_on_in_a_held_session_is_not_removed(client, held, ana, secretary):
    interest = MemberInterest.objects.get(member=ana)
    login(client, ana)

    response = client.post(REMOVE_URL, {"interest": interest.pk}, follow=True)

    assert "once the session is closed" in html_of(response)
    assert MemberInterest.objects.filter(pk=interest.pk).exists()
    with pytest.raises(ValidationError) as error:
        interest_remove(member=ana, interest=interest, actor=secretary)
    assert error.value.code == "session_held"


def test_the_secretariat_declares_and_removes_a_members_interest_another_member_cannot(
    ana, members, secretary, territory
):
    interest = interest_declare(member=ana, territory=territory, actor=secretary)
    with pytest.raises(PermissionDenied):
        interest_declare(member=ana, organisation=OrganisationFactory(), actor=members[1])
    with pytest.raises(PermissionDenied):
        interest_remove(member=ana, interest=interest, actor=members[1])
    with pytest.raises(ValidationError) as error:
        interest_remove(member=members[1], interest=interest, actor=secretary)
    assert error.value.code == "not_the_members"

    interest_remove(member=ana, interest=interest, actor=secretary)

    assert not MemberInterest.objects.exists()


def test_a_declared_interest_withdraws_the_member_from_the_next_vote(held, ana, members, secretary):
    """The interest declared on the members' page is the one the vote reads."""
    item = held.other
    interest_declare(member=ana, territory=item.dossier.territory)
    bea, cyr = members[1], members[2]

    item_record_votes(item=item, actor=secretary, votes={bea.pk: FOR, cyr.pk: FOR})

    assert Vote.objects.get(item=item, member=ana).choice == VoteChoice.WITHDRAWN


# The Django admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.ADMINISTRATOR, is_superuser=True))
    return client


def test_the_admin_declares_a_members_interest_through_the_service_and_refuses_a_duplicate(
    admin_client, ana, territory
):
    url = reverse("admin:committees_memberinterest_add")

    response = admin_client.post(url, {"member": ana.pk, "territory": territory.pk, "description": "Maire"})
    assert response.status_code == 302
    response = admin_client.post(url, {"member": ana.pk, "territory": territory.pk})
    assert response.status_code == 200
    assert f"An interest in “{territory.name}” is already declared" in response.content.decode()

    assert list(MemberInterest.objects.values_list("member", "territory", "description")) == [
        (ana.pk, territory.pk, "Maire")
    ]


def test_the_admin_shows_attendance_and_votes_read_only_and_keeps_an_interest_relied_on(admin_client, held):
    html = html_of(admin_client.get(reverse("admin:committees_committeesession_change", args=[held.pk])))
    assert "attendances-TOTAL_FORMS" in html
    vote = Vote.objects.filter(item=held.voted).first()
    assert html_of(admin_client.get(reverse("admin:committees_vote_change", args=[vote.pk])))
    assert admin_client.post(reverse("admin:committees_vote_change", args=[vote.pk]), {}).status_code == 403
    interest = MemberInterest.objects.get()

    response = admin_client.post(
        reverse("admin:committees_memberinterest_delete", args=[interest.pk]), {"post": "yes"}, follow=True
    )

    assert "once the session is closed" in html_of(response)
    assert MemberInterest.objects.filter(pk=interest.pk).exists()
