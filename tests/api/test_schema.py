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
