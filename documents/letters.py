"""Publishing a new version of a letter text. Versions are never edited: the admin's "add" form starts
from the current version of the scope, and saving makes the next one."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from documents.models import LetterTemplate
from documents.richtext import sanitize, validate_merge_fields
from documents.uploads import check_upload


def check_signature(upload) -> str:
    """The signature image's extension, from its content (PNG or JPEG only)."""
    checked = check_upload(upload)
    if checked.content_type not in ("image/png", "image/jpeg"):
        raise ValidationError(_("The signature must be a PNG or JPEG image."), code="signature_type")
    return checked.extension


def letter_publish(
    *,
    actor,
    kind: str,
    contract_type: str = "",
    territory=None,
    opening: str = "",
    closing: str = "",
    signatory_name: str,
    signatory_title: str,
    signature_upload=None,
    signature_from: LetterTemplate | None = None,
    note: str = "",
) -> LetterTemplate:
    """Sanitises the paragraphs (nh3), checks their merge fields, and saves the next version of the
    scope (document type, contract type, territory). The signature is the new upload, else the one of
    `signature_from` (the version the form started from)."""
    for text in (opening, closing):
        validate_merge_fields(text)
    scope_key = LetterTemplate.make_scope_key(kind, contract_type, territory.pk if territory else None)
    letter = LetterTemplate(
        kind=kind,
        contract_type=contract_type,
        territory=territory,
        scope_key=scope_key,
        opening=sanitize(opening),
        closing=sanitize(closing),
        signatory_name=signatory_name,
        signatory_title=signatory_title,
        note=note,
        created_by=actor,
    )
    if signature_upload is not None:
        letter.signature_extension = check_signature(signature_upload)
    elif signature_from is not None and signature_from.signature_image:
        letter.signature_image = signature_from.signature_image.name
        letter.signature_extension = signature_from.signature_extension
    with transaction.atomic():
        # The scope's rows are locked so that two administrators saving at once get two versions.
        list(LetterTemplate.objects.select_for_update().filter(scope_key=scope_key).values_list("pk"))
        top = LetterTemplate.objects.filter(scope_key=scope_key).aggregate(top=Max("version"))["top"] or 0
        letter.version = top + 1
        if signature_upload is not None:
            letter.signature_image.save(f"signature.{letter.signature_extension}", signature_upload, save=False)
        letter.save()
    return letter
