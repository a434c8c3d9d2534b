"""The pieces step: the checklist of the sponsor's legal form, uploads checked by their content (a refused
file leaves no row, no stored file and the dossier as it was, with the reason on the field), replacing
and removing a piece, and downloading one's pieces through a view that checks access."""

import pytest
from django.urls import reverse

from dossiers.enums import LegalForm
from dossiers.models import Piece, PieceType
from tests.factories import ContractFactory, EnvelopeFactory, OrganisationFactory, make_dossier, make_draft, make_user
from tests.portal.helpers import PDF, french, snapshot, stored_files, upload
from workflows.enums import DossierState, Role

S = DossierState
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def pieces_url(dossier):
    return reverse("portal:dossier_step", args=[dossier.pk, "pieces"])


@pytest.fixture
def draft(contract, organisation, sponsor):
    return make_draft(contract=contract, organisation=organisation, creator=sponsor, pieces=False)


@pytest.fixture
def deliberation():
    return PieceType.objects.get(code="deliberation")


def send(client, dossier, piece_type, content=PDF, name="deliberation.pdf"):
    return client.post(
        pieces_url(dossier), {"target": f"t{piece_type.pk}", f"t{piece_type.pk}-file": upload(content, name)}
    )


@pytest.mark.django_db
def test_the_checklist_is_that_of_the_sponsors_legal_form(sponsor_client, draft, client, contract):
    commune_page = sponsor_client.get(pieces_url(draft))
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    member = make_user(Role.SPONSOR, organisation=association)
    association_draft = make_draft(contract=contract, organisation=association, creator=member, pieces=False)
    client.force_login(member)
    association_page = client.get(pieces_url(association_draft))

    commune_types = {item["type"].code for item in commune_page.context["checklist"]}
    association_types = {item["type"].code for item in association_page.context["checklist"]}
    assert "deliberation" in commune_types and "statuts" not in commune_types
    assert "statuts" in association_types and "deliberation" not in association_types
    assert commune_page.content.decode().count('type="file"') == len(commune_types)


@pytest.mark.django_db
def test_a_real_pdf_is_stored_under_a_server_generated_name(sponsor_client, draft, deliberation):
    response = send(sponsor_client, draft, deliberation, name="../../délibération finale.pdf")

    assert response.status_code == 302
    assert response.url == pieces_url(draft)
    piece = Piece.objects.get(dossier=draft)
    assert piece.piece_type == deliberation
    assert piece.uploaded_by == draft.created_by
    assert piece.content_type == "application/pdf"
    assert "délibération" not in piece.file.name and ".." not in piece.file.name
    assert piece.file.name.startswith(f"pieces/{draft.pk}/")
    with piece.file.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            EXECUTABLE,
            "deliberation.pdf",
            "This file is not a PDF, PNG or JPEG document (its content was checked, not its name).",
        ),
        (
            HTML,
            "deliberation.pdf",
            "This file is not a PDF, PNG or JPEG document (its content was checked, not its name).",
        ),
    ],
    ids=["executable-renamed-pdf", "html-named-pdf"],
)
def test_a_file_whose_content_is_not_a_document_is_refused_on_its_field_and_leaves_no_trace(
    sponsor_client, draft, deliberation, content, name, message
):
    before, files_before = snapshot(draft), stored_files()

    response = send(sponsor_client, draft, deliberation, content, name)

    assert response.status_code == 200
    target = f"t{deliberation.pk}"
    form = next(item["form"] for item in response.context["checklist"] if item["type"] == deliberation)
    assert form.errors["file"] == [french(message)]
    html = response.content.decode()
    assert f'id="id_{target}-file_error"' in html
    assert f'aria-describedby="id_{target}-file_error"' in html
    assert not Piece.objects.exists()
    assert stored_files() == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_a_file_over_the_maximum_size_is_refused_with_its_size(sponsor_client, draft, deliberation, settings):
    settings.PIECE_MAX_SIZE = 1024
    before, files_before = snapshot(draft), stored_files()

    response = send(sponsor_client, draft, deliberation, PDF + b"%" * 2048)

    form = next(item["form"] for item in response.context["checklist"] if item["type"] == deliberation)
    assert len(form.errors["file"]) == 1
    assert "1,0" in form.errors["file"][0] or "1.0" in form.errors["file"][0]  # the maximum, 1.0 KB
    assert not Piece.objects.exists()
    assert stored_files() == files_before
    assert snapshot(draft) == before


