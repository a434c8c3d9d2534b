from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("documents/<int:pk>/telecharger/", views.document_download, name="download"),
    path("documents/<int:pk>/nouvelle-version/", views.document_reissue, name="reissue"),
    path("documents/demandes/<int:pk>/relancer/", views.job_retry, name="job_retry"),
    path("seances/<int:pk>/documents/rapport/", views.session_report_issue, name="session_report"),
    path("seances/<int:pk>/documents/lettres/", views.session_letters_issue, name="session_letters"),
]
