from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("porteur/dossiers/<int:pk>/paiements/nouveau/", views.payment_request_new, name="sponsor_request_new"),
    path(
        "porteur/dossiers/<int:pk>/paiements/<int:request_pk>/",
        views.payment_request_detail,
        name="sponsor_request",
    ),
    path(
        "paiements/<int:request_pk>/fichiers/<int:file_pk>/",
        views.payment_file_download,
        name="file_download",
    ),
]
