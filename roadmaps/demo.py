"""The demonstration's roadmaps: each contract's roadmap holds some of its dossiers as operations (which
then follow them) and operations still without a dossier; the demo officer's contract has held a
follow-up meeting whose decisions (a postponement and a new operation) made a new version, with its
minutes. Everything goes through the services, so the versions are those a real use would write.
Seeding again adds nothing."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from dossiers.models import Contract, Dossier, Theme
from dossiers.money import round_cents
from roadmaps.enums import DecisionKind, Priority
from roadmaps.models import FollowUpMeeting, Roadmap
from roadmaps.services import (
    Decision,
    NewOperation,
    meeting_create,
    meeting_record_decisions,
    operation_add,
    operation_link_dossier,
    roadmap_for_contract,
)
from workflows.enums import DossierState

logger = logging.getLogger(__name__)

# Axes of the demonstration contracts, by theme.
AXES = {
    "tourisme-economie": "Axe 1 — Développement économique et attractivité",
    "agriculture": "Axe 1 — Développement économique et attractivité",
    "formation-emploi": "Axe 1 — Développement économique et attractivité",
    "numerique": "Axe 1 — Développement économique et attractivité",
    "sante": "Axe 2 — Services et cohésion",
    "services-proximite": "Axe 2 — Services et cohésion",
    "logement": "Axe 2 — Services et cohésion",
    "equipements-sportifs": "Axe 2 — Services et cohésion",
    "equipements-culturels": "Axe 2 — Services et cohésion",
    "tiers-lieux": "Axe 2 — Services et cohésion",
    "revitalisation": "Axe 3 — Centres-bourgs et transitions",
    "mobilite": "Axe 3 — Centres-bourgs et transitions",
    "transition-ecologique": "Axe 3 — Centres-bourgs et transitions",
    "ingenierie": "Axe 4 — Ingénierie et animation",
}
# Operations the territories plan without a dossier yet: title, theme, estimated cost, expected support.
PLANNED = [
    ("Réhabilitation de la halle du marché", "revitalisation", "620000", "120000"),
    ("Voie verte entre les deux bourgs", "mobilite", "890000", "150000"),
    ("Maison de services au public itinérante", "services-proximite", "240000", "60000"),
]
LINKED_STATES = (
    DossierState.SUBMITTED,
    DossierState.UNDER_REVIEW,
    DossierState.APPROVED,
    DossierState.NOTIFIED,
    DossierState.IN_PAYMENT,
    DossierState.PAID,
    DossierState.LAPSED,
)


def _officer(contract: Contract):
    User = get_user_model()
    return (
        User.objects.filter(groups=contract.territory.officers_group).order_by("pk").first()
        or User.objects.filter(Q(is_superuser=True) | Q(username="admin")).order_by("pk").first()
    )


def seed_demo_roadmaps(*, contracts: int | None = None) -> int:
    """The roadmaps of the contracts that have none yet (at most `contracts` of them); returns how many
    roadmaps were written."""
    themes = {theme.code: theme for theme in Theme.objects.all()}
    done = Roadmap.objects.filter(operations__isnull=False).values("contract_id")
    todo = Contract.objects.exclude(pk__in=done).select_related("territory").order_by("territory__name", "pk")
    written = 0
    for contract in todo[:contracts] if contracts else todo:
        actor = _officer(contract)
        if actor is None:
            logger.warning("demo roadmaps: no officer nor administrator to write them")
            return written
        _seed_roadmap(contract, actor, themes)
        written += 1
    _seed_demo_meeting()
    return written


def _seed_roadmap(contract: Contract, actor, themes: dict) -> None:
    roadmap = roadmap_for_contract(contract)
    year = timezone.localdate().year
    dossiers = (
        Dossier.objects.filter(contract=contract, state__in=LINKED_STATES, roadmap_operation__isnull=True)
        .select_related("theme", "organisation")
        .order_by("state", "created_at")
    )
    taken = set()
    for dossier in dossiers:
        if dossier.state in taken:
            continue
        taken.add(dossier.state)
        base = dossier.eligible_base or dossier.requested_amount * 3
        operation = operation_add(
            roadmap=roadmap,
            actor=actor,
            operation=NewOperation(
                title=dossier.title,
                theme=dossier.theme,
                estimated_cost=round_cents(max(base, dossier.requested_amount)),
                expected_support=dossier.requested_amount,
                expected_year=dossier.planned_start.year,
                axis=AXES.get(dossier.theme.code, ""),
                priority=Priority.HIGH if len(taken) % 2 else Priority.MEDIUM,
                sponsor=dossier.organisation,
            ),
            reason="Feuille de route signée avec le contrat",
        )
        operation_link_dossier(operation=operation, dossier=dossier, actor=actor)
    for index, (title, theme, cost, support) in enumerate(PLANNED):
        operation_add(
            roadmap=roadmap,
            actor=actor,
            operation=NewOperation(
                title=title,
                theme=themes[theme],
                estimated_cost=Decimal(cost),
                expected_support=Decimal(support),
                expected_year=year + index % 2,
                axis=AXES[theme],
                priority=(Priority.HIGH, Priority.MEDIUM, Priority.LOW)[index],
                sponsor_name=f"Communauté de communes — {contract.territory.name}"[:200],
            ),
            reason="Feuille de route signée avec le contrat",
        )


def _seed_demo_meeting() -> FollowUpMeeting | None:
    """The demo officer's contract: one follow-up meeting, held a month ago, that postponed an operation
    and added another (a new version of the roadmap), with its minutes written."""
    User = get_user_model()
    officer = User.objects.filter(username="instructeur").first()
    representative = User.objects.filter(username="representant").first()
    if officer is None:
        return None
    roadmap = (
        Roadmap.objects.filter(contract__territory__officers_group__user=officer, operations__isnull=False)
        .order_by("pk")
        .first()
    )
    if roadmap is None or roadmap.meetings.exists():
        return None
    planned = roadmap.operations.filter(dossier__isnull=True).order_by("number").first()
    participants = [user for user in (officer, representative) if user is not None]
    meeting = meeting_create(
        roadmap=roadmap,
        actor=officer,
        held_on=timezone.localdate() - timedelta(days=30),
        participants=participants,
        partners="Département (direction de l'aménagement), Banque des Territoires",
        agenda="1. Avancement des opérations\n2. Report de la halle du marché\n3. Nouvelles opérations",
    )
    meeting.minutes = (
        "Le comité constate l'avancement des opérations engagées. La réhabilitation de la halle du marché "
        "est reportée d'un an, le temps de l'étude de structure. Le comité inscrit une nouvelle opération : "
        "l'extension de la crèche intercommunale."
    )
    meeting.save(update_fields=["minutes"])
    decided_by = "Le comité de suivi, sur proposition de la présidente du territoire"
    meeting_record_decisions(
        meeting=meeting,
        actor=officer,
        decisions=[
            Decision(
                kind=DecisionKind.POSTPONE,
                decided_by=decided_by,
                operation=planned,
                details={"expected_year": planned.expected_year + 1},
            ),
            Decision(
                kind=DecisionKind.ADD,
                decided_by=decided_by,
                details={
                    "operation": NewOperation(
                        title="Extension de la crèche intercommunale",
                        theme=Theme.objects.get(code="services-proximite"),
                        estimated_cost=Decimal("780000"),
                        expected_support=Decimal("140000"),
                        expected_year=timezone.localdate().year + 1,
                        axis=AXES["services-proximite"],
                        priority=Priority.HIGH,
                    )
                },
            ),
        ],
    )
    return meeting
