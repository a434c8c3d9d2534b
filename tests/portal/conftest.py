import pytest
from django.utils import translation

from dossiers.models import Commune
from tests.factories import OrganisationFactory, make_user
from workflows.enums import Role


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """The test client leaves the language of its last request active in the thread."""
    yield
    translation.deactivate()


@pytest.fixture
def commune(contract):
    return Commune.objects.filter(epci__territory=contract.territory).first()


@pytest.fixture
def organisation(commune):
    return OrganisationFactory(commune=commune)


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


@pytest.fixture
def sponsor_client(client, sponsor):
    client.force_login(sponsor)
    return client
