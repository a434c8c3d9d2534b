"""The payments of the demonstration data (issue 6): what `make run` shows on the payment panels, the
envelopes' "paid" figure and the payment orders.

- Every demonstration organisation with a dossier notified or later has validated bank details (a valid
  French IBAN, a BIC, the RIB as one demonstration PDF shared by all).
- The bulk-built dossiers in payment have their advance; those paid or closed have the advance and the
  balance (final grant = amount granted, expenses justified = eligible base). Each request was validated
  when the dossier's history says it moved (`start_payment`, `mark_paid`), was put on the weekly payment
  order exported the Friday after and paid the Monday after that: requests validated since the last export
  still wait for an order, and an order exported but not paid yet waits for finance to record it.
- The demonstration sponsor (`porteur`) asked, through the real services, for an advance the officer
  (`instructeur`) has to check and for an instalment (statement of two lines, an invoice) checked already,
  which finance (`finances`) has to validate.

Idempotent: a dossier with payment requests is skipped, an organisation with live bank details keeps
them, and the sponsor's two requests carry fixed idempotency keys (asked once, whatever became of them).
Rows are written in bulk, a constant number of queries per chunk of dossiers.
"""

import contextlib
import hashlib
import io
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Case, F, Min, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from stdnum import iban as stdnum_iban

from dossiers.demo import DEMO_OFFICER_TERRITORY, DEMO_PDF
from dossiers.enums import TaxBasis
from dossiers.models import Dossier, Membership, Organisation, RuleSet
from dossiers.money import ZERO, round_cents
from dossiers.rules import convention_required
from payments import calculation
from payments.models import (
    LIVE_BANK_STATUSES,
    OPEN_REQUEST_STATES,
    BankAccount,
    BankAccountStatus,
    ExpenseStatementLine,
    PaymentFile,
    PaymentFileKind,
    PaymentKind,
    PaymentOrder,
    PaymentRequest,
    RequestState,
)
from payments.services import (
    PaymentRefused,
    StatementLine,
    dossier_grant,
    figures_fields,
    grant_of,
    payment_request_check,
    payment_request_submit,
)
from workflows.enums import AuditKind, DossierState
from workflows.models import AuditEvent

logger = logging.getLogger(__name__)

S = DossierState
NOTIFIED_OR_LATER = (S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED)
BALANCED_STATES = (S.PAID, S.CLOSED)
CHUNK = 2000
VAT = Decimal("1.2")
DEMO_RIB_NAME = "rib/demo/rib-de-demonstration.pdf"
DEMO_PROOF_NAME = "payments/demo/justificatif-de-demonstration.pdf"
# The demonstration sponsor's two requests: asked once, whatever became of them since.
SPONSOR_ADVANCE_KEY = uuid.uuid5(uuid.NAMESPACE_URL, "https://contrats-territoire.invalid/demo/advance")
SPONSOR_INSTALMENT_KEY = uuid.uuid5(uuid.NAMESPACE_URL, "https://contrats-territoire.invalid/demo/instalment")
# Public bodies are paid on their account at the Trésor public (Banque de France); the others at a bank.
PUBLIC_BANK = ("30001", "BDFEFRPPCCT")
BANKS = [
    ("30004", "BNPAFRPPXXX"),
    ("30003", "SOGEFRPPXXX"),
    ("10907", "CCBPFRPPXXX"),
    ("20041", "PSSTFRPPXXX"),
    ("13335", "CEPAFRPPXXX"),
]


def seed_demo_payments() -> int:
    """Bank details, the bulk-built dossiers' payments and the demonstration sponsor's requests; returns
    how many payment requests were added."""
    User = get_user_model()
    finance = User.objects.filter(username="finances").first()
    if finance is None:
        logger.warning("demo payments: no `finances` login, run seed_logins first")
        return 0
    now = timezone.now().replace(microsecond=0)
    demo_bank_accounts_seed(finance=finance, now=now)
    added = demo_payments_seed(finance=finance, now=now)
    return added + demo_sponsor_requests_seed()


# Bank details ---------------------------------------------------------------------------------------


def demo_iban(organisation_id: int, *, public: bool) -> tuple[str, str]:
    """A valid French IBAN (RIB key and IBAN check digits computed) and its BIC, fixed by the organisation."""
    bank, bic = PUBLIC_BANK if public else BANKS[organisation_id % len(BANKS)]
    branch = f"{(organisation_id * 37) % 100_000:05d}"
    account = f"{organisation_id:011d}"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    return f"FR{stdnum_iban.calc_check_digits('FR00' + bban)}{bban}", bic


