from django.urls import path

from engineering import views

app_name = "engineering"
urlpatterns = [
    path("porteur/ingenierie/nouveau/", views.post_new, name="post_new"),
    path("porteur/ingenierie/<int:pk>/poste/", views.post_edit, name="post_edit"),
    path("porteur/ingenierie/<int:pk>/rapports/", views.report_upload, name="report_upload"),
    path("ingenierie/rapports/<int:pk>/", views.report_download, name="report_download"),
]
