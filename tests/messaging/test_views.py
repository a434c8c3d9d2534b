"""The thread on the dossier page, the post view and the attachment download: scoped by the dossier
selectors (404 outside one's scope), escaped, with a safe redirect, in a constant number of queries."""

import re

import pytest
from django.contrib.messages import constants as message_levels
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from messaging.models import Message, MessageAttachment
from messaging.services import message_post
from tests.factories import make_dossier
from tests.messaging.conftest import HTML_PAGE, PDF, PNG, SCRIPT, WINDOWS_EXE, stored_files, upload
from tests.test_web import LANGUAGE_NAMES, untranslated_text
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db
S = DossierState
IMG = "<img src=x onerror=alert(1)>"


def post_url(dossier):
    return reverse("messaging:message_create", args=[dossier.pk])


def detail_url(dossier):
    return reverse("dossier_detail", args=[dossier.pk])


def download_url(attachment):
    return reverse("messaging:attachment_download", args=[attachment.message.dossier_id, attachment.pk])


def flash(response, level=message_levels.ERROR) -> list[str]:
    return [str(m) for m in response.context["messages"] if m.level == level]


# Posting ------------------------------------------------------------------------------------------


def test_a_sponsor_posts_a_message_with_a_file_and_returns_to_the_page_they_came_from(client, dossier, people):
    client.force_login(people.sponsor)

    response = client.post(
        post_url(dossier),
        {"body": "Voici le devis", "attachments": [upload(), upload(PNG, "photo.png")], "next": detail_url(dossier)},
    )

    message = Message.objects.get()
    assert response.status_code == 302
    assert response.url == f"{detail_url(dossier)}#message-{message.pk}"
    assert (message.author, message.body, message.is_internal) == (people.sponsor, "Voici le devis", False)
    assert sorted(message.attachments.values_list("original_name", flat=True)) == ["devis.pdf", "photo.png"]
    page = client.get(response.url, follow=True)
    assert flash(page, message_levels.SUCCESS)
    assert f'id="message-{message.pk}"' in page.content.decode()


def test_an_officer_writes_an_internal_note_with_the_checkbox(client, dossier, people):
    client.force_login(people.officer)

    client.post(post_url(dossier), {"body": "Note", "is_internal": "on"})

    assert Message.objects.get().is_internal


def test_a_sponsor_ticking_a_forged_internal_checkbox_posts_a_public_message(client, dossier, people):
    client.force_login(people.sponsor)

    client.post(post_url(dossier), {"body": "Bonjour", "is_internal": "on"})

    assert not Message.objects.get().is_internal


@pytest.mark.parametrize("who", ["other_officer", "other_sponsor"])
def test_someone_outside_the_dossiers_territory_or_organisation_gets_404_on_posting(client, dossier, people, who):
    client.force_login(getattr(people, who))

    response = client.post(post_url(dossier), {"body": "Bonjour", "attachments": [upload()]})

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_a_committee_member_who_sees_the_dossier_may_read_but_not_write(client, contract, people):
    dossier = make_dossier(S.APPROVED, contract=contract)
    client.force_login(people.committee_member)

    page = client.get(detail_url(dossier), follow=True).content.decode()
    response = client.post(post_url(dossier), {"body": "Bonjour"}, follow=True)

    assert 'id="thread"' in page and post_url(dossier) not in page
    assert flash(response)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        pytest.param(WINDOWS_EXE, "facture.pdf", id="executable-renamed-pdf"),
        pytest.param(HTML_PAGE, "devis.pdf", id="html-named-pdf"),
    ],
)
def test_a_file_that_is_not_a_document_is_refused_with_a_clear_message_and_the_text_is_kept(
    client, dossier, people, settings, content, name
):
    files_before = stored_files(settings)
    client.force_login(people.sponsor)

    response = client.post(
        post_url(dossier), {"body": "Texte long à ne pas perdre", "attachments": [upload(content, name)]}, follow=True
    )

    assert response.status_code == 200
    errors = flash(response)
    assert len(errors) == 1 and name in errors[0] and "PDF" in errors[0]
    html = response.content.decode()
    assert escape(errors[0]) in html
    assert "Texte long à ne pas perdre</textarea>" in html  # nothing to type again
    assert not Message.objects.exists() and not MessageAttachment.objects.exists()
    assert stored_files(settings) == files_before