def _demo_file(name: str) -> tuple[str, str]:
    """The demonstration PDF stored once under `name`, shared by the rows that point to it; its SHA-256."""
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(DEMO_PDF))
    return name, hashlib.sha256(DEMO_PDF).hexdigest()


def demo_bank_accounts_seed(*, finance, now: datetime) -> int:
    """Validated bank details for each demonstration organisation with a dossier notified or later and no
    live details, given by one of its members the day after its first approval and validated by finance
    two days later (before any of its payments). Returns how many were added."""
    first_member = Membership.objects.filter(organisation=OuterRef("pk")).order_by("pk").values("user_id")[:1]
    organisations = (
        Organisation.objects.filter(is_demo=True, dossiers__state__in=NOTIFIED_OR_LATER)
        .exclude(pk__in=BankAccount.objects.filter(status__in=LIVE_BANK_STATUSES).values("organisation_id"))
        .annotate(
            member_id=Subquery(first_member),
            first_decision=Min("dossiers__decided_at", filter=Q(dossiers__state__in=NOTIFIED_OR_LATER)),
        )
        .filter(member_id__isnull=False)
        .order_by("pk")
    )
    name, sha = _demo_file(DEMO_RIB_NAME)
    accounts = []
    for organisation in organisations.iterator(chunk_size=CHUNK):
        iban, bic = demo_iban(organisation.pk, public=organisation.is_public_law)
        submitted = min((organisation.first_decision or now - timedelta(days=30)) + timedelta(days=1), now)
        accounts.append(
            BankAccount(
                organisation_id=organisation.pk,
                holder=organisation.name[:200],
                iban=iban,
                bic=bic,
                file=name,
                original_name="rib.pdf",
                content_type="application/pdf",
                extension="pdf",
                size=len(DEMO_PDF),
                sha256=sha,
                status=BankAccountStatus.VALIDATED,
                submitted_by_id=organisation.member_id,
                submitted_at=submitted,
                decided_by=finance,
                decided_at=min(submitted + timedelta(days=2), now),
            )
        )
    BankAccount.objects.bulk_create(accounts, batch_size=1000)
    return len(accounts)


# The bulk-built dossiers' payments -------------------------------------------------------------------


@dataclass
class _Planned:
    """A request to write (its fields but the state, the order and the payment date, known once the
    orders are made), with its statement lines and files (written once the request has its id)."""

    fields: dict
    export_at: datetime
    lines: list = field(default_factory=list)
    files: list = field(default_factory=list)
    request: PaymentRequest | None = None


def _friday_export(validated_at: datetime) -> datetime:
    """Finance exports the week's validated requests on Friday at 17:00 (those validated later wait for
    the next Friday)."""
    day = timezone.localdate(validated_at)
    export = timezone.make_aware(datetime.combine(day + timedelta(days=(4 - day.weekday()) % 7), time(17)))
    return export if export >= validated_at else export + timedelta(days=7)


def _between(start: datetime, end: datetime, share: float) -> datetime:
    return start + max(end - start, timedelta(0)) * share


def _history(dossier_ids) -> dict[int, dict[str, datetime]]:
    """The time of each payment-related transition of the dossiers (their latest, if fired twice)."""
    times = defaultdict(dict)
    events = (
        AuditEvent.objects.filter(
            dossier_id__in=dossier_ids,
            kind=AuditKind.TRANSITION,
            transition__in=["notify", "sign_agreement", "start_payment", "mark_paid"],
        )
        .order_by("created_at", "pk")
        .values_list("dossier_id", "transition", "created_at")
    )
    for dossier_id, transition, at in events:
        times[dossier_id][transition] = at
    return times


def _statement(dossier, grant: calculation.Grant, first: date, last: date) -> list[ExpenseStatementLine]:
    """Two lines that justify the whole eligible base: the works (70 %) and their design (the rest)."""
    works = round_cents(grant.eligible_base * Decimal("0.7"))
    rows = [
        ("Entreprise Etchegaray BTP", "F-2024-0187", first, works),
        ("Atelier d'architecture Bidart", "H-2024-052", last, grant.eligible_base - works),
    ]
    lines = []
    for position, (supplier, reference, day, amount) in enumerate(rows, start=1):
        if dossier["tax_basis"] == TaxBasis.TTC:
            ttc, ht = amount, round_cents(amount / VAT)
        else:
            ht, ttc = amount, round_cents(amount * VAT)
        lines.append(
            ExpenseStatementLine(
                position=position,
                supplier=supplier,
                invoice_reference=f"{reference}-{dossier['pk']}",
                invoice_date=day,
                amount_ht=ht,
                amount_ttc=ttc,
            )
        )
    return lines


