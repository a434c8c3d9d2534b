"""What each document prints: the facts of its dossier (or session, or follow-up meeting), the letter
text version chosen for it, and the merge fields of the administrators' paragraphs.

`build(job)` reads the database (a fixed number of queries per dossier document; the session report
reads its agenda, and the minutes their participants and decisions, in a fixed number of queries
whatever their length); `assemble(...)` only arranges what it is given, so the administrators'
preview feeds it demonstration facts.
"""

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from documents.formatting import amount_in_words, date_fr, format_eur, format_rate
from documents.models import MEETING_KINDS, SESSION_KINDS, DocumentKind, LetterTemplate, documents_storage
from documents.richtext import merge
from dossiers.money import ZERO

TITLES = {
    DocumentKind.ACKNOWLEDGEMENT: "Accusé de réception de votre demande de subvention",
    DocumentKind.PIECES_REQUEST: "Demande de pièces complémentaires",
    DocumentKind.SESSION_REPORT: "Rapport de présentation",
    DocumentKind.DELIBERATION_EXTRACT: "Extrait du registre des délibérations",
    DocumentKind.AWARD_NOTIFICATION: "Notification d'attribution d'une subvention",
    DocumentKind.REFUSAL_LETTER: "Décision de refus d'une demande de subvention",
    DocumentKind.CONVENTION: "Convention d'attribution d'une subvention",
    DocumentKind.PAYMENT_CERTIFICATE: "Certificat de paiement et ordre de paiement",
    DocumentKind.MEETING_MINUTES: "Compte rendu du comité de suivi",
}


@dataclass
class Facts:
    """Everything a document may print besides its number and letter text."""

    dossier: object = None
    organisation: object = None
    contract: object = None
    territory: object = None
    rule_set: object = None
    communes: list = field(default_factory=list)
    total_cost: Decimal | None = None
    eligible_expenses: Decimal | None = None
    decision: object = None  # committees.AgendaItem with a deliberation number
    session: object = None
    items: list = field(default_factory=list)  # the session report's agenda
    comment: str = ""  # the officer's list of missing pieces, the committee's reason for a refusal
    event_date: date | None = None
    convention_required: bool = False
    total_proposed: Decimal | None = None
    vote: dict | None = None  # the committee's vote on the decision: attendance, counts, withdrawals
    payment: object = None  # payments.PaymentRequest of a payment certificate, with its statement
    payment_steps: list = field(default_factory=list)  # (label, amount) of its calculation
    meeting: object = None  # roadmaps.FollowUpMeeting of the minutes
    participants: list = field(default_factory=list)  # {"name", "role"} of the meeting's participants
    meeting_decisions: list = field(default_factory=list)  # `decision_row` of each of its decisions
    roadmap_versions: list = field(default_factory=list)  # the numbers of the versions the meeting wrote

    @property
    def amount(self) -> Decimal | None:
        """The amount the letter is about: voted, else granted, else proposed."""
        if self.decision is not None and self.decision.voted_amount:
            return self.decision.voted_amount
        if self.dossier is None:
            return None
        return self.dossier.granted_amount or self.dossier.proposed_amount

    @property
    def rate(self) -> Decimal | None:
        base = self.dossier.eligible_base if self.dossier is not None else None
        return self.amount / base if self.amount and base else None


def letter_for(kind: str, contract_type: str = "", territory_id: int | None = None) -> LetterTemplate:
    """The current letter text of the most specific scope: the territory's, else the contract type's,
    else the document type's default (which the initial migration creates for every type)."""
    keys = [
        LetterTemplate.make_scope_key(kind, "", territory_id) if territory_id else None,
        LetterTemplate.make_scope_key(kind, contract_type) if contract_type else None,
        LetterTemplate.make_scope_key(kind),
    ]
    keys = [key for key in keys if key]
    candidates = {
        letter.scope_key: letter for letter in LetterTemplate.objects.filter(scope_key__in=keys).latest_versions()
    }
    for key in keys:
        if key in candidates:
            return candidates[key]
    raise LetterTemplate.DoesNotExist(f"no letter text for {kind}")


