"""The OpenAPI schema and its documentation: served by the application itself (no CDN), documenting the
bearer token scheme."""

import re

import pytest
import yaml

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_bearer_token_scheme(client, finance):
    client.force_login(finance)
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    operations = [operation for item in schema["paths"].values() for operation in item.values()]
    assert operations and all({"apiToken": []} in operation["security"] for operation in operations)


def test_the_schema_is_served_as_yaml_too(client, finance):
    client.force_login(finance)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert "apiToken" in yaml.safe_load(response.content)["components"]["securitySchemes"]


def test_the_documentation_page_loads_nothing_from_a_cdn(client, finance):
    client.force_login(finance)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    external = re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//[^"']+""", page)
    assert external == []
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_every_operation_documents_its_errors_with_the_error_body(client, finance):
    client.force_login(finance)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "detail"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            statuses = {"400", "401", "403", "404", "429", "500"}
            if method != "get":
                statuses.add("409")
            assert statuses <= set(operation["responses"]), (method, path)
            for status in statuses:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (method, path, status)
            assert "Retry-After" in operation["responses"]["429"]["headers"]


@pytest.mark.parametrize("address", ["/api/v1/dossiers/abc/", "/api/v1/nothing-here/", "/api/v2/"])
def test_an_unknown_address_under_the_api_is_a_json_404(client, finance, address):
    client.force_login(finance)
    response = client.get(address)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def schema_in(client, language):
    response = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.json()


def test_every_endpoint_and_error_is_documented_in_french_and_in_english(client, finance):
    client.force_login(finance)
    english, french = schema_in(client, "en"), schema_in(client, "fr")
    assert english["components"]["schemas"]["Error"]["description"] == "The body of every error of the API."
    assert french["components"]["schemas"]["Error"]["description"] == "Le corps de toute erreur de l'API."
    for path, item in english["paths"].items():
        for method, operation in item.items():
            translated = french["paths"][path][method]
            assert operation.get("description"), (method, path)
            assert translated["description"] != operation["description"], (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["description"] != translated["responses"][status]["description"], (path, status)


@pytest.mark.parametrize("address", ["/api/v1/dossiers/", "/api/v1/dossiers/1/engineering-post/"])
def test_options_is_a_method_not_offered(client, finance, address):
    client.force_login(finance)
    response = client.options(address)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