class _Planner:
    """Builds the requests of one dossier from its history: the advance validated when it moved to
    `in_payment`, the balance when it moved to `paid`."""

    def __init__(self, *, finance, now: datetime, proof: tuple[str, str]):
        self.finance, self.now, self.proof = finance, now, proof
        self.rule_sets = {rule_set.pk: rule_set for rule_set in RuleSet.objects.all()}
        self.accounts = dict(
            BankAccount.objects.filter(status=BankAccountStatus.VALIDATED).values_list("organisation_id", "pk")
        )
        self.officers = {}
        for territory_id, user_id in (
            get_user_model()
            .objects.filter(is_active=True, groups__territory__isnull=False)
            .order_by("pk")
            .values_list("groups__territory", "pk")
        ):
            self.officers.setdefault(territory_id, user_id)
        demo_officer = (
            get_user_model()
            .objects.filter(username="instructeur", groups__territory__code=DEMO_OFFICER_TERRITORY)
            .values_list("groups__territory", "pk")
            .first()
        )
        if demo_officer:
            self.officers[demo_officer[0]] = demo_officer[1]

    def plan(self, dossier: dict, times: dict[str, datetime]) -> list[_Planned]:
        rule_set = self.rule_sets.get(dossier["rule_set_id"])
        if rule_set is None or not dossier["granted_amount"]:
            return []
        try:
            grant = grant_of(dossier["granted_amount"], dossier["eligible_base"])
        except calculation.PaymentRuleError:
            return []
        notified = times.get("notify") or timezone.make_aware(
            datetime.combine(dossier["notified_on"] or timezone.localdate(self.now), time(10))
        )
        payable_from = times.get("sign_agreement", notified)
        advance_at = min(times.get("start_payment") or payable_from + timedelta(days=15), self.now)
        figures = calculation.advance(grant, advance_max_rate=rule_set.advance_max_rate)
        advance = self._request(
            dossier, PaymentKind.ADVANCE, figures_fields(figures, ZERO), payable_from, advance_at, files=[]
        )
        planned = [advance]
        if dossier["state"] in BALANCED_STATES:
            balance_at = min(times.get("mark_paid") or advance_at + timedelta(days=60), self.now)
            figures = calculation.balance(grant, justified=grant.eligible_base, already_paid=figures.payable)
            files = [
                (PaymentFileKind.COMPLETION_STATEMENT, "decompte-final.pdf"),
                (PaymentFileKind.INVOICE, "factures.pdf"),
            ]
            balance = self._request(
                dossier,
                PaymentKind.BALANCE,
                figures_fields(figures, grant.eligible_base),
                advance_at,
                balance_at,
                files=files,
            )
            asked_on = timezone.localdate(balance.fields["submitted_at"])
            started_on = timezone.localdate(advance_at)
            balance.lines = _statement(dossier, grant, started_on, max(asked_on - timedelta(days=3), started_on))
            planned.append(balance)
        return planned

    def _request(self, dossier, kind, figures, since: datetime, validated_at: datetime, *, files) -> _Planned:
        submitted = _between(since, validated_at, 0.3)
        fields = dict(
            dossier_id=dossier["pk"],
            kind=kind,
            created_by_id=dossier["created_by_id"],
            submitted_at=submitted,
            checked_by_id=self.officers.get(dossier["territory_id"]),
            checked_at=_between(since, validated_at, 0.7),
            validated_by=self.finance,
            validated_at=validated_at,
            bank_account_id=self.accounts.get(dossier["organisation_id"]),
            **figures,
        )
        name, sha = self.proof
        documents = [
            PaymentFile(
                kind=file_kind,
                file=name,
                original_name=original,
                content_type="application/pdf",
                extension="pdf",
                size=len(DEMO_PDF),
                sha256=sha,
                uploaded_by_id=dossier["created_by_id"],
                uploaded_at=submitted,
            )
            for file_kind, original in files
        ]
        return _Planned(fields=fields, export_at=_friday_export(validated_at), files=documents)


