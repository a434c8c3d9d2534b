import io
import re

import pytest
from pypdf import PdfReader

from documents.models import documents_storage


def pdf_bytes(document) -> bytes:
    with documents_storage().open(document.file.name, "rb") as handle:
        return handle.read()


def text_of(pdf: bytes) -> str:
    """The PDF's text with its whitespace (justification, line breaks, no-break spaces) made single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def document_text(document) -> str:
    return text_of(pdf_bytes(document))


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs what a transition schedules after its commit (the rendering tasks, on the immediate backend)."""

    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run
