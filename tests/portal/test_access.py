"""Access to every URL of the portal (read from portal.urls, so that a new URL cannot escape this test):
anonymous visitors are sent to the login page except on the public pages, another sponsor finds nothing
(404), the Region's staff are refused the sponsor's pages (403, or 404 for what is outside their scope)."""

import pytest
from django.urls import reverse

from dossiers.models import Membership
from portal import urls as portal_urls
from portal.enums import MembershipRequestStatus
from portal.models import MembershipRequest
from tests.factories import ContractFactory, EnvelopeFactory, OrganisationFactory, make_draft, make_user
from tests.portal.helpers import snapshot
from workflows.enums import Role

PUBLIC = {"orientation", "commune_search", "signup"}
POST_ONLY = {"membership_request_decide", "piece_remove"}
# Pages of one's own space, with no object of anybody else's in their URL.
OWN_SPACE = {"home", "organisation_new", "organisation_join", "dossier_new"}
# Reached by whoever may see the dossier (its sponsor, the territory's officers...), not by sponsors only.
SCOPED = {"piece_download"}
NAMES = [pattern.name for pattern in portal_urls.urlpatterns]


@pytest.fixture
def world(contract, organisation, sponsor):
    dossier = make_draft(contract=contract, organisation=organisation, creator=sponsor)
    applicant = make_user(Role.SPONSOR)
    membership_request = MembershipRequest.objects.create(organisation=organisation, user=applicant)
    return {"dossier": dossier, "organisation": organisation, "request": membership_request}


def url_of(name, world):
    dossier = world["dossier"]
    kwargs = {
        "orientation": {},
        "commune_search": {},
        "signup": {},
        "home": {},
        "organisation_new": {},
        "organisation_join": {},
        "organisation_detail": {"pk": world["organisation"].pk},
        "membership_request_decide": {"pk": world["request"].pk, "decision": "accepter"},
        "dossier_new": {},
        "dossier_detail": {"pk": dossier.pk},
        "dossier_step": {"pk": dossier.pk, "step": "pieces"},
        "dossier_withdraw": {"pk": dossier.pk},
        "piece_remove": {"pk": dossier.pk, "piece_pk": dossier.pieces.first().pk},
        "piece_download": {"pk": dossier.pk, "piece_pk": dossier.pieces.first().pk},
    }[name]
    return reverse(f"portal:{name}", kwargs=kwargs)


def request(client, name, url):
    return client.post(url) if name in POST_ONLY else client.get(url)


def unchanged(world):
    membership_request = MembershipRequest.objects.get(pk=world["request"].pk)
    return (
        snapshot(world["dossier"]),
        membership_request.status == MembershipRequestStatus.PENDING,
        Membership.objects.filter(user=membership_request.user).exists(),
    )


def test_every_url_of_the_portal_is_covered_here():
    assert set(NAMES) == PUBLIC | POST_ONLY | OWN_SPACE | SCOPED | {
        "organisation_detail",
        "dossier_detail",
        "dossier_step",
        "dossier_withdraw",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_anonymous_visitors_are_sent_to_log_in_except_on_the_public_pages(client, world, name):
    before = unchanged(world)
    url = url_of(name, world)

    response = request(client, name, url)

    if name in PUBLIC:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"
    assert unchanged(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(NAMES) - PUBLIC - OWN_SPACE))
def test_another_sponsor_finds_nothing_of_someone_elses(client, world, name):
    stranger = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    client.force_login(stranger)
    before = unchanged(world)

    response = request(client, name, url_of(name, world))

    assert response.status_code == 404
    assert unchanged(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(NAMES) - PUBLIC))
def test_an_officer_of_another_territory_is_refused_everything(client, world, other_territory, name):
    EnvelopeFactory(contract=ContractFactory(territory=other_territory))
    client.force_login(make_user(Role.OFFICER, territory=other_territory))
    before = unchanged(world)

    response = request(client, name, url_of(name, world))

    assert response.status_code in (403, 404)
    assert unchanged(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(NAMES) - PUBLIC - SCOPED))
def test_the_regions_staff_are_refused_the_sponsors_pages_even_for_dossiers_they_instruct(client, world, name):
    officer = make_user(Role.OFFICER, territory=world["dossier"].territory)
    client.force_login(officer)
    before = unchanged(world)

    response = request(client, name, url_of(name, world))

    assert response.status_code == 403
    assert unchanged(world) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.FINANCE, Role.ADMINISTRATOR])
def test_region_wide_roles_have_no_sponsor_space(client, role):
    client.force_login(make_user(role))

    assert client.get(reverse("portal:home")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(NAMES) - POST_ONLY))
def test_the_owner_reaches_every_page(client, world, sponsor, name):
    client.force_login(sponsor)

    response = client.get(url_of(name, world))

    assert response.status_code == (302 if name == "signup" else 200)