def _orders(planned: list[_Planned], *, finance, now: datetime) -> dict[datetime, tuple[PaymentOrder, bool]]:
    """The weekly payment orders the planned requests go on (exported on a Friday, paid the Monday
    after), numbered after the year's last order; export time → (order, paid). Exports still to come
    make no order."""
    exports = sorted({item.export_at for item in planned if item.export_at <= now})
    last = defaultdict(int)
    for number in PaymentOrder.objects.filter(number__startswith="OP-").values_list("number", flat=True):
        _prefix, year, sequence = number.split("-", 2)
        if year.isdigit() and sequence.isdigit():
            last[int(year)] = max(last[int(year)], int(sequence))
    orders = []
    for export_at in exports:
        year = timezone.localdate(export_at).year
        last[year] += 1
        paid_on = timezone.localdate(export_at) + timedelta(days=3)
        paid = paid_on <= timezone.localdate(now)
        orders.append(
            PaymentOrder(
                number=f"OP-{year}-{last[year]:06d}",
                created_by=finance,
                created_at=export_at,
                paid_on=paid_on if paid else None,
                paid_recorded_by=finance if paid else None,
            )
        )
    PaymentOrder.objects.bulk_create(orders)
    return {order.created_at: (order, order.paid_on is not None) for order in orders}


def demo_payments_seed(*, finance, now: datetime) -> int:
    """The advance and balance of the demonstration dossiers in payment, paid or closed that have no
    payment request yet, and `Dossier.final_amount` for the paid and closed ones. Returns how many
    requests were added."""
    dossiers = Dossier.objects.filter(
        organisation__is_demo=True, state__in=[S.IN_PAYMENT, *BALANCED_STATES], payment_requests__isnull=True
    ).order_by("pk")
    rows = list(
        dossiers.values(
            "pk",
            "state",
            "organisation_id",
            "territory_id",
            "created_by_id",
            "rule_set_id",
            "granted_amount",
            "eligible_base",
            "tax_basis",
            "notified_on",
        )
    )
    if not rows:
        return 0
    planner = _Planner(finance=finance, now=now, proof=_demo_file(DEMO_PROOF_NAME))
    planned, balanced = [], []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        history = _history([row["pk"] for row in chunk])
        for row in chunk:
            items = planner.plan(row, history.get(row["pk"], {}))
            planned += items
            if row["state"] in BALANCED_STATES and items:
                balanced.append(row["pk"])
    with transaction.atomic():
        orders = _orders(planned, finance=finance, now=now)
        for item in planned:
            order, paid = orders.get(item.export_at, (None, False))
            item.request = PaymentRequest(
                **item.fields,
                state=RequestState.PAID if paid else RequestState.VALIDATED,
                order=order,
                paid_on=order.paid_on if paid else None,
            )
        for start in range(0, len(planned), CHUNK):
            _write_chunk(planned[start : start + CHUNK])
        for start in range(0, len(balanced), CHUNK):
            Dossier.objects.filter(pk__in=balanced[start : start + CHUNK]).update(final_amount=F("granted_amount"))
    return len(planned)


def _write_chunk(planned: list[_Planned]) -> None:
    PaymentRequest.objects.bulk_create([item.request for item in planned], batch_size=500)
    lines, files = [], []
    for item in planned:
        for line in item.lines:
            line.request_id = item.request.pk
            lines.append(line)
        for document in item.files:
            document.request_id = item.request.pk
            files.append(document)
    ExpenseStatementLine.objects.bulk_create(lines, batch_size=1000)
    PaymentFile.objects.bulk_create(files, batch_size=1000)


# The demonstration sponsor's requests, through the services ----------------------------------------


