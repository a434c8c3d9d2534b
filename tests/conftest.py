import os

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

from tests import factories
from tests.browser import browser, page  # noqa: F401  (fixtures of the browser tests)
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
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media" / "documents")},
        },
    }
    settings.DOCUMENTS_RETRY_DELAYS = [0, 0]


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
def representative(territory):
    """An elected representative of `territory`: reads its dossiers, sees and edits its roadmap."""
    return factories.make_user(Role.REPRESENTATIVE, territory=territory)


@pytest.fixture
def secretary(db):
    return factories.make_user(Role.COMMITTEE_SECRETARY)


@pytest.fixture
def finance(db):
    return factories.make_user(Role.FINANCE)


@pytest.fixture
def vendor():
    return connection.vendor


@pytest.fixture(autouse=True)
def _language_restored():
    """A request to an English page activates English for the thread: give the next test its language."""
    from django.utils import translation

    with translation.override(translation.get_language()):
        yield


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Each test starts with an empty cache: the API's rate counters never carry over."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _flushed_serialized_data(item) -> bool:
    """Whether the test ran in a transactional test case with `serialized_rollback` (not skipped)."""
    marker = item.get_closest_marker("django_db")
    ran = "_django_db_helper" in (getattr(item, "funcargs", None) or {})
    return (
        ran
        and marker is not None
        and bool(marker.kwargs.get("transaction") and marker.kwargs.get("serialized_rollback"))
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A `transaction=True` test ends with a flush that empties every table. With
    `serialized_rollback=True`, Django reloads the rows the migrations created (rule set version 1,
    themes, piece types, role groups, content types, permissions) before the test but not after it, so
    a later transactional test would find them gone. Reload them once the flush is done, leaving the
    database as the migrations left it."""
    try:
        return (yield)
    finally:
        if nextitem is not None and _flushed_serialized_data(item):
            from django.db import connections

            with item.config.stash[blocking_manager_key].unblock():
                for alias in connections:
                    contents = getattr(connections[alias], "_test_serialized_contents", None)
                    if contents:
                        connections[alias].creation.deserialize_db_from_string(contents)
