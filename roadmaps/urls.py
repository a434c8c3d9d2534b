from django.urls import path

from roadmaps import minutes_views

app_name = "roadmaps_documents"
urlpatterns = [
    path("comites-de-suivi/<int:pk>/compte-rendu/emettre/", minutes_views.minutes_issue_view, name="minutes_issue"),
]
