"""Every endpoint and method of the API, by users of another organisation or territory: an object of
the dossier's world is a 404 to them (a 405 where the method is not offered at all), never its data;
nothing changes. Reference data and the rules, public to every authenticated user, are the exception.
The routes are read from the URLconf (`tests/test_access_every_url.py` fills their parameters), so a new
endpoint is covered as soon as it exists."""

import re

import pytest
from django.core.cache import cache

from tests.factories import OrganisationFactory, make_territory, make_user
from tests.test_access_every_url import application_routes, fill, snapshot, world  # noqa: F401 (fixture)
from workflows.enums import Role

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
# Public to every authenticated user: the Region's reference data and its published rules.
PUBLIC = re.compile(
    r"^api/v1/\^(departments|epcis|communes|territories|contracts|envelopes|themes|piece-types|rule-sets)/"
)


def object_routes():
    """The API's routes that designate one object (or one object's sub-resource) of the world."""
    return [
        route
        for route in application_routes()
        if route.startswith("api/v1/") and "(?P<" in route and not PUBLIC.match(route)
    ]


def test_the_api_routes_to_check_cover_every_resource_of_the_dossier():
    routes = object_routes()
    for resource in (
        "dossiers",
        "tasks",
        "committee-sessions",
        "payment-requests",
        "documents",
        "webhook-subscriptions",
    ):
        assert any(route.startswith(f"api/v1/^{resource}/") for route in routes), resource
    assert len(routes) > 50


def test_another_organisation_or_territory_gets_a_404_on_every_object_endpoint_and_method(world, api_client):  # noqa: F811
    stranger = make_user(Role.OFFICER, territory=make_territory("Territoire B"))
    other_sponsor = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    other_representative = make_user(
        Role.REPRESENTATIVE, territory=stranger.groups.get(name__startswith="territory:").territory
    )
    before = snapshot(world)
    answers = {}
    for user in (stranger, other_sponsor, other_representative):
        api_client.force_authenticate(user)
        for route in object_routes():
            url = fill(route, world)
            for method in METHODS:
                cache.clear()  # the rate limits would answer 429
                response = getattr(api_client, method)(url, {}, format="json")
                answers[(user.username, method, url)] = response.status_code
    unexpected = {key: status for key, status in answers.items() if status not in (404, 405)}
    assert unexpected == {}
    assert snapshot(world) == before