# The transition whose date (and comment) a document prints.
EVENT_OF_KIND = {
    DocumentKind.ACKNOWLEDGEMENT: "submit",
    DocumentKind.PIECES_REQUEST: "declare_incomplete",
    DocumentKind.REFUSAL_LETTER: "reject",
}


def dossier_facts(dossier_id: int, kind: str, event=None, payment_request_id=None) -> Facts:
    from committees.selectors import decision_item
    from dossiers.models import Dossier
    from dossiers.rules import convention_required
    from workflows.models import AuditEvent

    dossier = Dossier.objects.select_related(
        "organisation__commune", "contract", "territory", "rule_set", "theme", "envelope"
    ).get(pk=dossier_id)
    expenses = dossier.expense_lines.aggregate(
        total=Coalesce(Sum("amount"), ZERO), eligible=Coalesce(Sum("amount", filter=Q(is_eligible=True)), ZERO)
    )
    facts = Facts(
        dossier=dossier,
        organisation=dossier.organisation,
        contract=dossier.contract,
        territory=dossier.territory,
        rule_set=dossier.rule_set,
        communes=[str(commune) for commune in dossier.communes.order_by("name")],
        total_cost=expenses["total"],
        eligible_expenses=expenses["eligible"],
    )
    if kind in (
        DocumentKind.DELIBERATION_EXTRACT,
        DocumentKind.AWARD_NOTIFICATION,
        DocumentKind.REFUSAL_LETTER,
        DocumentKind.CONVENTION,
        DocumentKind.PAYMENT_CERTIFICATE,
    ):
        facts.decision = decision_item(dossier)
        facts.session = facts.decision.session if facts.decision is not None else None
        if kind == DocumentKind.DELIBERATION_EXTRACT and facts.decision is not None:
            facts.vote = vote_facts(facts.decision)
    transition = EVENT_OF_KIND.get(kind)
    if transition and (event is None or event.transition != transition):
        event = (
            AuditEvent.objects.filter(dossier_id=dossier_id, transition=transition, kind="transition")
            .order_by("-created_at", "-id")
            .first()
        )
    if transition and event is not None:
        facts.event_date = timezone.localdate(event.created_at)
        facts.comment = event.comment
    if payment_request_id is not None:
        from payments.models import PaymentRequest
        from payments.presentation import calculation_steps

        facts.payment = (
            PaymentRequest.objects.select_related("bank_account", "validated_by")
            .prefetch_related("lines")
            .get(pk=payment_request_id)
        )
        facts.payment_steps = calculation_steps(facts.payment, language="fr")
        facts.event_date = timezone.localdate(facts.payment.validated_at) if facts.payment.validated_at else None
    if facts.amount and dossier.rule_set is not None:
        facts.convention_required = convention_required(dossier=dossier, amount=facts.amount, rule_set=dossier.rule_set)
    return facts


def vote_facts(item) -> dict | None:
    """What the extract says of the vote: members in office and present, the counts, who withdrew
    (déport); None when no vote was recorded item by item (a decision recorded before the votes were)."""
    from committees.models import Attendance, VoteChoice
    from committees.voting import member_name

    votes = list(item.votes.select_related("member"))
    if not votes:
        return None
    counts = {choice: 0 for choice in VoteChoice.values}
    for vote in votes:
        counts[vote.choice] += 1
    return {
        "members": item.session.members.count(),
        "present": Attendance.objects.filter(session=item.session, is_present=True).count(),
        "for": counts[VoteChoice.FOR],
        "against": counts[VoteChoice.AGAINST],
        "abstention": counts[VoteChoice.ABSTENTION],
        "not_taking_part": counts[VoteChoice.NOT_TAKING_PART],
        "withdrawn": [member_name(vote.member) for vote in votes if vote.choice == VoteChoice.WITHDRAWN],
        "en_bloc": item.voted_en_bloc,
        "amended": item.amended_amount is not None,
    }


