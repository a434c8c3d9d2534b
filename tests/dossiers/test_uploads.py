"""Pieces are accepted by their content, never by their name or the browser's content type, and a
refused file leaves no trace: no row, no file in storage, the dossier as it was."""

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict

from dossiers.enums import LegalForm
from dossiers.models import Dossier, Piece, PieceType
from dossiers.services import piece_add
from tests.factories import UserFactory, make_dossier, make_user
from workflows.enums import DossierState, Role

S = DossierState
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def upload(content: bytes, name: str = "x.pdf", content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def snapshot(dossier):
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        model_to_dict(fresh, fields=[f.name for f in Dossier._meta.concrete_fields]),
        fresh.state,
        list(fresh.pieces.values()),
    )


@pytest.fixture
def draft(contract):
    # Pieces already attached by the factory are written to MEDIA_ROOT; the tests count files after them.
    return make_dossier(S.DRAFT, contract=contract)


@pytest.fixture
def piece_type():
    return PieceType.objects.get(code="rib")  # optional, applies to every legal form


@pytest.mark.django_db
def test_a_real_pdf_is_stored_with_its_sha256_size_and_content_type(draft, piece_type, settings):
    files_before = stored_files(settings)

    piece = piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(PDF))

    piece = Piece.objects.get(pk=piece.pk)
    assert piece.dossier == draft
    assert piece.piece_type == piece_type
    assert piece.sha256 == hashlib.sha256(PDF).hexdigest()
    assert piece.size == len(PDF)
    assert piece.content_type == "application/pdf"
    assert piece.extension == "pdf"
    assert piece.original_name == "x.pdf"
    assert piece.uploaded_by == draft.created_by
    assert not piece.is_checked
    with piece.file.open("rb") as stored:
        assert stored.read() == PDF
    new_files = set(stored_files(settings)) - set(files_before)
    assert new_files == {Path(piece.file.path)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "content_type", "extension"),
    [(PDF, "application/pdf", "pdf"), (PNG, "image/png", "png"), (JPEG, "image/jpeg", "jpg")],
)
def test_the_type_is_decided_by_the_content_not_by_the_name_or_the_browser(
    draft, piece_type, content, content_type, extension
):
    piece = piece_add(
        dossier=draft,
        actor=draft.created_by,
        piece_type=piece_type,
        uploaded=upload(content, name="scan.docx", content_type="text/html"),
    )

    assert (piece.content_type, piece.extension) == (content_type, extension)
    assert piece.file.name.endswith(f".{extension}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "code"),
    [
        pytest.param(
            b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "file_type", id="html-page"
        ),
        pytest.param(
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64,
            "file_type",
            id="windows-exe",
        ),
        pytest.param(b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "file_type", id="elf-executable"),
        pytest.param(b"", "empty_file", id="empty"),
        pytest.param(b"  %PDF-1.4 not at the start", "file_type", id="pdf-signature-not-at-start"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 64, "file_type", id="zip-or-docx"),
    ],
)
def test_a_file_named_pdf_whose_content_is_not_a_document_is_refused_and_leaves_no_trace(
    draft, piece_type, settings, content, code
):
    before, files_before = snapshot(draft), stored_files(settings)

    with pytest.raises(ValidationError) as refused:
        piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(content))

    assert refused.value.code == code  # the sender is told why

    assert not Piece.objects.filter(dossier=draft, piece_type=piece_type).exists()
    assert stored_files(settings) == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_file_above_the_maximum_size_is_refused(draft, piece_type, settings):
    settings.PIECE_MAX_SIZE = 1024
    before, files_before = snapshot(draft), stored_files(settings)

    with pytest.raises(ValidationError) as refused:
        piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(PDF + b"0" * 1024))

    assert refused.value.code == "file_too_large"
    assert stored_files(settings) == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_file_of_exactly_the_maximum_size_is_accepted(draft, piece_type, settings):
    content = PDF + b"0" * (1024 - len(PDF))
    settings.PIECE_MAX_SIZE = len(content)

    piece = piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(content))

    assert piece.size == settings.PIECE_MAX_SIZE


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.SUBMITTED, S.ADMISSIBLE, S.UNDER_REVIEW, S.APPROVED, S.WITHDRAWN])
def test_pieces_cannot_be_added_once_the_dossier_is_submitted(contract, piece_type, settings, state):
    dossier = make_dossier(state, contract=contract)
    before, files_before = snapshot(dossier), stored_files(settings)

    with pytest.raises(ValidationError):
        piece_add(dossier=dossier, actor=dossier.created_by, piece_type=piece_type, uploaded=upload(PDF))

    assert stored_files(settings) == files_before
    assert snapshot(dossier) == before


@pytest.mark.django_db
def test_pieces_can_be_added_to_an_incomplete_dossier_in_answer_to_a_request(contract, piece_type):
    dossier = make_dossier(S.INCOMPLETE, contract=contract)

    piece = piece_add(dossier=dossier, actor=dossier.created_by, piece_type=piece_type, uploaded=upload(PDF))

    assert piece.dossier_id == dossier.pk


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["sponsor-of-another-organisation", "officer-of-the-territory", "no-role"])
def test_a_non_member_cannot_add_a_piece(draft, piece_type, settings, who):
    actor = {
        "sponsor-of-another-organisation": lambda: make_user(Role.SPONSOR, organisation=make_dossier().organisation),
        "officer-of-the-territory": lambda: make_user(Role.OFFICER, territory=draft.territory),
        "no-role": UserFactory,
    }[who]()
    before, files_before = snapshot(draft), stored_files(settings)

    with pytest.raises(PermissionDenied):
        piece_add(dossier=draft, actor=actor, piece_type=piece_type, uploaded=upload(PDF))

    assert stored_files(settings) == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_piece_type_that_does_not_apply_to_the_legal_form_is_refused(draft, settings):
    kbis = PieceType.objects.get(code="kbis")
    assert not kbis.applies_to(draft.organisation.legal_form)
    assert draft.organisation.legal_form == LegalForm.COMMUNE
    before, files_before = snapshot(draft), stored_files(settings)

    with pytest.raises(ValidationError):
        piece_add(dossier=draft, actor=draft.created_by, piece_type=kbis, uploaded=upload(PDF))

    assert stored_files(settings) == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_the_stored_file_name_never_contains_the_users_file_name(draft, piece_type, settings):
    piece = piece_add(
        dossier=draft,
        actor=draft.created_by,
        piece_type=piece_type,
        uploaded=upload(PDF, name="../../etc/passwd.pdf"),
    )

    stored = Path(piece.file.path).resolve()
    assert "passwd" not in piece.file.name
    assert ".." not in piece.file.name
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert stored.name == f"{hashlib.sha256(PDF).hexdigest()[:16]}.pdf"
    assert piece.file.name == f"pieces/{draft.pk}/{stored.name}"


@pytest.mark.django_db
def test_the_same_file_uploaded_twice_keeps_both_copies(draft, piece_type):
    first = piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(PDF))
    second = piece_add(dossier=draft, actor=draft.created_by, piece_type=piece_type, uploaded=upload(PDF))

    assert first.file.name != second.file.name
    assert Path(first.file.path).read_bytes() == Path(second.file.path).read_bytes() == PDF
