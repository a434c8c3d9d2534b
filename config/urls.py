from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from workflows.frontend import site

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("region/", site.urls),
    path("", include("portal.urls")),
    path("", include("messaging.urls")),
    path("", include("dossiers.urls")),
    path("", include("documents.urls")),
    path("", include("payments.urls_deadlines")),
    path("", include("payments.urls")),
    path("", include("payments.urls_accounts")),
    path("", include("engineering.urls")),
    path("", include("roadmaps.urls")),
    path("", include("api.token_urls")),
    path("", include("opendata.urls")),
    prefix_default_language=False,
)
