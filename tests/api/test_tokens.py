"""Personal API tokens and organisations' service accounts: shown once, stored hashed, revocable by their
owner only, authenticating `Authorization: Bearer ct_…` on the API."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.models import ApiToken, ServiceAccount
from api.tokens import service_account_for, service_token_create, token_authenticate, token_create, token_revoke
from dossiers.models import Membership
from dossiers.selectors import dossier_list_for_user
from tests.factories import OrganisationFactory, make_dossier, make_user
from workflows.enums import DossierState, Role
from workflows.permissions import user_roles

pytestmark = pytest.mark.django_db
API_ROOT = "/api/v1/"
TOKENS = "/compte/jetons-api/"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# The token itself -----------------------------------------------------------------------------------


def test_the_raw_token_is_never_stored_only_its_digest(finance):
    token, raw = token_create(user=finance, name="Export comptable")
    assert raw.startswith(f"ct_{token.prefix}_")
    assert len(token.prefix) == 8
    assert len(raw.split("_", 2)[2]) >= 43  # 32 random bytes, url-safe
    secret = raw[len(f"ct_{token.prefix}_") :]
    stored = ApiToken.objects.values_list("name", "prefix", "digest").get(pk=token.pk)
    assert token.digest != raw and len(token.digest) == 64
    assert all(secret not in str(value) and raw not in str(value) for value in stored)


def test_two_tokens_have_different_prefixes_and_secrets(finance):
    first = token_create(user=finance, name="Un")
    second = token_create(user=finance, name="Deux")
    assert first[0].prefix != second[0].prefix
    assert first[1] != second[1]


def test_a_token_name_is_required_and_unique_among_the_users_live_tokens(finance):
    with pytest.raises(ValidationError) as error:
        token_create(user=finance, name="  ")
    assert error.value.code == "name_required"
    token, _raw = token_create(user=finance, name="Export")
    with pytest.raises(ValidationError) as error:
        token_create(user=finance, name="Export")
    assert error.value.code == "name_taken"
    token_revoke(token=token, actor=finance)
    token_create(user=finance, name="Export")  # the name of a revoked token is free again
    assert ApiToken.objects.filter(user=finance, name="Export").count() == 2


def test_a_bearer_token_authenticates_its_user_on_the_api(client, finance):
    _token, raw = token_create(user=finance, name="Export")
    response = client.get(API_ROOT, **bearer(raw))
    assert response.status_code == 200
    assert response.wsgi_request.user == finance


def test_the_token_keyword_is_accepted_too(client, finance):
    _token, raw = token_create(user=finance, name="Export")
    assert client.get(API_ROOT, HTTP_AUTHORIZATION=f"Token {raw}").status_code == 200


def test_without_credentials_the_api_answers_401_with_the_bearer_scheme(client):
    response = client.get(API_ROOT)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("mangle", [lambda raw: raw[:-2] + "xx", lambda raw: "ct_unknown_" + raw[12:], lambda raw: "x"])
def test_a_wrong_token_is_refused_with_401(client, finance, mangle):
    _token, raw = token_create(user=finance, name="Export")
    response = client.get(API_ROOT, **bearer(mangle(raw)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "invalid_token"


def test_a_revoked_token_is_refused_with_401(client, finance):
    token, raw = token_create(user=finance, name="Export")
    token_revoke(token=token, actor=finance)
    response = client.get(API_ROOT, **bearer(raw))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert (body["code"], body["errors"]) == ("invalid_token", {})
    assert body["detail"]


def test_the_token_of_a_disabled_user_authenticates_nobody(finance):
    _token, raw = token_create(user=finance, name="Export")
    finance.is_active = False
    finance.save()
    assert token_authenticate(raw) is None


def test_the_last_use_is_recorded_at_most_once_a_minute(client, finance):
    token, raw = token_create(user=finance, name="Export")
    assert token.last_used_at is None
    client.get(API_ROOT, REMOTE_ADDR="192.0.2.10", **bearer(raw))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None and token.last_used_ip == "192.0.2.10"
    client.get(API_ROOT, REMOTE_ADDR="192.0.2.11", **bearer(raw))
    token.refresh_from_db()
    assert (token.last_used_at, token.last_used_ip) == (first_use, "192.0.2.10")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=2))
    client.get(API_ROOT, REMOTE_ADDR="192.0.2.11", **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at > first_use and token.last_used_ip == "192.0.2.11"


def test_a_token_is_revoked_once(finance):
    token, _raw = token_create(user=finance, name="Export")
    token_revoke(token=token, actor=finance)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    with pytest.raises(ValidationError) as error:
        token_revoke(token=token, actor=finance)
    assert error.value.code == "already_revoked"
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at


def test_another_user_cannot_revoke_a_token(finance, secretary):
    token, raw = token_create(user=finance, name="Export")
    with pytest.raises(PermissionDenied):
        token_revoke(token=token, actor=secretary)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert token_authenticate(raw) == finance


# Service accounts -----------------------------------------------------------------------------------


def test_an_organisation_has_one_service_account_a_sponsor_member_without_password():
    organisation = OrganisationFactory()
    account = service_account_for(organisation)
    assert service_account_for(organisation) == account
    assert ServiceAccount.objects.filter(organisation=organisation).count() == 1
    assert account.username == f"service-{organisation.siren}-{organisation.pk}"
    assert not account.has_usable_password()
    assert Membership.objects.filter(organisation=organisation, user=account).exists()
    assert user_roles(account) == {Role.SPONSOR}


def test_a_service_account_token_acts_as_a_member_of_its_organisation(client):
    dossier = make_dossier(DossierState.SUBMITTED)
    other = make_dossier(DossierState.SUBMITTED)
    member = dossier.created_by
    token, raw = service_token_create(organisation=dossier.organisation, actor=member, name="Logiciel métier")
    assert token.user == service_account_for(dossier.organisation)
    user = token_authenticate(raw)
    assert user == token.user != member
    assert list(dossier_list_for_user(user)) == [dossier]
    response = client.get("/api/v1/dossiers/", **bearer(raw))
    assert response.status_code == 200
    assert dossier.reference in response.content.decode()
    assert other.reference not in response.content.decode()


def test_only_a_member_creates_a_service_account_token():
    organisation = OrganisationFactory()
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    with pytest.raises(PermissionDenied):
        service_token_create(organisation=organisation, actor=outsider, name="Intrus")
    assert not ServiceAccount.objects.exists() and not ApiToken.objects.exists()


def test_every_member_of_the_organisation_may_revoke_its_service_account_tokens():
    organisation = OrganisationFactory()
    creator = make_user(Role.SPONSOR, organisation=organisation)
    colleague = make_user(Role.SPONSOR, organisation=organisation)
    token, _raw = service_token_create(organisation=organisation, actor=creator, name="Logiciel")
    token_revoke(token=token, actor=colleague)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


# Pages ----------------------------------------------------------------------------------------------


def test_the_raw_token_is_shown_once_on_the_page_that_creates_it(client, finance):
    client.force_login(finance)
    response = client.post(reverse("api_tokens:token_new"), {"name": "Export comptable"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=finance)
    raw = response.context["raw"]
    assert raw.startswith(f"ct_{token.prefix}_") and raw in response.content.decode()
    listing = client.get(TOKENS)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Export comptable" in page and f"ct_{token.prefix}_" in page
    assert raw not in page
    assert token_authenticate(raw) == finance


def test_staff_and_sponsors_see_the_page_in_their_own_space(client, finance):
    client.force_login(finance)
    assert "workflows/dossier/base.html" in [t.name for t in client.get(TOKENS).templates]
    sponsor = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    client.force_login(sponsor)
    assert "portal/base.html" in [t.name for t in client.get(TOKENS).templates]


def test_a_token_without_name_is_not_created(client, finance):
    client.force_login(finance)
    response = client.post(reverse("api_tokens:token_new"), {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_a_token_from_the_page(client, finance):
    token, raw = token_create(user=finance, name="Export")
    client.force_login(finance)
    response = client.post(reverse("api_tokens:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert token_authenticate(raw) is None


def test_another_user_gets_404_when_revoking_a_token(client, finance, secretary):
    token, raw = token_create(user=finance, name="Comptabilité Q7")
    client.force_login(secretary)
    assert client.post(reverse("api_tokens:token_revoke", args=[token.pk])).status_code == 404
    assert token_authenticate(raw) == finance
    assert "Comptabilité Q7" not in client.get(TOKENS).content.decode()


def test_a_sponsor_creates_and_sees_the_service_account_tokens_of_their_organisation(client):
    organisation = OrganisationFactory(name="Commune de Pierrefeu")
    sponsor = make_user(Role.SPONSOR, organisation=organisation)
    client.force_login(sponsor)
    url = reverse("api_tokens:service_token_new", args=[organisation.pk])
    response = client.post(url, {f"organisation-{organisation.pk}-name": "Logiciel métier"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert token.user == service_account_for(organisation)
    assert token_authenticate(response.context["raw"]) == token.user
    page = client.get(TOKENS).content.decode()
    section = page[page.index(f'id="organisation-{organisation.pk}-title"') :]
    assert "Commune de Pierrefeu" in section and "Logiciel métier" in section


def test_a_sponsor_of_another_organisation_gets_404_for_its_service_account(client):
    organisation = OrganisationFactory()
    token, raw = service_token_create(
        organisation=organisation, actor=make_user(Role.SPONSOR, organisation=organisation), name="Logiciel"
    )
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    client.force_login(outsider)
    url = reverse("api_tokens:service_token_new", args=[organisation.pk])
    assert client.post(url, {f"organisation-{organisation.pk}-name": "Intrus"}).status_code == 404
    assert client.post(reverse("api_tokens:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().revoked_at is None and token_authenticate(raw) == token.user
    assert "Logiciel" not in client.get(TOKENS).content.decode()


def test_the_list_runs_a_constant_number_of_queries(client):
    organisation = OrganisationFactory()
    sponsor = make_user(Role.SPONSOR, organisation=organisation)
    client.force_login(sponsor)

    def tokens(count):
        ApiToken.objects.all().delete()
        for number in range(count):
            token_create(user=sponsor, name=f"Perso {number}")
            service_token_create(organisation=organisation, actor=sponsor, name=f"Service {number}")
        client.get(TOKENS)  # warm up (session, service account)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TOKENS).status_code == 200
        return len(queries)

    assert tokens(2) == tokens(10)


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", TOKENS),
        ("post", TOKENS + "nouveau/"),
        ("post", TOKENS + "1/revoquer/"),
        ("post", TOKENS + "organisations/1/nouveau/"),
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not ApiToken.objects.exists()


def test_revoked_tokens_stay_listed_as_revoked(client, finance):
    token, _raw = token_create(user=finance, name="Ancien")
    token_revoke(token=token, actor=finance)
    client.force_login(finance)
    page = client.get(TOKENS).content.decode()
    assert "Ancien" in page
    assert reverse("api_tokens:token_revoke", args=[token.pk]) not in page
