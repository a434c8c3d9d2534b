"""Every error of the API has the body `{"code", "detail", "errors"}`; an unexpected error is a 500 with a
correlation id that is in the logs, and nothing of the internals; writes and failed authentications are
rate-limited with `Retry-After`."""

import logging

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.tokens import token_create

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.test_errors")]
INTERNAL = "secret-internal-detail-of-the-database"


class Payload(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    title = serializers.CharField()


class Failing(APIView):
    """Raises what its `kind` names, as a service or a serializer would."""

    def get(self, request, kind):
        if kind == "crash":
            raise RuntimeError(INTERNAL)
        if kind == "django-validation":
            raise ValidationError("The dossier is not in draft.", code="not_draft")
        if kind == "django-field-validation":
            raise ValidationError({"title": ValidationError("Too long.", code="too_long")})
        if kind == "permission":
            raise PermissionDenied("Only the sponsor may do this.")
        if kind == "missing":
            raise Http404
        return Response({"ok": True})

    def post(self, request, kind):
        Payload(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True}, status=201)


urlpatterns = [path("api/test/<str:kind>/", Failing.as_view())]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(client, finance):
    client.force_login(finance)
    return client


def test_an_unexpected_error_is_a_500_with_a_correlation_id_found_in_the_logs(api, caplog):
    with caplog.at_level(logging.ERROR, logger="api"):
        response = api.get("/api/test/crash/")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert len(body["correlation_id"]) == 32
    assert body["correlation_id"] in body["detail"]
    assert INTERNAL not in response.content.decode() and "Traceback" not in response.content.decode()
    record = next(record for record in caplog.records if body["correlation_id"] in record.getMessage())
    assert record.exc_info and INTERNAL in str(record.exc_info[1])


def test_a_django_validation_error_is_a_400_with_its_code(api):
    response = api.get("/api/test/django-validation/")
    assert response.status_code == 400
    assert response.json() == {"code": "not_draft", "detail": "The dossier is not in draft.", "errors": {}}


def test_a_django_validation_error_on_a_field_keeps_the_field_errors(api):
    response = api.get("/api/test/django-field-validation/")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["errors"]) == ("invalid", {"title": ["Too long."]})
    assert body["detail"]


def test_field_errors_of_a_serializer_stay_under_errors(api):
    response = api.post("/api/test/payload/", {"amount": "abc"}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"amount", "title"}
    assert len(body["errors"]["title"]) == 1 and body["detail"]


def test_a_refused_permission_is_a_403_with_the_services_sentence(api):
    response = api.get("/api/test/permission/")
    assert response.status_code == 403
    assert response.json() == {"code": "permission_denied", "detail": "Only the sponsor may do this.", "errors": {}}


def test_a_missing_object_is_a_404_coded_not_found(api):
    response = api.get("/api/test/missing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# Rate limits -----------------------------------------------------------------------------------------


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"api_write_user": None, "api_write_ip": None, "api_auth_ip": None, **rates},
        }

    return set_rates


def _write(client, **extra):
    return client.post("/api/test/payload/", {"amount": "1", "title": "x"}, content_type="application/json", **extra)


def test_writes_are_limited_per_token_with_retry_after(client, rates, finance):
    rates(api_write_user="2/min")
    _token, raw = token_create(user=finance, name="Export")
    _other, other_raw = token_create(user=finance, name="Autre")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert [_write(client, **auth).status_code for _ in range(2)] == [201, 201]
    response = _write(client, **auth)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"
    assert client.get("/api/test/ok/", **auth).status_code == 200  # reading is not limited
    assert _write(client, HTTP_AUTHORIZATION=f"Bearer {other_raw}").status_code == 201  # another token is


def test_writes_are_limited_per_session_user(api, rates):
    rates(api_write_user="1/min")
    assert _write(api).status_code == 201
    assert _write(api).status_code == 429


def test_writes_are_limited_per_address_whoever_makes_them(client, rates, finance, secretary):
    rates(api_write_ip="2/min")
    for user in (finance, secretary):
        client.force_login(user)
        assert _write(client, REMOTE_ADDR="192.0.2.1").status_code == 201
    assert _write(client, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert _write(client, REMOTE_ADDR="192.0.2.2").status_code == 201


def test_failed_token_authentications_are_limited_per_address(client, rates, finance):
    rates(api_auth_ip="2/min")
    _token, raw = token_create(user=finance, name="Export")
    wrong = {"HTTP_AUTHORIZATION": "Bearer ct_AAAAAAAA_wrong", "REMOTE_ADDR": "192.0.2.1"}
    assert [client.get("/api/test/ok/", **wrong).status_code for _ in range(2)] == [401, 401]
    response = client.get("/api/test/ok/", **wrong)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # The address is refused even with a good token until the window passes; other addresses are not.
    good = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/test/ok/", REMOTE_ADDR="192.0.2.1", **good).status_code == 429
    assert client.get("/api/test/ok/", REMOTE_ADDR="192.0.2.2", **good).status_code == 200


def test_successful_authentications_are_not_counted(client, rates, finance):
    rates(api_auth_ip="1/min")
    _token, raw = token_create(user=finance, name="Export")
    for _ in range(3):
        assert client.get("/api/test/ok/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