def session_facts(session_id: int) -> Facts:
    from committees.models import AgendaItem, CommitteeSession
    from workflows.models import Opinion

    items = (
        AgendaItem.objects.filter(session_id=session_id)
        .select_related("dossier__organisation", "dossier__territory", "dossier__contract", "dossier__theme")
        .prefetch_related(
            Prefetch(
                "dossier__opinions",
                queryset=Opinion.objects.exclude(verdict="").select_related("service").order_by("service__name"),
            )
        )
        .order_by("dossier__territory__name", "position", "id")
    )
    session = CommitteeSession.objects.get(pk=session_id)
    items = list(items)
    for item in items:
        # The proposal as it stood when the item was put on the agenda, else the dossier's current one.
        item.report_amount = item.proposed_amount or item.dossier.proposed_amount
        item.report_base = item.eligible_base or item.dossier.eligible_base
        item.report_rate = item.report_amount / item.report_base if item.report_amount and item.report_base else None
        item.opinions_summary = [
            f"{opinion.service.name} : {opinion.get_verdict_display()}" for opinion in item.dossier.opinions.all()
        ]
    total = sum((item.report_amount or Decimal(0) for item in items), Decimal("0.00"))
    return Facts(session=session, items=items, total_proposed=total)


# What the minutes print of each field a decision changed (the values are those of the roadmap's
# versions: amounts as strings, the year, the status code).
CHANGED_FIELDS = {
    "estimated_cost": "Coût estimé",
    "expected_support": "Aide régionale attendue",
    "expected_year": "Année prévue",
    "status": "Statut",
}


def _changed_value(name: str, value) -> str:
    from roadmaps.enums import OperationStatus

    if value in (None, ""):
        return "—"
    if name in ("estimated_cost", "expected_support"):
        return format_eur(Decimal(str(value)))
    if name == "status" and value in OperationStatus.values:
        return str(OperationStatus(value).label)
    return str(value)


def decision_row(decision) -> dict:
    """A meeting's decision as the minutes print it: its kind, the operation (number and title as
    they stood), what it changed field by field ({"label", "before", "after"}, from the roadmap version
    it wrote, with the title of an added operation and the reason of an abandonment), who decided it
    and the version."""
    from roadmaps.enums import DecisionKind

    number = decision.operation.number
    change = next(
        (
            change
            for change in decision.version.changes
            if change.get("kind") == decision.kind and change.get("number") == number
        ),
        {},
    )
    before, after = change.get("before", {}), change.get("after", {})
    changes = [
        {"label": label, "before": _changed_value(name, before.get(name)), "after": _changed_value(name, after[name])}
        for name, label in CHANGED_FIELDS.items()
        if name in after
    ]
    if decision.kind == DecisionKind.ADD:
        changes.append({"label": "Nouvelle opération", "before": "", "after": decision.details.get("title", "")})
    if decision.details.get("reason"):
        changes.append({"label": "Motif", "before": "", "after": decision.details["reason"]})
    return {
        "kind": decision.get_kind_display(),
        "number": number,
        "title": change.get("title") or decision.operation.title,
        "changes": changes,
        "decided_by": decision.decided_by,
        "version": decision.version.number,
    }


def _role_labels(user) -> str:
    """The user's roles (officer, elected representative...) in the order of `Role`."""
    from workflows.enums import Role

    names = {group.name for group in user.groups.all()}
    if user.is_superuser:
        names.add(Role.ADMINISTRATOR)
    return ", ".join(str(role.label) for role in Role if role.value in names)


def meeting_facts(meeting_id: int) -> Facts:
    """The meeting with its contract and territory, its participants with their roles, its decisions
    with what each changed, and the roadmap versions it wrote (four queries, whatever their number)."""
    from django.contrib.auth import get_user_model

    from roadmaps.models import FollowUpMeeting

    participants = get_user_model().objects.prefetch_related("groups").order_by("last_name", "first_name", "pk")
    meeting = (
        FollowUpMeeting.objects.select_related("roadmap__contract__territory")
        .prefetch_related(Prefetch("participants", queryset=participants))
        .get(pk=meeting_id)
    )
    decisions = list(meeting.decisions.select_related("operation", "version").order_by("id"))
    contract = meeting.roadmap.contract
    return Facts(
        meeting=meeting,
        contract=contract,
        territory=contract.territory,
        event_date=meeting.held_on,
        participants=[
            {"name": user.get_full_name() or user.get_username(), "role": _role_labels(user)}
            for user in meeting.participants.all()
        ],
        meeting_decisions=[decision_row(decision) for decision in decisions],
        roadmap_versions=sorted({decision.version.number for decision in decisions}),
    )