def test_a_file_above_the_maximum_size_is_refused_with_a_clear_message(client, dossier, people, settings):
    settings.PIECE_MAX_SIZE = 1024
    files_before = stored_files(settings)
    client.force_login(people.officer)

    response = client.post(
        post_url(dossier), {"body": "Pièce", "attachments": [upload(PDF + b"0" * 2048, "gros.pdf")]}, follow=True
    )

    errors = flash(response)
    assert len(errors) == 1 and "gros.pdf" in errors[0]
    assert not Message.objects.exists()
    assert stored_files(settings) == files_before


def test_an_empty_message_is_refused_with_a_message(client, dossier, people):
    client.force_login(people.sponsor)

    response = client.post(post_url(dossier), {"body": ""}, follow=True)

    assert flash(response)
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phishing",
        "//evil.example/phishing",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://testserver.evil.example/",
    ],
)
def test_the_next_redirect_refuses_external_urls(client, dossier, people, target):
    client.force_login(people.sponsor)

    response = client.post(post_url(dossier), {"body": "Bonjour", "next": target})

    assert response.status_code == 302
    assert response.url.startswith(detail_url(dossier) + "#message-")


def test_the_next_redirect_accepts_a_page_of_the_site(client, dossier, people):
    client.force_login(people.sponsor)

    response = client.post(post_url(dossier), {"body": "Bonjour", "next": "/porteur/?onglet=messages"})

    assert response.url == f"/porteur/?onglet=messages#message-{Message.objects.get().pk}"


def test_posting_requires_a_post_and_a_login(client, dossier, people):
    assert client.post(post_url(dossier), {"body": "Bonjour"}).url.startswith(reverse("login"))
    client.force_login(people.sponsor)
    assert client.get(post_url(dossier)).status_code == 405
    assert not Message.objects.exists()


# Downloading --------------------------------------------------------------------------------------


@pytest.fixture
def attachments(dossier, people):
    public = message_post(dossier=dossier, author=people.sponsor, body="Devis", attachments=[upload(name="devis.pdf")])
    note = message_post(
        dossier=dossier, author=people.officer, body="Note", is_internal=True, attachments=[upload(PNG, "avis.png")]
    )
    return public.attachments.get(), note.attachments.get()


def test_an_attachment_is_downloaded_as_a_file_with_its_checked_type_and_no_sniffing(client, people, attachments):
    public, _note = attachments
    client.force_login(people.officer)

    response = client.get(download_url(public))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="devis.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize("who", ["other_officer", "other_sponsor", "committee_member"])
def test_someone_who_cannot_see_the_dossier_gets_404_on_its_attachments(client, people, attachments, who):
    client.force_login(getattr(people, who))

    for attachment in attachments:
        assert client.get(download_url(attachment)).status_code == 404


def test_sponsors_never_download_the_attachment_of_an_internal_note(client, people, attachments):
    public, note = attachments
    client.force_login(people.sponsor)

    assert client.get(download_url(public)).status_code == 200
    assert client.get(download_url(note)).status_code == 404


def test_an_attachment_is_not_found_under_another_dossier(client, contract, people, attachments):
    public, _note = attachments
    other = make_dossier(S.SUBMITTED, contract=contract)
    client.force_login(people.officer)

    assert client.get(reverse("messaging:attachment_download", args=[other.pk, public.pk])).status_code == 404


