"""The REST API: `/api/v1/…` (the resources, `api.routers`), the OpenAPI 3 schema at `/api/schema/` and
its browsable documentation at `/api/docs/` (assets served from drf-spectacular-sidecar, no CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api.routers import router

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
