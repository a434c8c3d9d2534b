from django.urls import path

from portal.views import dossiers, organisations, public, steps

app_name = "portal"
urlpatterns = [
    # Public: before any account.
    path("orientation/", public.orientation, name="orientation"),
    path("orientation/communes/", public.commune_autocomplete, name="commune_search"),
    path("inscription/", public.signup, name="signup"),
    # The sponsor's space.
    path("porteur/", organisations.home, name="home"),
    path("porteur/organisations/nouvelle/", organisations.organisation_new, name="organisation_new"),
    path("porteur/organisations/rejoindre/", organisations.organisation_join, name="organisation_join"),
    path("porteur/organisations/<int:pk>/", organisations.organisation_detail, name="organisation_detail"),
    path(
        "porteur/demandes-adhesion/<int:pk>/<slug:decision>/",
        organisations.membership_request_decide,
        name="membership_request_decide",
    ),
    path("porteur/dossiers/nouveau/", dossiers.dossier_new, name="dossier_new"),
    path("porteur/dossiers/<int:pk>/", dossiers.dossier_detail, name="dossier_detail"),
    path("porteur/dossiers/<int:pk>/etape/<slug:step>/", steps.dossier_step, name="dossier_step"),
    path("porteur/dossiers/<int:pk>/retrait/", dossiers.dossier_withdraw_confirm, name="dossier_withdraw"),
    path("porteur/dossiers/<int:pk>/pieces/<int:piece_pk>/retirer/", dossiers.piece_remove, name="piece_remove"),
    path("porteur/dossiers/<int:pk>/pieces/<int:piece_pk>/", dossiers.piece_download, name="piece_download"),
]
