"""The administrators' free paragraphs: a restricted rich text, sanitised with nh3 when saved (and again
when rendered), with merge fields `{{ beneficiaire }}` replaced by escaped values.

Merge fields are plain text substitutions, never template code: a paragraph cannot reach anything but
the values listed in `MERGE_FIELDS`.
"""

import re

import nh3
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li"})

# name → what it prints. Every letter of a dossier has them all (empty when they do not apply yet);
# the session report has the session's only.
MERGE_FIELDS = {
    "beneficiaire": gettext_lazy("the beneficiary's name"),
    "siret": gettext_lazy("the beneficiary's SIRET"),
    "reference": gettext_lazy("the dossier's reference (NA-2026-000123)"),
    "intitule": gettext_lazy("the project's title"),
    "objet": gettext_lazy("the grant's object"),
    "territoire": gettext_lazy("the territory"),
    "contrat": gettext_lazy("the contract"),
    "montant_demande": gettext_lazy("the amount requested (12 345,67 €)"),
    "montant": gettext_lazy("the amount granted or proposed"),
    "montant_lettres": gettext_lazy("the same amount in words"),
    "taux": gettext_lazy("the rate of the grant on the eligible base (40 %)"),
    "base_eligible": gettext_lazy("the eligible base, with HT or TTC"),
    "date_depot": gettext_lazy("the date the dossier was submitted (5 mars 2026)"),
    "date_limite_pieces": gettext_lazy("the date by which missing pieces are expected"),
    "numero_deliberation": gettext_lazy("the deliberation number (CP-2026-06-0123)"),
    "date_deliberation": gettext_lazy("the date of the committee session"),
    "date_seance": gettext_lazy("the date of the committee session"),
    "date_du_jour": gettext_lazy("the date of the letter"),
    "signataire": gettext_lazy("the signatory's name"),
}
MERGE_FIELD_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")


def sanitize(html: str) -> str:
    """Keeps the allowed tags without any attribute; drops scripts and styles with their content, keeps
    the text of every other element. Plain text (no tag) becomes paragraphs, one per blank line."""
    html = (html or "").strip()
    if html and not TAG_RE.search(html):
        paragraphs = [part.strip() for part in re.split(r"\n\s*\n", html) if part.strip()]
        html = "".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={},
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
        clean_content_tags={"script", "style"},
    )


def unknown_merge_fields(html: str) -> list[str]:
    return sorted({name for name in MERGE_FIELD_RE.findall(html or "") if name not in MERGE_FIELDS})


def validate_merge_fields(html: str) -> None:
    unknown = unknown_merge_fields(html)
    if unknown:
        raise ValidationError(
            _("Unknown merge fields: %(fields)s. The available fields are listed under the form.")
            % {"fields": ", ".join(f"{{{{ {name} }}}}" for name in unknown)},
            code="unknown_merge_field",
        )


def merge(html: str, values: dict[str, str]) -> SafeString:
    """The sanitised paragraphs with each merge field replaced by its escaped value."""
    clean = sanitize(html)
    return mark_safe(MERGE_FIELD_RE.sub(lambda match: escape(values.get(match.group(1), "")), clean))  # noqa: S308
