"""The administrators' preview: a letter text version rendered with demonstration facts, in memory
(nothing is read from or written to the dossiers, nothing is numbered or stored)."""

from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from committees.models import AgendaItem, Body, CommitteeSession, ItemResult
from documents.contexts import Facts, assemble
from documents.models import MEETING_KINDS, NUMBER_PREFIXES, DocumentKind, LetterTemplate
from documents.rendering import render_pdf
from documents.services import TEMPLATES, letters_language
from dossiers.enums import LegalForm, TaxBasis
from dossiers.models import Commune, Contract, Dossier, Organisation, RuleSet, Territory, Theme


def demo_facts(kind: str) -> Facts:
    today = timezone.localdate()
    rules = RuleSet.objects.current()
    territory = Territory(pk=0, name="Territoire de démonstration")
    contract = Contract(
        name="Contrat de développement et de transitions 2023-2025",
        territory=territory,
        signed_on=date(today.year - 2, 6, 15),
    )
    organisation = Organisation(
        name="Commune de Démoville",
        legal_form=LegalForm.COMMUNE,
        siret="21330063500017",
        address="1, place de la Mairie",
        commune=Commune(name="Démoville"),
    )
    dossier = Dossier(
        reference=f"NA-{today.year}-000123",
        organisation=organisation,
        contract=contract,
        territory=territory,
        theme=Theme(label="Santé"),
        title="Maison de santé pluriprofessionnelle",
        object="Construction d'une maison de santé pluriprofessionnelle en centre-bourg",
        tax_basis=TaxBasis.HT,
        requested_amount=Decimal("120000.00"),
        eligible_base=Decimal("300000.00"),
        proposed_amount=Decimal("90000.00"),
        granted_amount=Decimal("90000.00"),
        submitted_at=timezone.now(),
        pieces_due_on=today,
        rule_set=rules,
    )
    session = CommitteeSession(body=Body.PERMANENT_COMMITTEE, sits_on=today, place="Hôtel de Région, Bordeaux")
    decision = AgendaItem(
        session=session,
        dossier=dossier,
        position=1,
        result=ItemResult.APPROVED if kind != DocumentKind.REFUSAL_LETTER else ItemResult.REJECTED,
        voted_amount=Decimal("90000.00"),
        deliberation_number=f"CP-{today.year}-{today.month:02d}-0001",
    )
    decision.report_amount, decision.report_base = dossier.proposed_amount, dossier.eligible_base
    decision.report_rate = dossier.proposed_amount / dossier.eligible_base
    facts = Facts(
        dossier=dossier,
        organisation=organisation,
        contract=contract,
        territory=territory,
        rule_set=rules,
        communes=["Démoville (33)"],
        total_cost=Decimal("360000.00"),
        eligible_expenses=Decimal("300000.00"),
        decision=decision,
        session=session,
        comment="Délibération du conseil municipal approuvant le plan de financement.\nDevis détaillés des travaux.",
        event_date=today,
        convention_required=True,
    )
    if kind == DocumentKind.SESSION_REPORT:
        decision.opinions_summary = ["Direction de la santé : Favorable"]
        facts.items, facts.total_proposed = [decision], decision.report_amount
        facts.dossier = facts.organisation = None
    if kind in MEETING_KINDS:
        facts = demo_meeting_facts(contract, territory, today)
    return facts


def demo_meeting_facts(contract, territory, today) -> Facts:
    from roadmaps.models import FollowUpMeeting

    meeting = FollowUpMeeting(
        held_on=today,
        partners="Département de la Gironde\nAgence régionale de santé",
        agenda="1. Avancement des opérations\n2. Décisions sur la feuille de route",
        minutes="Le comité fait le point sur les opérations du contrat.\n\nIl décide du report de l'opération n° 2.",
    )
    return Facts(
        meeting=meeting,
        contract=contract,
        territory=territory,
        event_date=today,
        participants=[
            {"name": "Julie Martin", "role": "Chargée de mission territoriale"},
            {"name": "Paul Durand", "role": "Élu référent du territoire"},
        ],
        meeting_decisions=[
            {
                "kind": "Report",
                "number": 2,
                "title": "Maison de santé pluriprofessionnelle",
                "changes": [{"label": "Année prévue", "before": str(today.year), "after": str(today.year + 1)}],
                "decided_by": "Comité de suivi",
                "version": 3,
            }
        ],
        roadmap_versions=[3],
    )


def preview_pdf(letter: LetterTemplate) -> bytes:
    with letters_language():
        return render_pdf(render_to_string(TEMPLATES[letter.kind], _preview_context(letter)))


def _preview_context(letter: LetterTemplate) -> dict:
    return assemble(
        kind=letter.kind,
        number=f"{NUMBER_PREFIXES[letter.kind]}-{timezone.localdate().year}-000000",
        version=letter.version,
        issued_at=timezone.now(),
        letter=letter,
        facts=demo_facts(letter.kind),
        preview=True,
    )