@contextlib.contextmanager
def _quietly():
    """While seeding, the notices' e-mails (printed by the console mailer locally) and the tasks' INFO logs
    are not shown: the seed's output stays its summary and the logins. Warnings still are."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(previous)


def demo_sponsor_requests_seed(username: str = "porteur", officer_username: str = "instructeur") -> int:
    """An advance submitted (for the officer to check) and an instalment checked (for finance to validate)
    on two dossiers of `username`'s organisations; when it has none that can be paid, on dossiers of the
    officer's territories, then of any territory (asked by a member of the dossier's organisation and
    checked by an officer of its territory). A refusal is logged and skips the dossier. Returns how many
    requests were added."""
    User = get_user_model()
    sponsor = User.objects.filter(username=username).first()
    officer = User.objects.filter(username=officer_username).first()
    if sponsor is None or officer is None:
        return 0
    added = 0
    for kind, key, states in (
        (PaymentKind.ADVANCE, SPONSOR_ADVANCE_KEY, (S.NOTIFIED, S.AGREEMENT_SIGNED)),
        (PaymentKind.INSTALMENT, SPONSOR_INSTALMENT_KEY, (S.IN_PAYMENT, S.NOTIFIED, S.AGREEMENT_SIGNED)),
    ):
        if PaymentRequest.objects.filter(idempotency_key=key).exists():
            continue
        for dossier in _candidates(sponsor, officer, states=states, first_payment=kind == PaymentKind.ADVANCE):
            with _quietly():
                request = _ask(dossier, sponsor, officer, kind=kind, key=key)
            if request is not None:
                added += 1
                break
        else:
            logger.warning("demo payments: no dossier could take the demonstration sponsor's %s", kind)
    return added


def _candidates(sponsor, officer, *, states, first_payment: bool, limit: int = 5):
    """Dossiers of the sponsor's organisations, then of the officer's territories, then of any territory,
    in `states` (in that order of preference) with no request in progress and no balance asked (and no
    request at all for a first payment), a convention signed when one is required; at most `limit` of each."""
    dossiers = (
        Dossier.objects.filter(state__in=states, organisation__is_demo=True, granted_amount__isnull=False)
        .exclude(payment_requests__state__in=OPEN_REQUEST_STATES)
        .exclude(payment_requests__kind=PaymentKind.BALANCE)
        .select_related("organisation", "rule_set", "territory", "created_by")
        .annotate(rank=Case(*(When(state=state, then=Value(i)) for i, state in enumerate(states))))
        .order_by("rank", "pk")
    )
    if first_payment:
        dossiers = dossiers.filter(payment_requests__isnull=True)
    territories = officer.groups.filter(territory__isnull=False).values("territory")
    sponsor_orgs = sponsor.memberships.values("organisation_id")
    for scope in (
        Q(organisation__in=sponsor_orgs),
        Q(territory__in=territories) & ~Q(organisation__in=sponsor_orgs),
        ~Q(territory__in=territories) & ~Q(organisation__in=sponsor_orgs),
    ):
        # Read before any request is written (SQLite gives no isolation between a cursor and writes).
        payable = [
            dossier
            for dossier in dossiers.filter(scope)[: limit * 10]
            if dossier.state != S.NOTIFIED
            or not convention_required(dossier=dossier, amount=dossier.granted_amount, rule_set=dossier.rule_set)
        ]
        yield from payable[:limit]


def _ask(dossier, sponsor, officer, *, kind: str, key) -> PaymentRequest | None:
    User = get_user_model()
    asker = sponsor if dossier.organisation.memberships.filter(user=sponsor).exists() else dossier.created_by
    checker = (
        officer
        if officer.groups.filter(territory=dossier.territory_id).exists()
        else User.objects.filter(is_active=True, groups__territory=dossier.territory_id).order_by("pk").first()
    )
    if kind != PaymentKind.ADVANCE and checker is None:
        logger.warning("demo payments: %s of dossier %s skipped: its territory has no officer", kind, dossier.reference)
        return None
    try:
        with transaction.atomic():
            if kind == PaymentKind.ADVANCE:
                return payment_request_submit(dossier=dossier, actor=asker, kind=kind, idempotency_key=key)
            grant = dossier_grant(dossier)
            request = payment_request_submit(
                dossier=dossier,
                actor=asker,
                kind=kind,
                idempotency_key=key,
                lines=_instalment_lines(dossier, grant),
                invoices=[SimpleUploadedFile("facture-situation-1.pdf", DEMO_PDF, content_type="application/pdf")],
                comment="Première situation de travaux et honoraires de maîtrise d'œuvre.",
            )
            return payment_request_check(
                request=request, actor=checker, comment="Factures conformes au plan de financement."
            )
    except (PaymentRefused, ValueError) as refusal:
        logger.warning("demo payments: %s of dossier %s skipped: %s", kind, dossier.reference, refusal)
        return None


def _instalment_lines(dossier, grant: calculation.Grant) -> list[StatementLine]:
    """Half of the eligible base justified, by two invoices dated since the notification."""
    today = timezone.localdate()
    since = max(dossier.agreement_signed_on or dossier.notified_on or today, today - timedelta(days=60))
    since = min(since, today)
    rows = [
        ("Entreprise Etchegaray BTP", "SIT-01", since + (today - since) / 3, Decimal("0.35")),
        ("Atelier d'architecture Bidart", "HON-02", since + (today - since) * 2 / 3, Decimal("0.15")),
    ]
    lines = []
    for supplier, reference, day, share in rows:
        amount = round_cents(grant.eligible_base * share)
        if dossier.tax_basis == TaxBasis.TTC:
            ttc, ht = amount, round_cents(amount / VAT)
        else:
            ht, ttc = amount, round_cents(amount * VAT)
        lines.append(
            StatementLine(
                supplier=supplier,
                invoice_reference=f"{reference}-{dossier.reference}",
                invoice_date=day,
                amount_ht=ht,
                amount_ttc=ttc,
            )
        )
    return lines
