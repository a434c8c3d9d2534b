"""Uploaded files are accepted by their content, never by their name or the browser's content type."""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Signature at the start of the file → (content type, extension).
SIGNATURES = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
]


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    sha256: str


def check_upload(uploaded) -> CheckedFile:
    """Reads the whole file once: its first bytes decide its type, its size is capped, its SHA-256
    names it in storage. Raises ValidationError with a message for the person who sent it."""
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="empty_file")
    if uploaded.size > settings.PIECE_MAX_SIZE:
        raise ValidationError(
            _("The file is too large (%(size)s); the maximum is %(max)s.")
            % {"size": filesizeformat(uploaded.size), "max": filesizeformat(settings.PIECE_MAX_SIZE)},
            code="file_too_large",
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    match = next(((ctype, ext) for signature, ctype, ext in SIGNATURES if head.startswith(signature)), None)
    if match is None:
        raise ValidationError(
            _("This file is not a PDF, PNG or JPEG document (its content was checked, not its name)."),
            code="file_type",
        )
    content_type, extension = match
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: uploaded.read(64 * 1024), b""):
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(content_type=content_type, extension=extension, size=uploaded.size, sha256=digest.hexdigest())


def save_with_file(record, uploaded, checked: CheckedFile, *, then=None):
    """Writes `record` (a model with `file`, `original_name`, `content_type`, `extension`, `size` and
    `sha256`) with the uploaded file stored under the name its `upload_to` gives (never the sender's).
    If writing the record, or `then()` after it, fails, the stored file is deleted again: no file is
    left that no record points to."""
    record.original_name = uploaded.name[:200]
    record.content_type, record.extension = checked.content_type, checked.extension
    record.size, record.sha256 = checked.size, checked.sha256
    record.file.save(uploaded.name, uploaded, save=False)
    try:
        record.save()
        if then is not None:
            then()
    except BaseException:
        record.file.delete(save=False)
        raise
    return record
