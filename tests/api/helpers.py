"""Helpers shared by the API's tests."""

from dossiers.models import Dossier

DOSSIER_FIELDS = [
    "kind",
    "state",
    "organisation_id",
    "created_by_id",
    "contract_id",
    "territory_id",
    "theme_id",
    "title",
    "object",
    "description",
    "planned_start",
    "planned_end",
    "tax_basis",
    "requested_amount",
    "self_financing_exemption",
    "rule_set_id",
]


def comparable(dossier, *extra: dict) -> tuple:
    """What the sponsor filed, without what differs between two dossiers anyway (ids, reference, dates
    of creation and submission, the files' stored names); `extra` (what else was filed with the dossier)
    follows its fields."""
    dossier = Dossier.objects.get(pk=dossier.pk)
    return (
        {name: getattr(dossier, name) for name in DOSSIER_FIELDS},
        *extra,
        sorted(dossier.communes.values_list("insee", flat=True)),
        list(dossier.expense_lines.values("label", "amount", "is_eligible")),
        list(dossier.funding_lines.values("funder_kind", "funder_name", "amount", "status")),
        list(dossier.pieces.values("piece_type_id", "original_name", "content_type", "size", "sha256", "uploaded_by")),
    )
