"""The signed convention's and the bank details' URLs outside the staff site (finance's page is the
`bank_details` application of `workflows.frontend.site`)."""

from django.urls import path

from payments import bank_views, convention_views

app_name = "payments_accounts"
urlpatterns = [
    path("porteur/dossiers/<int:pk>/convention/", convention_views.convention_submit_view, name="convention_submit"),
    path("conventions/<int:pk>/", convention_views.convention_download, name="convention_download"),
    path(
        "conventions/<int:pk>/contresigner/",
        convention_views.convention_countersign_view,
        name="convention_countersign",
    ),
    path("conventions/<int:pk>/refuser/", convention_views.convention_refuse_view, name="convention_refuse"),
    path(
        "porteur/organisations/<int:pk>/coordonnees-bancaires/",
        bank_views.bank_details_edit,
        name="bank_details_edit",
    ),
    path("coordonnees-bancaires/<int:pk>/rib/", bank_views.rib_download, name="rib_download"),
]