def _signature_data_uri(letter: LetterTemplate) -> str:
    """The signature image inlined as a `data:` URL: the renderer never reads the media storage."""
    if not letter.signature_image:
        return ""
    content_type = "image/png" if letter.signature_extension == "png" else "image/jpeg"
    with documents_storage().open(letter.signature_image.name, "rb") as image:
        return f"data:{content_type};base64,{base64.b64encode(image.read()).decode('ascii')}"


def merge_values(facts: Facts, issued_on: date, letter: LetterTemplate) -> dict[str, str]:
    dossier, organisation, decision = facts.dossier, facts.organisation, facts.decision
    values = {name: "" for name in ("beneficiaire", "siret", "reference", "intitule", "objet", "territoire")}
    values["date_du_jour"] = date_fr(issued_on)
    values["signataire"] = letter.signatory_name
    if facts.session is not None:
        values["date_seance"] = values["date_deliberation"] = date_fr(facts.session.sits_on)
    if dossier is not None:
        amount = facts.amount
        values |= {
            "beneficiaire": organisation.name,
            "siret": organisation.siret or organisation.rna or "",
            "reference": dossier.reference,
            "intitule": dossier.title,
            "objet": dossier.object,
            "territoire": facts.territory.name,
            "contrat": facts.contract.name,
            "montant_demande": format_eur(dossier.requested_amount),
            "montant": format_eur(amount) if amount else "",
            "montant_lettres": amount_in_words(amount) if amount else "",
            "taux": format_rate(facts.rate) if facts.rate else "",
            "base_eligible": f"{format_eur(dossier.eligible_base)} {dossier.tax_basis.upper()}"
            if dossier.eligible_base
            else "",
            "date_depot": date_fr(dossier.submitted_at),
            "date_limite_pieces": date_fr(dossier.pieces_due_on),
        }
    if decision is not None:
        values["numero_deliberation"] = decision.deliberation_number or ""
    if facts.meeting is not None:
        values |= {"territoire": facts.territory.name, "contrat": facts.contract.name}
    return values


def assemble(
    *, kind: str, number: str, version: int, issued_at, letter: LetterTemplate, facts: Facts, preview: bool = False
) -> dict:
    # The date of issue in the Region's time zone: a letter issued at 00:30 in Bordeaux is dated that day.
    if isinstance(issued_at, datetime):
        issued_on = timezone.localdate(issued_at) if timezone.is_aware(issued_at) else issued_at.date()
    else:
        issued_on = issued_at
    values = merge_values(facts, issued_on, letter)
    return {
        "kind": kind,
        "title": TITLES[kind],
        "number": number,
        "version": version,
        "issued_on": issued_on,
        "issuer": settings.DOCUMENTS_ISSUER,
        "letter": letter,
        "opening": merge(letter.opening, values),
        "closing": merge(letter.closing, values),
        "signature_image": _signature_data_uri(letter),
        "facts": facts,
        "dossier": facts.dossier,
        "organisation": facts.organisation,
        "contract": facts.contract,
        "territory": facts.territory,
        "rules": facts.rule_set,
        "decision": facts.decision,
        "session": facts.session,
        "meeting": facts.meeting,
        "amount": facts.amount,
        "rate": facts.rate,
        "preview": preview,
    }


def build(job, *, issued_at) -> dict:
    if job.kind in SESSION_KINDS:
        facts = session_facts(job.session_id)
        letter = letter_for(job.kind)
    elif job.kind in MEETING_KINDS:
        facts = meeting_facts(job.meeting_id)
        letter = letter_for(job.kind, facts.contract.contract_type, facts.territory.pk)
    else:
        facts = dossier_facts(job.dossier_id, job.kind, event=job.event, payment_request_id=job.payment_request_id)
        letter = letter_for(job.kind, facts.contract.contract_type, facts.territory.pk)
    return assemble(
        kind=job.kind, number=job.number, version=job.version, issued_at=issued_at, letter=letter, facts=facts
    )
