"""The public open-data pages need no login; the staff's history is for finance and administrators
(a 404 for everyone else), and only an administrator publishes by hand (POST with the CSRF token)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from opendata.enums import PublicationStatus
from opendata.models import Publication
from opendata.services import open_data_publish
from tests.factories import OrganisationFactory, make_user
from tests.opendata.conftest import grant
from workflows.enums import Role

pytestmark = pytest.mark.django_db
INDEX_URL = "/donnees-ouvertes/"
CSV_URL = "/donnees-ouvertes/subventions.csv"
STAFF_URL = "/region/open-data/"
PUBLISH_URL = "/region/open-data/publish/"


def test_before_any_publication_the_file_address_is_a_404_page_that_says_so(client):
    response = client.get(CSV_URL)
    assert response.status_code == 404
    assert "opendata/not_published.html" in [template.name for template in response.templates]
    assert client.get(INDEX_URL).status_code == 200


def test_the_public_file_and_page_need_no_login(client):
    grant()
    grant()
    publication = open_data_publish()
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="subventions.csv"'
    with publication.file.open("rb") as handle:
        assert b"".join(response.streaming_content) == handle.read()

    page = client.get(INDEX_URL)
    assert page.status_code == 200
    assert page.context["publication"] == publication
    text = page.content.decode()
    assert '<dd class="rows">2</dd>' in text
    assert "https://schema.data.gouv.fr/scdl/subventions/2.1.1/" in text
    assert "Licence Ouverte / Etalab 2.0" in text
    schema = client.get("/donnees-ouvertes/schema.json")
    assert schema.status_code == 200 and len(schema.json()["fields"]) == 16


@pytest.mark.parametrize("role", [Role.SPONSOR, Role.OFFICER, Role.COMMITTEE_SECRETARY, Role.ADVISER])
def test_the_staff_history_and_the_publish_button_are_a_404_for_other_roles(client, role, territory):
    if role == Role.SPONSOR:
        user = make_user(role, organisation=OrganisationFactory())
    else:
        user = make_user(role, territory=territory)
    client.force_login(user)
    assert client.get(STAFF_URL).status_code == 404
    assert client.post(PUBLISH_URL).status_code == 404
    assert not Publication.objects.exists()


def test_anonymous_visitors_do_not_reach_the_staff_history(client):
    assert client.get(STAFF_URL).status_code in (302, 404)
    assert client.post(PUBLISH_URL).status_code in (302, 404)
    assert not Publication.objects.exists()


def test_finance_sees_the_history_with_the_refused_attempts_but_does_not_publish(client, finance):
    faulty = grant()
    faulty.organisation.__class__.objects.filter(pk=faulty.organisation_id).update(siret="", rna=None)
    open_data_publish()
    client.force_login(finance)
    response = client.get(STAFF_URL)
    assert response.status_code == 200
    assert faulty.reference in response.content.decode()
    assert 'id="publish-form"' not in response.content.decode()
    assert client.post(PUBLISH_URL).status_code == 404
    assert Publication.objects.count() == 1


def test_an_administrator_publishes_by_a_post_with_the_csrf_token():
    grant()
    admin = make_user(Role.ADMINISTRATOR)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    assert browser.post(PUBLISH_URL).status_code == 403
    assert not Publication.objects.exists()
    page = browser.get(STAFF_URL)
    token = page.context["csrf_token"]
    response = browser.post(PUBLISH_URL, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert (publication.status, publication.rows, publication.generated_by) == (PublicationStatus.PUBLISHED, 1, admin)
    assert browser.get(f"{STAFF_URL}{publication.pk}/subventions.csv").status_code == 200


def _history_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(STAFF_URL).status_code == 200
    return len(queries)


def test_the_history_runs_the_same_number_of_queries_whatever_its_length(client, finance):
    admin = make_user(Role.ADMINISTRATOR)
    for _ in range(2):
        open_data_publish(actor=admin)
    client.force_login(finance)
    few = _history_queries(client)
    for _ in range(8):
        open_data_publish(actor=admin)
    assert _history_queries(client) == few
