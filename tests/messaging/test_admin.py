"""Messages and notifications are a record: the admin shows them and changes nothing."""

import pytest
from django.urls import reverse

from messaging.models import Message, Notification
from messaging.services import message_post
from tests.messaging.conftest import upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.administrator)
    return client


def test_messages_and_notifications_are_listed_and_shown_but_never_changed_in_the_admin(admin_client, dossier, people):
    message = message_post(dossier=dossier, author=people.sponsor, body="Bonjour", attachments=[upload()])
    notification = Notification.objects.filter(message=message).first()

    for model, obj in ((Message, message), (Notification, notification)):
        name = f"admin:messaging_{model._meta.model_name}"
        assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
        change_url = reverse(f"{name}_change", args=[obj.pk])
        page = admin_client.get(change_url)
        assert page.status_code == 200
        assert b'name="body"' not in page.content
        assert admin_client.post(change_url, {"body": "Changé"}).status_code == 403
        assert admin_client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
        assert admin_client.get(reverse(f"{name}_add")).status_code == 403

    message.refresh_from_db()
    assert message.body == "Bonjour"
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_the_admin_links_attachments_through_the_checked_download_view(admin_client, dossier, people):
    message = message_post(dossier=dossier, author=people.sponsor, body="Devis", attachments=[upload()])
    attachment = message.attachments.get()

    page = admin_client.get(reverse("admin:messaging_message_change", args=[message.pk])).content.decode()

    url = reverse("messaging:attachment_download", args=[dossier.pk, attachment.pk])
    assert f'href="{url}"' in page
    assert admin_client.get(url).status_code == 200
