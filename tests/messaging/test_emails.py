"""E-mails of new messages: to the people who must answer or know, never to the author, never an
internal note to a sponsor; plain text, with the link to the thread; sent only once committed."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from messaging.services import message_post
from tests.factories import make_user
from tests.messaging.conftest import SCRIPT, upload
from workflows.enums import Role

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def post(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return message_post(**kwargs)

    return post


def recipients(mailoutbox) -> list[str]:
    return sorted(address for mail in mailoutbox for address in mail.to)


def test_a_sponsors_message_is_mailed_to_the_territorys_officers_only(post, dossier, people, mailoutbox):
    make_user(Role.OFFICER, territory=dossier.territory, is_active=False)
    make_user(Role.OFFICER, territory=dossier.territory, email="")

    post(dossier=dossier, author=people.sponsor, body="Où en est notre dossier ?")

    assert recipients(mailoutbox) == sorted([people.officer.email, people.officer_colleague.email])
    assert all(len(mail.to) == 1 for mail in mailoutbox)  # nobody sees the other recipients


def test_a_message_from_the_region_is_mailed_to_the_sponsors_members_not_to_its_author(
    post, dossier, people, mailoutbox
):
    post(dossier=dossier, author=people.officer, body="Il manque la délibération.")

    assert recipients(mailoutbox) == sorted([people.sponsor.email, people.sponsor_colleague.email])


def test_an_administrators_message_is_mailed_to_the_sponsors_members(post, dossier, people, mailoutbox):
    post(dossier=dossier, author=people.administrator, body="Message de la Région")

    assert recipients(mailoutbox) == sorted([people.sponsor.email, people.sponsor_colleague.email])


def test_sponsors_never_receive_an_internal_note_which_goes_to_the_other_officers_of_the_territory(
    post, dossier, people, mailoutbox
):
    post(dossier=dossier, author=people.officer, body="Avis défavorable à prévoir", is_internal=True)

    assert recipients(mailoutbox) == [people.officer_colleague.email]
    assert "Avis défavorable" in mailoutbox[0].body


def test_the_author_never_receives_their_own_message(post, dossier, people, mailoutbox):
    for author, is_internal in [
        (people.sponsor, False),
        (people.officer, False),
        (people.officer_colleague, True),
        (people.administrator, False),
    ]:
        mailoutbox.clear()
        post(dossier=dossier, author=author, body="Bonjour", is_internal=is_internal)
        assert mailoutbox
        assert author.email not in recipients(mailoutbox)


def test_the_mail_says_what_to_do_and_links_to_the_thread_on_the_site_url(post, dossier, people, mailoutbox, settings):
    settings.SITE_URL = "https://contrats.example.fr/"

    message = post(dossier=dossier, author=people.officer, body="Merci de compléter.", attachments=[upload()])

    mail = mailoutbox[0]
    assert dossier.reference in mail.subject
    assert "\n" not in mail.subject
    assert f"https://contrats.example.fr/dossiers/{dossier.pk}/#message-{message.pk}" in mail.body
    assert "devis.pdf" in mail.body
    assert "Merci de compléter." in mail.body
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("case", ["sponsor", "region", "internal"])
def test_every_text_of_the_message_mail_goes_through_translation(
    post, dossier, people, mailoutbox, pseudo_translation, case
):
    author = people.sponsor if case == "sponsor" else people.officer
    message = post(
        dossier=dossier, author=author, body="Bonjour", is_internal=case == "internal", attachments=[upload()]
    )

    data = [dossier.reference, dossier.title, dossier.organisation.name, message.author_name, "Bonjour", "devis.pdf"]
    for text in (mailoutbox[0].subject, mailoutbox[0].body):
        text = re.sub(r"https?://\S+", "", text)
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, "")
        assert not re.search(r"[A-Za-z]", text), text


def test_user_text_is_sent_as_plain_text_never_as_html(post, dossier, people, mailoutbox):
    post(dossier=dossier, author=people.sponsor, body=f"Bonjour {SCRIPT} & merci")

    mail = mailoutbox[0]
    assert f"Bonjour {SCRIPT} & merci" in mail.body  # as typed: not escaped, since it is not HTML
    assert "&lt;" not in mail.body and "&amp;" not in mail.body
    assert mail.content_subtype == "plain"
    assert not getattr(mail, "alternatives", [])


def test_a_message_rolled_back_with_its_transaction_sends_nothing(
    dossier, people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Rollback), transaction.atomic():
        message_post(dossier=dossier, author=people.sponsor, body="Bonjour")
        raise Rollback

    assert callbacks == []
    assert mailoutbox == []


def test_a_refused_message_sends_nothing(post, dossier, people, mailoutbox):
    with pytest.raises(PermissionDenied):
        post(dossier=dossier, author=people.sponsor, body="Note", is_internal=True)

    assert mailoutbox == []
