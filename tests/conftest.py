import os

import pytest
from django.db import connection

from tests import factories
from workflows.enums import Role


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are skipped on SQLite, except when the run must prove them
    (REQUIRE_POSTGRESQL=1, as `.ci/run` and `make test-postgresql` set): then SQLite is an error."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    on_postgresql = engine == "django.db.backends.postgresql"
    if os.environ.get("REQUIRE_POSTGRESQL") == "1" and not on_postgresql:
        raise pytest.UsageError("REQUIRE_POSTGRESQL=1 but DATABASE_URL is not a PostgreSQL database")
    if on_postgresql:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def territory(db):
    return factories.make_territory("Territoire A")


@pytest.fixture
def other_territory(db):
    return factories.make_territory("Territoire B")


@pytest.fixture
def contract(territory):
    return factories.EnvelopeFactory(contract=factories.ContractFactory(territory=territory)).contract


@pytest.fixture
def officer(territory):
    return factories.make_user(Role.OFFICER, territory=territory)


@pytest.fixture
def vendor():
    return connection.vendor


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
