"""Posting in a dossier's thread: who may write, and attachments accepted by their content only; a
refusal leaves nothing behind (no message, no attachment, no file, no notification)."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from messaging.enums import MessageSide
from messaging.models import Message, MessageAttachment, Notification
from messaging.services import MAX_ATTACHMENTS, message_post
from tests.factories import make_dossier
from tests.messaging.conftest import HTML_PAGE, PDF, PNG, WINDOWS_EXE, stored_files, upload
from workflows.enums import DossierState

pytestmark = pytest.mark.django_db
S = DossierState


def nothing_was_written(settings, files_before) -> bool:
    return (
        not Message.objects.exists()
        and not MessageAttachment.objects.exists()
        and not Notification.objects.exists()
        and stored_files(settings) == files_before
    )


def test_the_sponsors_members_post_public_messages_in_the_sponsors_name(dossier, people):
    message = message_post(dossier=dossier, author=people.sponsor_colleague, body="  Bonjour  ")

    message.refresh_from_db()
    assert (message.dossier, message.author, message.body) == (dossier, people.sponsor_colleague, "Bonjour")
    assert (message.side, message.is_internal) == (MessageSide.SPONSOR, False)
    assert message.author_name == people.sponsor_colleague.get_full_name()


def test_the_territorys_officers_and_administrators_post_messages_and_internal_notes_in_the_regions_name(
    dossier, people
):
    for author in (people.officer, people.administrator):
        for is_internal in (False, True):
            message = message_post(dossier=dossier, author=author, body="Texte", is_internal=is_internal)
            assert (message.side, message.is_internal) == (MessageSide.REGION, is_internal)


def test_a_sponsor_may_not_write_an_internal_note(dossier, people, settings):
    files_before = stored_files(settings)

    with pytest.raises(PermissionDenied):
        message_post(dossier=dossier, author=people.sponsor, body="Note", is_internal=True, attachments=[upload()])

    assert nothing_was_written(settings, files_before)


@pytest.mark.parametrize("who", ["other_officer", "other_sponsor", "committee_member", "finance"])
def test_only_the_sponsor_the_territorys_officers_and_administrators_write_in_the_thread(dossier, people, who):
    approved = make_dossier(S.APPROVED, contract=dossier.contract)  # seen by the committee and finance

    for target in (dossier, approved):
        with pytest.raises(PermissionDenied):
            message_post(dossier=target, author=getattr(people, who), body="Bonjour")

    assert not Message.objects.exists()


@pytest.mark.parametrize("state", [S.DRAFT, S.INCOMPLETE, S.REJECTED, S.WITHDRAWN, S.CLOSED, S.LAPSED])
def test_the_thread_stays_open_in_every_state(contract, state, people):
    dossier = make_dossier(state, contract=contract)

    message_post(dossier=dossier, author=dossier.created_by, body="Question")
    message_post(dossier=dossier, author=people.officer, body="Réponse")

    assert Message.objects.filter(dossier=dossier).count() == 2


@pytest.mark.parametrize("body", ["", "   \n  "])
def test_an_empty_message_is_refused(dossier, people, body):
    with pytest.raises(ValidationError) as refused:
        message_post(dossier=dossier, author=people.sponsor, body=body)

    assert refused.value.code == "empty_message"
    assert not Message.objects.exists()


def test_attachments_are_stored_under_a_server_generated_name_with_their_checksum(dossier, people, settings):
    message = message_post(
        dossier=dossier,
        author=people.sponsor,
        body="Voici le devis",
        attachments=[upload(PDF, name="../../etc/devis signé.pdf"), upload(PNG, name="photo.docx")],
    )

    pdf, png = message.attachments.order_by("pk")
    assert (pdf.original_name, pdf.content_type, pdf.size) == ("devis signé.pdf", "application/pdf", len(PDF))
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf.file.name == f"messages/{dossier.pk}/{pdf.sha256[:16]}.pdf"
    assert (png.original_name, png.content_type, png.extension) == ("photo.docx", "image/png", "png")
    assert png.file.name == f"messages/{dossier.pk}/{png.sha256[:16]}.png"
    for attachment, content in ((pdf, PDF), (png, PNG)):
        path = Path(attachment.file.path)
        assert path.is_relative_to(Path(settings.MEDIA_ROOT) / "messages")
        assert path.read_bytes() == content


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        pytest.param(WINDOWS_EXE, "facture.pdf", "file_type", id="executable-renamed-pdf"),
        pytest.param(HTML_PAGE, "devis.pdf", "file_type", id="html-named-pdf"),
        pytest.param(b"", "vide.pdf", "empty_file", id="empty"),
    ],
)
def test_a_file_that_is_not_a_document_is_refused_and_leaves_no_message_and_no_file(
    dossier, people, settings, content, name, code
):
    files_before = stored_files(settings)

    with pytest.raises(ValidationError) as refused:
        message_post(
            dossier=dossier,
            author=people.sponsor,
            body="Pièces",
            attachments=[upload(PDF, name="bon.pdf"), upload(content, name=name)],
        )

    assert refused.value.code == code
    assert name in refused.value.message  # the sender is told which file and why
    assert nothing_was_written(settings, files_before)


def test_a_file_above_the_maximum_size_is_refused_and_leaves_no_message_and_no_file(dossier, people, settings):
    settings.PIECE_MAX_SIZE = 1024
    files_before = stored_files(settings)

    with pytest.raises(ValidationError) as refused:
        message_post(
            dossier=dossier, author=people.officer, body="Pièce", attachments=[upload(PDF + b"0" * 1024, "gros.pdf")]
        )

    assert refused.value.code == "file_too_large"
    assert "gros.pdf" in refused.value.message
    assert nothing_was_written(settings, files_before)


def test_more_files_than_allowed_are_refused(dossier, people, settings):
    files_before = stored_files(settings)

    with pytest.raises(ValidationError) as refused:
        message_post(
            dossier=dossier,
            author=people.sponsor,
            body="Pièces",
            attachments=[upload(name=f"{index}.pdf") for index in range(MAX_ATTACHMENTS + 1)],
        )

    assert refused.value.code == "too_many_files"
    assert nothing_was_written(settings, files_before)


def test_a_failure_after_the_files_are_written_removes_them_with_the_message(dossier, people, settings, monkeypatch):
    files_before = stored_files(settings)

    def broken(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr("messaging.services.notifications_create_for_message", broken)
    with pytest.raises(RuntimeError):
        message_post(dossier=dossier, author=people.sponsor, body="Devis", attachments=[upload(), upload(PNG)])

    assert nothing_was_written(settings, files_before)
