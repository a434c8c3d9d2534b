from django.urls import path

from payments import deadline_views

app_name = "deadlines"
urlpatterns = [
    path("porteur/dossiers/<int:pk>/prorogation/", deadline_views.extension_ask, name="extension_ask"),
    path("region-payments/dossiers/<int:pk>/prorogation/", deadline_views.extension_decide, name="extension_decide"),
]
