"""Who sees which diagnostics, and what the pages read.

- administrators: every diagnostic; they alone enter, import, configure the method, classify and
  override;
- the committee secretary and the committee members: every diagnostic, read-only (the Commission
  permanente votes the contracts whose type the diagnostics propose);
- officers and the territories' elected representatives: the diagnostics of their territories,
  read-only;
- anyone else (sponsors, finance, consulted services): nothing, every address answers 404."""

from django.db.models import OuterRef, QuerySet, Subquery

from diagnostics.enums import Dimension, generation_for_vintage
from diagnostics.models import Classification, Diagnostic, ProposalOverride
from dossiers.models import Contract
from workflows.enums import Role
from workflows.permissions import officer_territory_ids, representative_territory_ids, user_roles

REGION_WIDE_READERS = frozenset({Role.ADMINISTRATOR, Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER})


def diagnostic_territory_ids(user) -> frozenset[int]:
    return officer_territory_ids(user) | representative_territory_ids(user)


def sees_diagnostics(user) -> bool:
    return bool(user_roles(user) & REGION_WIDE_READERS) or bool(diagnostic_territory_ids(user))


def diagnostic_list_for_user(user) -> QuerySet[Diagnostic]:
    diagnostics = Diagnostic.objects.select_related("territory")
    if user_roles(user) & REGION_WIDE_READERS:
        return diagnostics
    return diagnostics.filter(territory_id__in=diagnostic_territory_ids(user))


def with_latest(diagnostics: QuerySet[Diagnostic]) -> QuerySet[Diagnostic]:
    """Annotates each diagnostic with the ids of its latest classification and override."""
    return diagnostics.annotate(
        latest_classification_id=Subquery(
            Classification.objects.filter(diagnostic=OuterRef("pk")).order_by("-pk").values("pk")[:1]
        ),
        latest_override_id=Subquery(
            ProposalOverride.objects.filter(diagnostic=OuterRef("pk")).order_by("-pk").values("pk")[:1]
        ),
    )


def attach_summaries(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Gives each diagnostic (annotated by `with_latest`) its `classification`, `override` and
    `contract` (the territory's contract of the generation the vintage prepares), in three queries
    whatever their number."""
    classifications = Classification.objects.select_related("method").in_bulk(
        [diagnostic.latest_classification_id for diagnostic in diagnostics if diagnostic.latest_classification_id]
    )
    overrides = ProposalOverride.objects.select_related("decided_by").in_bulk(
        [diagnostic.latest_override_id for diagnostic in diagnostics if diagnostic.latest_override_id]
    )
    contracts = {
        (contract.territory_id, contract.generation): contract
        for contract in Contract.objects.filter(
            territory_id__in={diagnostic.territory_id for diagnostic in diagnostics}
        )
    }
    for diagnostic in diagnostics:
        diagnostic.classification = classifications.get(diagnostic.latest_classification_id)
        diagnostic.override = overrides.get(diagnostic.latest_override_id)
        diagnostic.contract = contracts.get((diagnostic.territory_id, generation_for_vintage(diagnostic.vintage)))
    return diagnostics


def reasons_for_display(classification: Classification | None) -> list[dict]:
    """The classification's reasons with each dimension's label."""
    if classification is None:
        return []
    labels = dict(Dimension.choices)
    return [
        {**reason, "label": labels.get(reason["dimension"], reason["dimension"])} for reason in classification.reasons
    ]
