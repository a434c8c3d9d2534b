from django.urls import path

from api import token_views

app_name = "api_tokens"
urlpatterns = [
    path("compte/jetons-api/", token_views.token_list, name="token_list"),
    path("compte/jetons-api/nouveau/", token_views.token_new, name="token_new"),
    path("compte/jetons-api/<int:pk>/revoquer/", token_views.token_revoke_view, name="token_revoke"),
    path(
        "compte/jetons-api/organisations/<int:pk>/nouveau/",
        token_views.service_token_new,
        name="service_token_new",
    ),
]
