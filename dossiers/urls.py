from django.contrib.auth import views as auth_views
from django.urls import path

from dossiers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier_detail"),
    path("dossiers/<int:pk>/actions/<slug:name>/", views.dossier_transition, name="dossier_transition"),
    path("dossiers/<int:pk>/pieces/<int:piece_pk>/verification/", views.piece_check, name="piece_check"),
]
