"""The administrators adapt the letters without a deployment: each save is a new version of the
paragraphs and signatory, sanitised, with merge fields checked; the most specific text applies; a PDF
preview with demonstration data is one click away."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.contexts import letter_for
from documents.letters import letter_publish
from documents.models import DocumentKind, LetterTemplate
from dossiers.enums import ContractType
from tests.documents.conftest import text_of
from tests.factories import make_user
from workflows.enums import Role

pytestmark = pytest.mark.django_db


def tiny_png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(Role.ADMINISTRATOR))
    return client


def form_data(**overrides):
    return {
        "kind": DocumentKind.AWARD_NOTIFICATION,
        "contract_type": "",
        "territory": "",
        "opening": "<p>Madame, Monsieur, {{ beneficiaire }}</p>",
        "closing": "<p>Cordialement.</p>",
        "signatory_name": "Anne Durand",
        "signatory_title": "Directrice générale adjointe",
        "note": "Nouvelle signataire",
        **overrides,
    }


def test_saving_in_the_admin_publishes_the_next_version_and_keeps_the_previous_one(admin_client):
    first = letter_for(DocumentKind.AWARD_NOTIFICATION)
    response = admin_client.post(
        reverse("admin:documents_lettertemplate_add") + f"?from={first.pk}",
        form_data(opening='<p onclick="x()">Bonjour {{ beneficiaire }}<script>x()</script></p>'),
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    latest = letter_for(DocumentKind.AWARD_NOTIFICATION)
    assert latest.version == first.version + 1 and latest.scope_key == first.scope_key
    assert latest.opening == "<p>Bonjour {{ beneficiaire }}</p>"
    first.refresh_from_db()
    assert first.signatory_name == "Claire Mercier"  # untouched


def test_a_version_cannot_be_changed_in_place(admin_client):
    letter = letter_for(DocumentKind.ACKNOWLEDGEMENT)
    response = admin_client.post(reverse("admin:documents_lettertemplate_change", args=[letter.pk]), form_data())
    assert response.status_code == 403
    letter.signatory_name = "Quelqu'un d'autre"
    with pytest.raises(ValidationError):
        letter.save()


def test_an_unknown_merge_field_is_refused_with_the_list_to_choose_from(admin_client):
    response = admin_client.post(
        reverse("admin:documents_lettertemplate_add"), form_data(opening="<p>{{ montant_total }}</p>")
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "montant_total" in content
    assert LetterTemplate.objects.filter(kind=DocumentKind.AWARD_NOTIFICATION).count() == 1


def test_the_signature_image_is_checked_by_its_content(admin_client):
    fake = SimpleUploadedFile("signature.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = admin_client.post(
        reverse("admin:documents_lettertemplate_add"), {**form_data(), "signature_upload": fake}
    )
    assert response.status_code == 200
    assert LetterTemplate.objects.filter(kind=DocumentKind.AWARD_NOTIFICATION).count() == 1

    real = SimpleUploadedFile("anything.bin", tiny_png(), content_type="application/octet-stream")
    response = admin_client.post(
        reverse("admin:documents_lettertemplate_add"), {**form_data(), "signature_upload": real}
    )
    assert response.status_code == 302
    latest = letter_for(DocumentKind.AWARD_NOTIFICATION)
    assert latest.signature_extension == "png" and latest.signature_image.name.endswith(".png")


def test_the_preview_is_a_pdf_with_demonstration_data(admin_client):
    letter = letter_for(DocumentKind.AWARD_NOTIFICATION)
    response = admin_client.get(reverse("admin:documents_lettertemplate_preview", args=[letter.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "APERÇU" in text and "Commune de Démoville" in text and "90 000,00 €" in text
    # Every type has its preview.
    for kind in DocumentKind:
        preview = admin_client.get(reverse("admin:documents_lettertemplate_preview", args=[letter_for(kind).pk]))
        assert preview.content.startswith(b"%PDF-"), kind


def test_the_preview_is_for_administrators_only(client):
    client.force_login(make_user(Role.OFFICER))
    letter = letter_for(DocumentKind.AWARD_NOTIFICATION)
    response = client.get(reverse("admin:documents_lettertemplate_preview", args=[letter.pk]))
    assert response.status_code == 302  # to the admin's login


def test_the_most_specific_text_applies_territory_then_contract_type_then_default(territory, other_territory):
    def publish(**scope):
        return letter_publish(
            actor=None, kind=DocumentKind.REFUSAL_LETTER, signatory_name="X", signatory_title="Y", **scope
        )

    default = letter_for(DocumentKind.REFUSAL_LETTER)
    by_type = publish(contract_type=ContractType.ATTRACTIVITE)
    by_territory = publish(territory=territory)

    assert letter_for(DocumentKind.REFUSAL_LETTER, ContractType.ATTRACTIVITE, territory.pk) == by_territory
    assert letter_for(DocumentKind.REFUSAL_LETTER, ContractType.ATTRACTIVITE, other_territory.pk) == by_type
    assert letter_for(DocumentKind.REFUSAL_LETTER, ContractType.DYNAMISATION_COHESION, other_territory.pk) == default
