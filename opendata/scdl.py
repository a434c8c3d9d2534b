"""The grants to publish and their rows in the SCDL "subventions" 2.1.1 format (DOMAIN.md, "Open data";
https://schema.data.gouv.fr/scdl/subventions/2.1.1/).

Which grants: every dossier whose Commission permanente vote granted money (`granted_amount` set, state
approved or any later one: notified, convention signed, in payment, paid, closed, lapsed — they were
decided — or withdrawn after the vote), and whose amount is above the threshold of its own rule set
(`RuleSet.convention_threshold`, 23,000 € by default: the same legal threshold, loi 2000-321 art. 10,
décret 2017-779). Nothing is left out for missing data: a row whose data is missing fails the
validation, and the whole publication is refused with that row listed.

How each column is filled:

- `nomAttribuant`, `idAttribuant`: the Region (`settings.DOCUMENTS_ISSUER`, the issuer of the letters).
- `dateConvention`: the date the convention was signed (`agreement_signed_on`, countersigned by the
  officer); when no convention was required (or it is not signed yet), the date the decision was
  notified (`notified_on`): the notification is the act that makes the grant the beneficiary's; for a
  grant voted but not yet notified, the date of the vote.
- `referenceDecision`: the deliberation number of the vote that approved the grant (`CP-2026-06-0123`),
  unique per agenda item, so every row leads back to one dossier.
- `nomBeneficiaire`, `idBeneficiaire`, `rnaBeneficiaire`: the sponsor's name, SIRET and RNA number.
- `objet`: the dossier's object ("what the grant pays for", at most 256 characters), as written.
- `montant`: the amount granted by the vote, decimal point, two decimals.
- `nature`: "aide en numéraire" (the Region pays money).
- `conditionsVersement`, `datesPeriodeVersement`: see `payment_conditions` and `payment_period`.
- `idRAE`: empty (these grants are not aid schemes of the Répertoire des aides aux entreprises).
- `notificationUE`: "non": de minimis aid (EU 2023/2831) is by definition exempt from notification.
- `pourcentageSubvention`: see `beneficiary_share`.
- `dispositifAide`: the contract's type and name ("Contrat d'attractivité — Contrat du Pays Basque");
  engineering grants (dossiers of kind engineering) start with "Ingénierie territoriale — ".

The values are data, not interface text: they are built in French (`settings.LANGUAGE_CODE`) whatever
the language of the page or command that asks for them.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from committees.models import AgendaItem, ItemResult
from dossiers.enums import DossierKind
from dossiers.models import Dossier, RuleSet
from dossiers.rules import lapse_deadlines
from payments.models import ORDERED_REQUEST_STATES, ExtensionStatus, PaymentRequest
from workflows.enums import FINANCE_STATES, DossierState

# The columns of SCDL subventions 2.1.1, in its order: fixed names, whatever the language.
COLUMNS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
NATURE_CASH = "aide en numéraire"
SINGLE, INSTALMENTS = "unique", "échelonné"
ENGINEERING_LABEL = "Ingénierie territoriale"
# States after a vote that granted money (withdrawn: only when a grant was voted before the withdrawal).
PUBLISHED_STATES = FINANCE_STATES | {DossierState.WITHDRAWN}
# The grant's payments are over: what was paid is all there will be.
FINISHED_STATES = frozenset({DossierState.PAID, DossierState.CLOSED, DossierState.LAPSED, DossierState.WITHDRAWN})


@dataclass(frozen=True)
class GrantRow:
    """One row of the file, with the dossier it comes from (kept out of the file, for the errors)."""

    dossier_id: int
    dossier_reference: str
    values: dict[str, str]


def _approval_number():
    approvals = AgendaItem.objects.filter(
        dossier=OuterRef("pk"), result=ItemResult.APPROVED, deliberation_number__isnull=False
    ).order_by("-decided_at", "-pk")
    return Subquery(approvals.values("deliberation_number")[:1])


def grants_to_publish() -> QuerySet[Dossier]:
    """The dossiers to publish (see the module's docstring), oldest decision first, with everything
    their rows need in two queries whatever their number: the dossier with its sponsor, contract, rule
    set, extension and deliberation number; then their payments."""
    current = RuleSet.objects.current()
    threshold = Coalesce(
        F("rule_set__convention_threshold"),
        Value(current.convention_threshold if current else Decimal("23000.00")),
    )
    payments = PaymentRequest.objects.filter(state__in=ORDERED_REQUEST_STATES, payable__gt=0).only(
        "dossier_id", "paid_on", "validated_at"
    )
    return (
        Dossier.objects.filter(state__in=PUBLISHED_STATES, granted_amount__isnull=False)
        .alias(threshold=threshold)
        .filter(Q(granted_amount__gt=F("threshold")))
        .select_related("organisation", "contract", "rule_set", "extension_request")
        .annotate(deliberation_number=_approval_number())
        .prefetch_related(Prefetch("payment_requests", queryset=payments, to_attr="ordered_payments"))
        .order_by("decided_at", "pk")
    )


def _local_date(moment) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def _payment_dates(dossier: Dossier) -> list[date]:
    """The dates of the payments ordered so far (paid, else validated by finance), in order."""
    return sorted(_local_date(p.validated_at) if p.paid_on is None else p.paid_on for p in dossier.ordered_payments)


def convention_date(dossier: Dossier) -> date | None:
    return dossier.agreement_signed_on or dossier.notified_on or _local_date(dossier.decided_at)


def payment_conditions(dossier: Dossier) -> str:
    """`conditionsVersement`. Every grant here follows the payment schedule of its rule set
    (`payments/`): an advance (at most `advance_max_rate` of the grant), instalments against proof of
    expenses (with the advance, at most `interim_max_rate`), then the balance on completion. So:

    - "unique" when the grant was paid in one payment and its payments are over (paid, closed, lapsed),
      or when its rule set allows neither an advance nor instalments (one payment, the balance);
    - "échelonné" otherwise: the rules allow the grant to be paid in several instalments, and the
      convention and the notification say so.
    """
    if dossier.state in FINISHED_STATES and len(dossier.ordered_payments) == 1:
        return SINGLE
    rules = dossier.rule_set
    if rules is not None and rules.advance_max_rate == 0 and rules.interim_max_rate == 0:
        return SINGLE
    return INSTALMENTS


def payment_period(dossier: Dossier) -> str:
    """`datesPeriodeVersement`: the date of the payment when the grant was paid in one payment and its
    payments are over; otherwise a period `start/end`, from the first payment (else the notification,
    else the vote) to the last payment once the payments are over (or the lapse or withdrawal, when
    later), and until then to the completion deadline (notification + `completion_delay_months`, plus a
    granted extension), by which the balance must be asked."""
    paid = _payment_dates(dossier)
    granted_on = dossier.notified_on or _local_date(dossier.decided_at)
    start = paid[0] if paid else granted_on
    if start is None:
        return ""
    if dossier.state in FINISHED_STATES:
        if dossier.state in (DossierState.PAID, DossierState.CLOSED) and len(paid) == 1:
            return paid[0].isoformat()
        ends = paid[-1:]
        if dossier.state in (DossierState.LAPSED, DossierState.WITHDRAWN) and dossier.closed_at:
            ends.append(_local_date(dossier.closed_at))
        end = max(ends, default=start)
    elif dossier.rule_set is not None and granted_on is not None:
        extension = getattr(dossier, "extension_request", None)
        granted = extension if extension is not None and extension.status == ExtensionStatus.GRANTED else None
        end = lapse_deadlines(
            notified_on=granted_on,
            rule_set=dossier.rule_set,
            extended=granted.deadline if granted else None,
            extension_months=granted.months if granted else 0,
        ).completion
    else:
        end = start
    return f"{start.isoformat()}/{max(start, end).isoformat()}"


def beneficiary_share(dossier: Dossier) -> Decimal:
    """`pourcentageSubvention`. SCDL 2.1.1 defines it as the share of the grant's total amount that goes
    to this beneficiary when a grant is split between several beneficiaries ("dans le cas d'un
    bénéficiaire unique, le pourcentage est 100 %, soit 1.00"): not the grant's rate on the eligible
    base. Every dossier here has one beneficiary, its sponsor, so the share is 1.00. (The rate on the
    eligible base, `Dossier.rate`, is no column of the format.)"""
    return Decimal("1.00")


def aid_scheme(dossier: Dossier) -> str:
    contract = dossier.contract
    label = f"{contract.get_contract_type_display()} — {contract.name}"
    return f"{ENGINEERING_LABEL} — {label}" if dossier.kind == DossierKind.ENGINEERING else label


def _amount(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def grant_row(dossier: Dossier) -> GrantRow:
    issuer = settings.DOCUMENTS_ISSUER
    organisation = dossier.organisation
    signed_on = convention_date(dossier)
    values = {
        "nomAttribuant": issuer["name"],
        "idAttribuant": issuer["siret"],
        "dateConvention": signed_on.isoformat() if signed_on else "",
        "referenceDecision": dossier.deliberation_number or "",
        "nomBeneficiaire": organisation.name.strip(),
        "idBeneficiaire": (organisation.siret or "").strip(),
        "rnaBeneficiaire": (organisation.rna or "").strip(),
        "objet": dossier.object.strip(),
        "montant": _amount(dossier.granted_amount),
        "nature": NATURE_CASH,
        "conditionsVersement": payment_conditions(dossier),
        "datesPeriodeVersement": payment_period(dossier),
        "idRAE": "",
        "notificationUE": "non",
        "pourcentageSubvention": _amount(beneficiary_share(dossier)),
        "dispositifAide": aid_scheme(dossier),
    }
    return GrantRow(dossier.pk, dossier.reference, values)


def grant_rows() -> list[GrantRow]:
    """The rows of every grant to publish, in French."""
    with translation.override(settings.LANGUAGE_CODE):
        return [grant_row(dossier) for dossier in grants_to_publish()]


def grants_csv(rows: list[GrantRow]) -> bytes:
    """The file: UTF-8 without BOM, comma separator, the header then one record per grant; a value with
    a comma, a quote or a line break is quoted (RFC 4180), so it stays one record."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=",", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row.values[column] for column in COLUMNS])
    return buffer.getvalue().encode("utf-8")