def test_anonymous_visitors_cannot_download(client, attachments):
    response = client.get(download_url(attachments[0]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# The thread on the dossier page -------------------------------------------------------------------


def test_sponsors_never_see_internal_notes_on_the_dossier_page(client, dossier, people):
    message_post(dossier=dossier, author=people.officer, body="Réponse publique")
    message_post(dossier=dossier, author=people.officer, body="Avis interne confidentiel", is_internal=True)

    client.force_login(people.sponsor)
    sponsor_page = client.get(detail_url(dossier), follow=True).content.decode()
    client.force_login(people.officer_colleague)
    officer_page = client.get(detail_url(dossier), follow=True).content.decode()

    assert "Réponse publique" in sponsor_page and "Avis interne confidentiel" not in sponsor_page
    assert "Réponse publique" in officer_page and "Avis interne confidentiel" in officer_page


def test_the_internal_note_checkbox_is_offered_to_the_territorys_officers_only(client, dossier, people):
    for user, offered in [(people.officer, True), (people.administrator, True), (people.sponsor, False)]:
        client.force_login(user)
        html = client.get(detail_url(dossier), follow=True).content.decode()
        assert post_url(dossier) in html
        assert ('name="is_internal"' in html) is offered, user


def test_user_text_in_a_message_is_escaped_on_the_page(client, dossier, people):
    message_post(
        dossier=dossier,
        author=people.sponsor,
        body=f"Bonjour {SCRIPT}\nLigne 2",
        attachments=[upload(name=f"{IMG}.pdf")],
    )
    people.sponsor.first_name = SCRIPT
    people.sponsor.save()
    message_post(dossier=dossier, author=people.sponsor, body="Encore")
    client.force_login(people.officer)

    html = client.get(detail_url(dossier), follow=True).content.decode()

    assert SCRIPT not in html
    assert escape(f"Bonjour {SCRIPT}") + "<br>Ligne 2" in html
    assert IMG not in html
    assert escape(f"{IMG}.pdf") in html


def test_the_thread_runs_the_same_number_of_queries_for_3_or_30_messages(client, dossier, people):
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail_url(dossier), follow=True)
        assert response.status_code == 200
        return len(re.findall(r'<li id="message-\d+"', response.content.decode())), len(queries)

    def add_messages(count):
        for index in range(count):
            if index % 3 == 0:
                message_post(dossier=dossier, author=people.sponsor, body="Question", attachments=[upload()])
            elif index % 3 == 1:
                message_post(dossier=dossier, author=people.officer, body="Réponse")
            else:
                message_post(dossier=dossier, author=people.officer_colleague, body="Note", is_internal=True)

    client.force_login(people.officer)
    add_messages(3)
    rows_3, count_3 = queries_for_page()
    add_messages(27)
    rows_30, count_30 = queries_for_page()

    assert (rows_3, rows_30) == (3, 30)
    assert count_30 == count_3


def test_the_thread_tag_renders_on_any_page_in_a_constant_number_of_queries(dossier, people):
    template = Template("{% load messaging %}{% dossier_thread dossier request.user %}")
    request = RequestFactory().get("/autre-page/")
    request.user = people.officer

    def render():
        with CaptureQueriesContext(connection) as queries:
            html = template.render(Context({"dossier": dossier, "request": request}))
        return html, len(queries)

    message_post(dossier=dossier, author=people.sponsor, body="Un", attachments=[upload()])
    render()  # loads the user's roles and territories, cached for the request
    _html, count_1 = render()
    for _index in range(10):
        message_post(dossier=dossier, author=people.sponsor, body="Deux", attachments=[upload()])
    html, count_11 = render()

    assert count_11 == count_1
    assert 'name="next" value="/autre-page/"' in html
    assert html.count('<li id="message-') == 11


# Translation --------------------------------------------------------------------------------------


def test_every_text_of_the_thread_goes_through_translation(client, dossier, people, pseudo_translation):
    message_post(dossier=dossier, author=people.sponsor, body="Bonjour", attachments=[upload()])
    message_post(dossier=dossier, author=people.officer, body="Note", is_internal=True)
    client.force_login(people.officer)

    html = client.get(detail_url(dossier), follow=True).content.decode()
    thread = html[html.index('<div class="thread"') : html.index("</form>", html.index('id="message-form"'))]

    data = [*LANGUAGE_NAMES, people.sponsor.get_full_name(), people.officer.get_full_name()]
    data += ["Bonjour", "Note", "devis.pdf"]
    assert untranslated_text(thread, data) == []


def test_every_text_of_the_notification_list_goes_through_translation(
    client,
    dossier,
    people,
    pseudo_translation,
):
    message_post(dossier=dossier, author=people.sponsor, body="Bonjour")
    client.force_login(people.officer)

    html = client.get(reverse("messaging:notification_list")).content.decode()

    data = [*LANGUAGE_NAMES, people.officer.get_full_name(), people.sponsor.get_full_name(), "Bonjour"]
    data += [dossier.reference]
    assert untranslated_text(html, data) == []
