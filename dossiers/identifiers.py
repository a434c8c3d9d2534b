"""Identifiers of legal persons: SIRET/SIREN (python-stdnum, La Poste's exception included) and RNA."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

RNA_PATTERN = re.compile(r"^W\d{9}$")


def normalise_siret(value: str) -> str:
    """Returns the 14 digits of a valid SIRET, or raises a ValidationError saying what is wrong."""
    try:
        return siret.validate(value)
    except InvalidLength:
        raise ValidationError(_("A SIRET has exactly 14 digits."), code="siret_length") from None
    except InvalidFormat:
        raise ValidationError(_("A SIRET contains digits only."), code="siret_format") from None
    except InvalidChecksum:
        raise ValidationError(
            _("This SIRET is not valid: its check digit is wrong. Check the number on your Kbis or INSEE notice."),
            code="siret_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(_("This SIRET is not valid."), code="siret_invalid") from None


def normalise_siren(value: str) -> str:
    try:
        return siren.validate(value)
    except InvalidLength:
        raise ValidationError(_("A SIREN has exactly 9 digits."), code="siren_length") from None
    except InvalidFormat:
        raise ValidationError(_("A SIREN contains digits only."), code="siren_format") from None
    except StdnumError:
        raise ValidationError(_("This SIREN is not valid: its check digit is wrong."), code="siren_checksum") from None


def normalise_rna(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if not RNA_PATTERN.match(compact):
        raise ValidationError(
            _("An RNA number is the letter W followed by 9 digits (for example W332001234)."),
            code="rna_format",
        )
    return compact


def validate_siret(value: str) -> None:
    normalise_siret(value)


def validate_rna(value: str) -> None:
    normalise_rna(value)
