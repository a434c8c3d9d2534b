"""The REST API: `/api/v1/…` (the resources, `api.routers`), the OpenAPI 3 schema at `/api/schema/` and
its browsable documentation at `/api/docs/` (assets served from drf-spectacular-sidecar, no CDN); any other
address under `/api/` answers the API's 404 in JSON."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.exceptions import not_found_view
from api.routers import router

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Anything else under /api/ (a malformed id, a mistyped path): the API's 404, in JSON.
    re_path(r"", not_found_view, name="not_found"),
]
