import pytest
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import make_user
from workflows.enums import Role


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api(api_client):
    """`api(user)`: the API client logged in as `user` (session authentication, as the browser)."""

    def login(user):
        api_client.force_login(user)
        return api_client

    return login


@pytest.fixture
def stranger(other_territory):
    """An officer of another territory."""
    return make_user(Role.OFFICER, territory=other_territory)


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """A request activates its language on the thread (LocaleMiddleware): later tests start without it."""
    yield
    translation.deactivate()
