import pytest

from tests.factories import make_user
from workflows.enums import Role


@pytest.fixture
def admin(db):
    return make_user(Role.ADMINISTRATOR)
