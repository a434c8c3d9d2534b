"""A dossier's pieces through the API: uploaded, replaced and removed by its sponsor's members while it is a
draft or incomplete, through the portal's services and their content checks (a refused file changes
nothing and stores nothing); listed and downloaded by whoever may see the dossier; 404 outside one's scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import Commune, Piece, PieceType
from tests.factories import OrganisationFactory, add_piece, make_dossier, make_draft, make_user, snapshot
from tests.portal.helpers import PDF, stored_files
from workflows.enums import DossierState, Role

pytestmark = pytest.mark.django_db

S = DossierState
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def organisation(contract):
    return OrganisationFactory(commune=Commune.objects.filter(epci__territory=contract.territory).first())


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


@pytest.fixture
def draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor, pieces=False)


@pytest.fixture
def piece_type(organisation):
    return PieceType.objects.mandatory_for(organisation.legal_form)[0]


def pieces(dossier, suffix=""):
    return f"/api/v1/dossiers/{dossier.pk}/pieces/{suffix}"


def upload(content=PDF, name="devis.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_the_sponsor_uploads_a_piece_checked_by_its_content(api, draft, sponsor, piece_type):
    response = api(sponsor).post(pieces(draft), {"piece_type": piece_type.code, "file": upload()})
    assert response.status_code == 201, response.content
    body = response.json()
    piece = Piece.objects.get(pk=body["id"])
    assert (piece.dossier, piece.piece_type, piece.uploaded_by) == (draft, piece_type, sponsor)
    assert (body["piece_type"], body["original_name"], body["content_type"], body["size"]) == (
        piece_type.code,
        "devis.pdf",
        "application/pdf",
        len(PDF),
    )
    assert body["is_checked"] is False
    assert body["download_url"].endswith(pieces(draft, f"{piece.pk}/download/"))


@pytest.mark.parametrize(
    "content, name, code",
    [
        (b"GIF89a not a pdf at all", "devis.pdf", "file_type"),
        (b"<html><script>alert(1)</script></html>", "devis.pdf", "file_type"),
        (PDF * 10, "devis.pdf", "file_too_large"),
    ],
)
def test_a_bad_upload_is_refused_and_changes_nothing(api, draft, sponsor, piece_type, settings, content, name, code):
    settings.PIECE_MAX_SIZE = len(PDF) * 5
    before, files = snapshot(draft.pk), stored_files()
    response = api(sponsor).post(pieces(draft), {"piece_type": piece_type.code, "file": upload(content, name)})
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert snapshot(draft.pk) == before
    assert stored_files() == files


def test_an_empty_file_or_a_type_outside_the_checklist_is_refused(api, draft, sponsor, piece_type):
    association_only = PieceType.objects.create(code="statuts-test", label="Statuts", legal_forms=["association"])
    before = snapshot(draft.pk)
    client = api(sponsor)
    response = client.post(pieces(draft), {"piece_type": piece_type.code, "file": upload(b"")})
    assert response.status_code == 400
    response = client.post(pieces(draft), {"piece_type": association_only.code, "file": upload()})
    assert response.status_code == 400
    assert "piece_type" in response.json()["errors"]
    assert snapshot(draft.pk) == before


def test_a_piece_is_replaced_by_a_new_file_of_the_same_type(api, draft, sponsor, piece_type):
    old = add_piece(draft, piece_type, sponsor)
    response = api(sponsor).post(pieces(draft, f"{old.pk}/replace/"), {"file": upload(PNG, "scan.png")})
    assert response.status_code == 201, response.content
    assert not Piece.objects.filter(pk=old.pk).exists()
    new = Piece.objects.get(pk=response.json()["id"])
    assert (new.piece_type, new.content_type, new.original_name) == (piece_type, "image/png", "scan.png")


def test_a_refused_replacement_keeps_the_old_piece(api, draft, sponsor, piece_type):
    old = add_piece(draft, piece_type, sponsor)
    before, files = snapshot(draft.pk), stored_files()
    response = api(sponsor).post(pieces(draft, f"{old.pk}/replace/"), {"file": upload(b"not a pdf")})
    assert (response.status_code, response.json()["code"]) == (400, "file_type")
    assert snapshot(draft.pk) == before
    assert stored_files() == files


def test_a_piece_is_removed_while_the_dossier_is_a_draft(api, draft, sponsor, piece_type):
    piece = add_piece(draft, piece_type, sponsor)
    response = api(sponsor).delete(pieces(draft, f"{piece.pk}/"))
    assert response.status_code == 204
    assert not draft.pieces.exists()


def test_pieces_of_a_submitted_dossier_are_read_only(api, contract, organisation, sponsor, piece_type):
    dossier = make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor)
    piece = dossier.pieces.first()
    before = snapshot(dossier.pk)
    client = api(sponsor)
    for response in (
        client.post(pieces(dossier), {"piece_type": piece_type.code, "file": upload()}),
        client.post(pieces(dossier, f"{piece.pk}/replace/"), {"file": upload()}),
        client.delete(pieces(dossier, f"{piece.pk}/")),
    ):
        assert (response.status_code, response.json()["code"]) == (409, "invalid_state")
    assert snapshot(dossier.pk) == before


def test_an_incomplete_dossier_takes_new_pieces(api, contract, organisation, sponsor, piece_type):
    dossier = make_dossier(S.INCOMPLETE, contract=contract, organisation=organisation, creator=sponsor)
    response = api(sponsor).post(pieces(dossier), {"piece_type": piece_type.code, "file": upload()})
    assert response.status_code == 201, response.content


def test_the_territorys_officer_reads_and_downloads_the_pieces_but_writes_none(
    api, officer, draft, sponsor, piece_type
):
    piece = add_piece(draft, piece_type, sponsor)
    before = snapshot(draft.pk)
    client = api(officer)
    listed = client.get(pieces(draft)).json()["results"]
    assert [row["id"] for row in listed] == [piece.pk]
    response = client.get(pieces(draft, f"{piece.pk}/download/"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="piece.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    for response in (
        client.post(pieces(draft), {"piece_type": piece_type.code, "file": upload()}),
        client.post(pieces(draft, f"{piece.pk}/replace/"), {"file": upload()}),
        client.delete(pieces(draft, f"{piece.pk}/")),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    assert snapshot(draft.pk) == before


def test_another_organisations_member_gets_404_on_every_piece_endpoint(api, draft, sponsor, piece_type, stranger):
    piece = add_piece(draft, piece_type, sponsor)
    outsider = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    before = snapshot(draft.pk)
    for user in (outsider, stranger):
        client = api(user)
        for response in (
            client.get(pieces(draft)),
            client.get(pieces(draft, f"{piece.pk}/")),
            client.get(pieces(draft, f"{piece.pk}/download/")),
            client.post(pieces(draft), {"piece_type": piece_type.code, "file": upload()}),
            client.post(pieces(draft, f"{piece.pk}/replace/"), {"file": upload()}),
            client.delete(pieces(draft, f"{piece.pk}/")),
        ):
            assert response.status_code == 404, response.content
            assert response.json()["code"] == "not_found"
    assert snapshot(draft.pk) == before


def test_a_piece_of_another_dossier_is_a_404(api, contract, draft, sponsor, piece_type):
    theirs = make_draft(contract=contract, pieces=False)
    piece = add_piece(theirs, piece_type, theirs.created_by)
    client = api(sponsor)
    assert client.get(pieces(draft, f"{piece.pk}/")).status_code == 404
    assert client.get(pieces(draft, f"{piece.pk}/download/")).status_code == 404
    assert client.delete(pieces(draft, f"{piece.pk}/")).status_code == 404
    assert Piece.objects.filter(pk=piece.pk).exists()


def test_the_pieces_list_runs_a_constant_number_of_queries(api, draft, sponsor, django_assert_num_queries):
    types = list(PieceType.objects.all())
    client = api(sponsor)
    add_piece(draft, types[0], sponsor)
    client.get(pieces(draft))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(pieces(draft)).json()["results"]) == 1
    for index in range(7):
        add_piece(draft, types[index % len(types)], sponsor)
    with django_assert_num_queries(len(few)):
        assert len(client.get(pieces(draft)).json()["results"]) == 8


def test_the_checklist_of_pieces_is_filtered_by_legal_form(api, sponsor):
    body = api(sponsor).get("/api/v1/piece-types/", {"legal_form": "association"}).json()
    codes = {row["code"] for row in body["results"]}
    assert codes == {t.code for t in PieceType.objects.all() if t.applies_to("association")}
