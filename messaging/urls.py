from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("dossiers/<int:pk>/messages/", views.message_create, name="message_create"),
    path(
        "dossiers/<int:pk>/messages/pieces-jointes/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/lue/", views.notification_read, name="notification_read"),
    path("notifications/tout-lu/", views.notification_read_all, name="notification_read_all"),
]