@pytest.mark.django_db
def test_an_empty_file_is_refused(sponsor_client, draft, deliberation):
    response = send(sponsor_client, draft, deliberation, b"")

    assert response.status_code == 200
    assert not Piece.objects.exists()


@pytest.mark.django_db
def test_replacing_a_piece_puts_the_new_file_in_place_and_deletes_the_old_one(
    sponsor_client, draft, deliberation, django_capture_on_commit_callbacks
):
    send(sponsor_client, draft, deliberation)
    old = Piece.objects.get()
    old_path = old.file.path
    new_content = PDF.replace(b"595 842", b"842 595")

    with django_capture_on_commit_callbacks(execute=True):
        response = sponsor_client.post(
            pieces_url(draft), {"target": f"p{old.pk}", f"p{old.pk}-file": upload(new_content, "deliberation-v2.pdf")}
        )

    assert response.status_code == 302
    new = Piece.objects.get()
    assert new.pk != old.pk
    assert (new.piece_type, new.original_name) == (deliberation, "deliberation-v2.pdf")
    with new.file.open("rb") as stored:
        assert stored.read() == new_content
    assert [path.name for path in stored_files()] == [new.file.path.rsplit("/", 1)[-1]]
    assert old_path != new.file.path


@pytest.mark.django_db
def test_a_refused_replacement_keeps_the_old_piece(sponsor_client, draft, deliberation):
    send(sponsor_client, draft, deliberation)
    old = Piece.objects.get()
    files_before = stored_files()

    response = sponsor_client.post(
        pieces_url(draft), {"target": f"p{old.pk}", f"p{old.pk}-file": upload(EXECUTABLE, "virus.pdf")}
    )

    assert response.status_code == 200
    assert list(Piece.objects.values_list("pk", flat=True)) == [old.pk]
    assert stored_files() == files_before
    assert f'id="id_p{old.pk}-file_error"' in response.content.decode()


@pytest.mark.django_db
def test_removing_a_piece_deletes_its_row_and_then_its_file(
    sponsor_client, draft, deliberation, django_capture_on_commit_callbacks
):
    send(sponsor_client, draft, deliberation)
    piece = Piece.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = sponsor_client.post(reverse("portal:piece_remove", args=[draft.pk, piece.pk]))

    assert response.url == pieces_url(draft)
    assert not Piece.objects.exists()
    assert stored_files() == []


@pytest.mark.django_db
def test_pieces_of_a_submitted_dossier_can_no_longer_be_changed(
    sponsor_client, contract, organisation, sponsor, deliberation
):
    dossier = make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor)
    piece = dossier.pieces.first()
    before = snapshot(dossier)

    removal = sponsor_client.post(reverse("portal:piece_remove", args=[dossier.pk, piece.pk]))
    upload_attempt = send(sponsor_client, dossier, deliberation)

    assert removal.status_code == 302
    assert upload_attempt.status_code == 302
    assert upload_attempt.url == reverse("portal:dossier_detail", args=[dossier.pk])
    assert snapshot(dossier) == before


# Download -----------------------------------------------------------------------------------------------


@pytest.fixture
def piece(sponsor_client, draft, deliberation):
    send(sponsor_client, draft, deliberation, name="délibération du conseil.pdf")
    return Piece.objects.get()


@pytest.mark.django_db
def test_the_sponsor_downloads_their_piece_as_an_attachment_never_sniffed(sponsor_client, piece):
    response = sponsor_client.get(reverse("portal:piece_download", args=[piece.dossier_id, piece.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''d%C3%A9lib%C3%A9ration%20du%20conseil.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_territorys_officer_downloads_the_piece_too(client, piece, contract):
    client.force_login(make_user(Role.OFFICER, territory=contract.territory))

    assert client.get(reverse("portal:piece_download", args=[piece.dossier_id, piece.pk])).status_code == 200


@pytest.mark.django_db
def test_another_sponsor_or_an_officer_of_another_territory_gets_a_404(client, piece, other_territory):
    EnvelopeFactory(contract=ContractFactory(territory=other_territory))
    url = reverse("portal:piece_download", args=[piece.dossier_id, piece.pk])
    for user in (
        make_user(Role.SPONSOR, organisation=OrganisationFactory()),
        make_user(Role.OFFICER, territory=other_territory),
    ):
        client.force_login(user)
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_piece_is_only_reached_through_its_own_dossier(sponsor_client, piece, contract, organisation, sponsor):
    other = make_draft(contract=contract, organisation=organisation, creator=sponsor, pieces=False)

    response = sponsor_client.get(reverse("portal:piece_download", args=[other.pk, piece.pk]))

    assert response.status_code == 404
