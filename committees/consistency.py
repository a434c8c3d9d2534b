"""The consistency check of the money and the numbers: every sum is the sum of its lines, every
commitment sits on an envelope of its own contract that it does not overrun, and no sequence lags behind
a number it handed out. `manage.py check_consistency` prints what drifted (nothing, normally)."""

from collections import defaultdict

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from committees.models import AgendaItem, DeliberationSequence, ItemResult
from dossiers.models import Dossier, Envelope
from dossiers.money import ZERO, format_eur
from workflows.enums import COMMITTED_STATES


def _number(text: str) -> int:
    return int(text.rsplit("-", 1)[1])


def envelope_problems() -> list[str]:
    problems = []
    committed = Envelope.objects.annotate(
        committed=Coalesce(Sum("dossiers__granted_amount", filter=Q(dossiers__state__in=COMMITTED_STATES)), ZERO)
    ).select_related("contract")
    for envelope in committed:
        if envelope.committed > envelope.amount:
            problems.append(
                f"envelope {envelope.pk} ({envelope}): {format_eur(envelope.committed)} committed "
                f"for {format_eur(envelope.amount)}"
            )
    granted = Dossier.objects.filter(state__in=COMMITTED_STATES)
    for reference in granted.filter(Q(envelope__isnull=True) | Q(granted_amount__isnull=True)).values_list(
        "reference", flat=True
    ):
        problems.append(f"dossier {reference}: committed without an envelope or an amount")
    for reference in (
        granted.exclude(envelope__contract_id=F("contract_id"))
        .exclude(envelope__isnull=True)
        .values_list("reference", flat=True)
    ):
        problems.append(f"dossier {reference}: committed on another contract's envelope")
    voted = dict(
        AgendaItem.objects.filter(result=ItemResult.APPROVED, dossier__state__in=COMMITTED_STATES)
        .order_by("dossier_id", "decided_at")
        .values_list("dossier_id", "voted_amount")
    )
    for pk, reference, amount in granted.values_list("pk", "reference", "granted_amount"):
        if pk not in voted:
            problems.append(f"dossier {reference}: committed without an approved agenda item")
        elif voted[pk] != amount:
            problems.append(f"dossier {reference}: {format_eur(amount)} granted, {format_eur(voted[pk])} voted")
    return problems


def sequence_problems() -> list[str]:
    from documents.models import NUMBER_PREFIXES, DocumentJob, DocumentSequence

    problems = []
    used = defaultdict(int)
    for number in AgendaItem.objects.exclude(deliberation_number=None).values_list("deliberation_number", flat=True):
        body, year = number.split("-")[:2]
        used[(body, int(year))] = max(used[(body, int(year))], _number(number))
    sequences = {(s.body, s.year): s.last_number for s in DeliberationSequence.objects.all()}
    for (body, year), highest in sorted(used.items()):
        if sequences.get((body, year), 0) < highest:
            problems.append(f"deliberation sequence {body} {year} at {sequences.get((body, year), 0)}, {highest} used")
    documents = defaultdict(int)
    for number in DocumentJob.objects.values_list("number", flat=True):
        prefix, year = number.split("-")[:2]
        documents[(prefix, int(year))] = max(documents[(prefix, int(year))], _number(number))
    kinds = {prefix: kind for kind, prefix in NUMBER_PREFIXES.items()}
    last = {(NUMBER_PREFIXES[s.kind], s.year): s.last_number for s in DocumentSequence.objects.all()}
    for (prefix, year), highest in sorted(documents.items()):
        if prefix in kinds and last.get((prefix, year), 0) < highest:
            problems.append(f"document sequence {prefix} {year} at {last.get((prefix, year), 0)}, {highest} used")
    return problems


def consistency_problems() -> list[str]:
    return envelope_problems() + sequence_problems()
