"""Helpers shared by the portal's tests."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.utils import translation

from dossiers.models import Dossier


def _minimal_pdf() -> bytes:
    """A real PDF of one empty A4 page, with a correct cross-reference table."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj" % number + content + b"endobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


PDF = _minimal_pdf()


def french(message: str) -> str:
    """The message as the pages show it, in the default language (French)."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(message)


def upload(content: bytes = PDF, name: str = "piece.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def snapshot(dossier) -> tuple:
    """Everything an edit refused must leave as it was."""
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        model_to_dict(fresh, fields=[f.name for f in Dossier._meta.concrete_fields]),
        sorted(fresh.communes.values_list("pk", flat=True)),
        list(fresh.expense_lines.values()),
        list(fresh.funding_lines.values()),
        list(fresh.pieces.values()),
    )
