"""The consistency check of the money and the numbers: every sum is the sum of its lines, every
commitment sits on an envelope of its own contract that it does not overrun, no final grant passes the
grant nor the payments ordered the grant, the payment orders hold validated or paid requests as their own
payment says and are numbered without gaps, and no sequence lags behind a number it handed out.
`manage.py check_consistency` prints what drifted (nothing, normally)."""

from collections import defaultdict

from django.db.models import F, Q, Sum

from committees.models import AgendaItem, DeliberationSequence, ItemResult
from dossiers.models import Dossier, Envelope
from dossiers.money import ZERO, format_eur, round_cents
from workflows.enums import COMMITTED_STATES
from workflows.services import envelope_committed_amounts


def _number(text: str) -> int:
    return int(text.rsplit("-", 1)[1])


def envelope_problems() -> list[str]:
    problems = []
    envelopes = list(Envelope.objects.select_related("contract"))
    committed = envelope_committed_amounts(envelope.pk for envelope in envelopes)
    for envelope in envelopes:
        if committed.get(envelope.pk, ZERO) > envelope.amount:
            problems.append(
                f"envelope {envelope.pk} ({envelope}): {format_eur(committed[envelope.pk])} committed "
                f"for {format_eur(envelope.amount)}"
            )
    granted = Dossier.objects.filter(state__in=COMMITTED_STATES)
    for reference, final, amount in (
        Dossier.objects.filter(final_amount__isnull=False)
        .filter(Q(final_amount__lt=0) | Q(final_amount__gt=F("granted_amount")) | Q(granted_amount__isnull=True))
        .values_list("reference", "final_amount", "granted_amount")
    ):
        problems.append(
            f"dossier {reference}: final grant {format_eur(final)} for {format_eur(amount or ZERO)} granted"
        )
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


def _lagging(what: str, numbers, last_numbers: dict) -> list[str]:
    """The sequences (keyed by prefix and year) that stand below a number already handed out."""
    highest = defaultdict(int)
    for number in numbers:
        prefix, year = number.split("-")[:2]
        highest[(prefix, int(year))] = max(highest[(prefix, int(year))], _number(number))
    return [
        f"{what} sequence {prefix} {year} at {last_numbers.get((prefix, year), 0)}, {used} used"
        for (prefix, year), used in sorted(highest.items())
        if last_numbers.get((prefix, year), 0) < used
    ]


def sequence_problems() -> list[str]:
    from documents.models import NUMBER_PREFIXES, DocumentJob, DocumentSequence

    deliberations = AgendaItem.objects.exclude(deliberation_number=None).values_list("deliberation_number", flat=True)
    documents = DocumentJob.objects.values_list("number", flat=True)
    return _lagging(
        "deliberation", deliberations, {(s.body, s.year): s.last_number for s in DeliberationSequence.objects.all()}
    ) + _lagging(
        "document",
        documents,
        {(NUMBER_PREFIXES[s.kind], s.year): s.last_number for s in DocumentSequence.objects.all()},
    )


def vote_problems() -> list[str]:
    """Results that disagree with the vote they came from, and votes of members not recorded present."""
    from committees.models import Attendance, Vote

    problems = [
        f"agenda item {pk} (dossier {reference}): result “{result}” but vote “{outcome}”"
        for pk, reference, result, outcome in AgendaItem.objects.exclude(result=ItemResult.PENDING)
        .exclude(outcome="")
        .exclude(outcome=F("result"))
        .values_list("pk", "dossier__reference", "result", "outcome")
    ]
    present = set(Attendance.objects.filter(is_present=True).values_list("session_id", "member_id"))
    for item_id, session_id, member_id, username in Vote.objects.values_list(
        "item_id", "item__session_id", "member_id", "member__username"
    ):
        if (session_id, member_id) not in present:
            problems.append(f"agenda item {item_id}: vote of {username}, who is not recorded present")
    return problems


def payment_problems() -> list[str]:
    """Payments ordered beyond the amount granted (beyond a reduced final grant is a recovery order, not a
    drift), orders whose requests disagree with the order's payment, and gaps in the payment orders'
    numbers."""
    from payments.models import ORDERED_REQUEST_STATES, PaymentOrder, PaymentRequest, RequestState

    problems = []
    # Compared here, to the cent: SQLite sums decimals as floats (1043.28 + 2434.32 = 3477.6000000000004).
    ordered = (
        Dossier.objects.filter(payment_requests__state__in=ORDERED_REQUEST_STATES)
        .annotate(ordered=Sum("payment_requests__payable"))
        .values_list("reference", "ordered", "granted_amount")
    )
    for reference, amount, granted in ordered:
        if round_cents(amount) > (granted or ZERO):
            problems.append(f"dossier {reference}: {format_eur(amount)} ordered for payment, above its grant")
    on_orders = PaymentRequest.objects.filter(order__isnull=False)
    for pk, number, state in on_orders.exclude(state__in=ORDERED_REQUEST_STATES).values_list(
        "pk", "order__number", "state"
    ):
        problems.append(f"payment request {pk} on order {number}: {state}, neither validated nor paid")
    for pk, number in on_orders.filter(order__paid_on__isnull=False, state=RequestState.VALIDATED).values_list(
        "pk", "order__number"
    ):
        problems.append(f"payment request {pk}: not paid, though its order {number} is")
    for pk, number in on_orders.filter(order__paid_on__isnull=True, state=RequestState.PAID).values_list(
        "pk", "order__number"
    ):
        problems.append(f"payment request {pk}: paid, though its order {number} is not")
    used = defaultdict(set)
    for number in PaymentOrder.objects.values_list("number", flat=True):
        _prefix, year, _rest = number.split("-", 2)
        used[int(year)].add(_number(number))
    for year, numbers in sorted(used.items()):
        if missing := sorted(set(range(1, max(numbers) + 1)) - numbers):
            problems.append(f"payment orders {year}: numbers {', '.join(map(str, missing))} missing")
    return problems


def consistency_problems() -> list[str]:
    return envelope_problems() + payment_problems() + sequence_problems() + vote_problems()
