"""Demonstration data: the 51 territories of `reference_data/demo_territories.csv` with their contracts
and envelopes, one login per role, sponsors with valid SIRETs and dossiers spread over every state of
the lifecycle, each with a consistent history (dates, amounts, rule set, audit trail, and for those that
went before the Commission permanente its monthly sessions, agenda items and deliberation numbers).

Everything is idempotent: territories, users and organisations are found by their natural keys, and
`seed_dossiers(n)` only adds what is missing to reach `n` demonstration dossiers. Dossiers are written
with bulk inserts so that benchmarks can seed 100,000 of them in a couple of minutes; the states and
histories they get are those the lifecycle services would have produced (see `PATHS`).
"""

import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Case, Max, Sum, When
from django.utils import timezone
from stdnum import luhn

from committees.models import (
    AgendaItem,
    Attendance,
    Body,
    CommitteeSession,
    ItemResult,
    MemberInterest,
    SessionStatus,
    Vote,
    VoteChoice,
)
from committees.services import deliberation_number_format, deliberation_numbers_take
from dossiers.enums import ContractStatus, ContractType, FunderKind, FundingStatus, Generation, LegalForm
from dossiers.loaders import read_csv
from dossiers.models import (
    Commune,
    Contract,
    Dossier,
    Envelope,
    Epci,
    ExpenseLine,
    FundingLine,
    Membership,
    Organisation,
    Piece,
    PieceType,
    RuleSet,
    Territory,
    Theme,
)
from dossiers.money import round_cents
from dossiers.rules import convention_required
from dossiers.services import (
    membership_add,
    references_allocate,
    role_group,
    territory_assign_officer,
    territory_assign_representative,
    territory_create,
)
from workflows.enums import COMMITTED_STATES, AuditKind, DossierState, Role
from workflows.instruction import opinion_service_add_member, opinion_service_create
from workflows.models import AuditEvent, OpinionService

S = DossierState
DEMO_OFFICER_TERRITORY = "pays-basque"
INSTRUCTION_STATES = (S.SUBMITTED, S.INCOMPLETE, S.ADMISSIBLE, S.UNDER_REVIEW)
CHUNK = 5000


# Territories, contracts, envelopes -------------------------------------------------------------------


@transaction.atomic
def seed_territories() -> int:
    """Creates the 51 demonstration territories with a 2018–2021 contract (closed) and a 2023–2025
    "développement et transitions" contract (signed), each with yearly envelopes. Returns how many
    territories were created."""
    existing = set(Territory.objects.values_list("code", flat=True))
    created = 0
    for row in read_csv("demo_territories.csv"):
        if row["code"] in existing:
            continue
        territory = territory_create(
            code=row["code"],
            name=row["nom"],
            department_id=row["departement"],
            lead_body=row["structure_porteuse"],
            epci_sirens=row["epci_sirens"].split(";"),
            name_is_demo=row["nom_demo"] == "1",
        )
        population = sum(Epci.objects.filter(territory=territory).values_list("population", flat=True))
        yearly = round_cents(Decimal(max(population, 20000)) * Decimal("6.50"))
        old = Contract.objects.create(
            territory=territory,
            name=row["nom"],
            contract_type=row["type_contrat"],
            generation=Generation.G2018_2021,
            period_start=date(2018, 1, 1),
            period_end=date(2021, 12, 31),
            signed_on=date(2019, 3, 15),
            status=ContractStatus.CLOSED,
        )
        new = Contract.objects.create(
            territory=territory,
            name=row["nom"],
            contract_type=ContractType.DEVELOPPEMENT_TRANSITIONS,
            generation=Generation.G2023_2025,
            period_start=date(2023, 1, 1),
            period_end=date(2025, 12, 31),
            signed_on=date(2023, 2, 10),
            status=ContractStatus.SIGNED,
        )
        Envelope.objects.bulk_create(
            [
                Envelope(contract=old, label=f"AP {year}", year=year, amount=yearly, is_open=False)
                for year in range(2018, 2022)
            ]
            + [Envelope(contract=new, label=f"AP {year}", year=year, amount=yearly) for year in range(2023, 2028)]
        )
        created += 1
    return created


# Logins ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    username: str
    password: str
    name: str
    scope: str


def seed_logins() -> list[DemoLogin]:
    """One login per role (passwords are for local demonstration only: seeding refuses to run in
    production). Running it again resets them to the printed values."""
    User = get_user_model()
    officer_territory = Territory.objects.get(code=DEMO_OFFICER_TERRITORY)
    sponsor_org = _demo_sponsor_organisation(officer_territory)
    specs = [
        (Role.SPONSOR, "porteur", "Camille", "Porteur", sponsor_org.name),
        (Role.OFFICER, "instructeur", "Dominique", "Instructeur", officer_territory.name),
        (Role.COMMITTEE_SECRETARY, "secretariat", "Sacha", "Secrétariat", "Commission permanente"),
        (Role.COMMITTEE_MEMBER, "elu", "Claude", "Élu", "Commission permanente"),
        (Role.FINANCE, "finances", "Morgan", "Finances", "Région"),
        (Role.ADVISER, "avis", "Yannick", "Avis", DEMO_ADVISER_SERVICE[1]),
        (Role.REPRESENTATIVE, "representant", "Maïa", "Représentante", officer_territory.name),
        (Role.ADMINISTRATOR, "admin", "Alix", "Administrateur", "Région"),
    ]
    services = seed_opinion_services()
    logins = []
    for role, username, first, last, scope in specs:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@demo.contrats-territoire.invalid"
        user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
        password = f"{username}-demo"
        user.set_password(password)
        user.save()
        user.groups.add(role_group(role))
        if role == Role.SPONSOR:
            membership_add(organisation=sponsor_org, user=user)
        if role == Role.OFFICER:
            territory_assign_officer(territory=officer_territory, user=user)
        if role == Role.REPRESENTATIVE:
            territory_assign_representative(territory=officer_territory, user=user)
        if role == Role.ADVISER:
            opinion_service_add_member(service=services[DEMO_ADVISER_SERVICE[0]], user=user)
        logins.append(DemoLogin(role, username, password, f"{first} {last}", scope))
    seed_committee_members(officer_territory)
    return logins


# The Commission permanente's other members (no usable password; made-up names), and the interest the
# demonstration member declared, so that the members' view shows withdrawals (déport).
DEMO_MEMBERS = [
    ("elu-martin", "Hélène", "Martin"),
    ("elu-etcheverry", "Peio", "Etcheverry"),
    ("elu-durand", "Nadia", "Durand"),
    ("elu-lacoste", "Bernard", "Lacoste"),
]


def seed_committee_members(interest_territory: Territory) -> None:
    User = get_user_model()
    for username, first, last in DEMO_MEMBERS:
        user, _created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "password": "!"}
        )
        user.groups.add(role_group(Role.COMMITTEE_MEMBER))
    member = User.objects.get(username="elu")
    MemberInterest.objects.get_or_create(
        member=member,
        territory=interest_territory,
        defaults={"description": f"Conseiller communautaire ({interest_territory.name})"},
    )


OPINION_SERVICES = [
    ("economie", "Direction de l'économie"),
    ("tourisme", "Direction du tourisme"),
    ("environnement", "Direction de l'environnement"),
    ("sante", "Agence régionale de santé (partenaire)"),
    ("juridique", "Service juridique"),
]
DEMO_ADVISER_SERVICE = OPINION_SERVICES[1]


def seed_opinion_services() -> dict[str, OpinionService]:
    existing = {service.code: service for service in OpinionService.objects.all()}
    for code, name in OPINION_SERVICES:
        if code not in existing:
            existing[code] = opinion_service_create(code=code, name=name)
    return existing


def seed_territory_officers() -> None:
    """One officer per territory (without a usable password) besides the demonstration login, so that
    every territory's queue has someone to work it."""
    User = get_user_model()
    for territory in Territory.objects.filter(officers_group__user__isnull=True).distinct():
        user, _ = User.objects.get_or_create(
            username=f"instructeur-{territory.code}"[:150],
            defaults={"first_name": "Instructeur", "last_name": territory.name[:150], "password": "!"},
        )
        territory_assign_officer(territory=territory, user=user)


def seed_instructions(limit: int) -> int:
    """Gives at most `limit` demonstration dossiers in instruction their process and open tasks, those
    of the demonstration officer's territory first (viewflow creates a process in about 12 ms, so large
    seeds give processes to a sample: enough for the queues' benchmarks)."""
    from workflows.processes import backfill_instruction

    officers = {}
    started = 0
    dossiers = Dossier.objects.filter(organisation__is_demo=True, state__in=INSTRUCTION_STATES).order_by(
        Case(When(territory__code=DEMO_OFFICER_TERRITORY, then=0), default=1), "pk"
    )[:limit]
    tourism = OpinionService.objects.get(code=DEMO_ADVISER_SERVICE[0])
    for index, dossier in enumerate(dossiers.iterator(chunk_size=500)):
        if dossier.territory_id not in officers:
            officers[dossier.territory_id] = (
                get_user_model().objects.filter(groups__territory=dossier.territory_id).order_by("pk").first()
            )
        # One dossier under review in three waits for the tourism service's opinion (the "avis" login).
        services = [tourism] if index % 3 == 0 else []
        started += backfill_instruction(dossier, officers[dossier.territory_id], services) is not None
    _give_the_demo_officer_some_tasks()
    return started


def _give_the_demo_officer_some_tasks() -> None:
    from workflows.instruction import task_inbox_for_user, task_queue_for_user, task_take

    officer = get_user_model().objects.get(username="instructeur")
    for task in task_queue_for_user(officer)[: max(0, 3 - task_inbox_for_user(officer).count())]:
        task_take(task=task, actor=officer)


def _demo_sponsor_organisation(territory: Territory) -> Organisation:
    commune = Commune.objects.filter(epci__territory=territory).order_by("-population").first()
    siret = _siret(commune.siren)
    organisation, _ = Organisation.objects.get_or_create(
        siret=siret,
        defaults={
            "name": f"Commune de {commune.name}",
            "legal_form": LegalForm.COMMUNE,
            "commune": commune,
            "address": "Place de la Mairie",
            "is_demo": True,
        },
    )
    return organisation


# Organisations --------------------------------------------------------------------------------------


def _siret(siren: str, nic: str = "0001") -> str:
    body = siren + nic
    return body + luhn.calc_check_digit(body)


def _fake_siren(rng: random.Random, taken: set[str]) -> str:
    while True:
        body = str(rng.randint(10_000_000, 99_999_999))
        siren = body + luhn.calc_check_digit(body)
        if siren not in taken and siren != "356000000":
            taken.add(siren)
            return siren


ASSOCIATION_NAMES = [
    "Les Amis du patrimoine",
    "Foyer rural",
    "Comité des fêtes",
    "Union sportive",
    "Ciné-club",
    "Jardins partagés",
    "Maison des jeunes et de la culture",
    "Espace de vie sociale",
]
COMPANY_NAMES = [
    "SARL Atelier",
    "SAS Bois et Habitat",
    "SARL Fromagerie",
    "SAS Les Halles",
    "SCOP Mobilités",
    "SARL Brasserie",
    "SAS Numérique et Territoires",
    "SARL Camping",
]


def seed_organisations(count: int, rng: random.Random) -> list[Organisation]:
    """Makes sure at least `count` demonstration sponsors exist, in communes that belong to a territory:
    communes and EPCIs with their real SIREN, associations and companies with generated valid SIRETs."""
    organisations = list(Organisation.objects.filter(is_demo=True).select_related("commune__epci"))
    missing = count - len(organisations)
    if missing <= 0:
        return organisations
    communes = list(Commune.objects.filter(epci__territory__isnull=False).select_related("epci").order_by("insee"))
    taken = set(Organisation.objects.exclude(siret=None).values_list("siret", flat=True))
    taken_sirens = {siret[:9] for siret in taken}
    epcis = list(Epci.objects.filter(territory__isnull=False).order_by("siren"))
    communes_of_epci = defaultdict(list)
    for commune in communes:
        communes_of_epci[commune.epci_id].append(commune)
    new = []
    for _ in range(missing):
        kind = rng.choices(["commune", "epci", "association", "entreprise"], weights=[45, 10, 28, 17])[0]
        commune = rng.choice(communes)
        if kind == "commune" and commune.siren not in taken_sirens:
            taken_sirens.add(commune.siren)
            name, form, siret = f"Commune de {commune.name}", LegalForm.COMMUNE, _siret(commune.siren)
        elif kind == "epci" and (epci := rng.choice(epcis)).siren not in taken_sirens:
            taken_sirens.add(epci.siren)
            commune = rng.choice(communes_of_epci[epci.siren])
            name, form, siret = epci.name, LegalForm.EPCI, _siret(epci.siren)
        elif kind == "entreprise":
            name = f"{rng.choice(COMPANY_NAMES)} {commune.name}"
            form, siret = (
                LegalForm.COMPANY,
                _siret(_fake_siren(rng, taken_sirens), f"{rng.randint(1, 99):04d}"),
            )
        else:
            name = f"{rng.choice(ASSOCIATION_NAMES)} de {commune.name}"
            form, siret = LegalForm.ASSOCIATION, _siret(_fake_siren(rng, taken_sirens), "0001")
        new.append(
            Organisation(
                name=name[:200],
                legal_form=form,
                siret=siret,
                commune=commune,
                address=f"{rng.randint(1, 40)} rue principale",
                is_demo=True,
            )
        )
    Organisation.objects.bulk_create(new, batch_size=1000)
    _seed_members()
    return list(Organisation.objects.filter(is_demo=True).select_related("commune__epci"))


def _seed_members() -> None:
    """Each demonstration organisation gets a member (no usable password) who files its dossiers."""
    User = get_user_model()
    lonely = list(Organisation.objects.filter(is_demo=True, memberships__isnull=True).values_list("pk", "name"))
    users = User.objects.bulk_create(
        [User(username=f"demo-porteur-{pk}", last_name=name[:150], password="!") for pk, name in lonely],
        batch_size=1000,
    )
    users = dict(User.objects.filter(username__startswith="demo-porteur-").values_list("username", "pk"))
    Membership.objects.bulk_create(
        [Membership(organisation_id=pk, user_id=users[f"demo-porteur-{pk}"]) for pk, _name in lonely],
        batch_size=1000,
    )
    sponsors = role_group(Role.SPONSOR)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=users[f"demo-porteur-{pk}"], group_id=sponsors.pk) for pk, _name in lonely],
        batch_size=1000,
        ignore_conflicts=True,
    )


# Dossiers -------------------------------------------------------------------------------------------

BEFORE_REVIEW = ["submit", "declare_admissible", "start_review", "complete_review"]
DECIDED = [*BEFORE_REVIEW, "schedule", "approve", "notify"]
# The transitions that lead from a draft to each state, as the services would fire them.
# "sign_agreement" is added when the grant needs a convention.
PATHS: dict[str, list[str]] = {
    S.DRAFT: [],
    S.SUBMITTED: ["submit"],
    S.INCOMPLETE: ["submit", "declare_incomplete"],
    S.ADMISSIBLE: ["submit", "declare_admissible"],
    S.INADMISSIBLE: ["submit", "declare_inadmissible"],
    S.UNDER_REVIEW: BEFORE_REVIEW[:3],
    S.REVIEWED: BEFORE_REVIEW,
    S.SCHEDULED: [*BEFORE_REVIEW, "schedule"],
    S.APPROVED: [*BEFORE_REVIEW, "schedule", "approve"],
    S.REJECTED: [*BEFORE_REVIEW, "schedule", "reject"],
    S.NOTIFIED: DECIDED,
    S.AGREEMENT_SIGNED: [*DECIDED, "sign_agreement"],
    S.IN_PAYMENT: [*DECIDED, "start_payment"],
    S.PAID: [*DECIDED, "start_payment", "mark_paid"],
    S.CLOSED: [*DECIDED, "start_payment", "mark_paid", "close"],
    S.WITHDRAWN: ["submit", "declare_admissible", "withdraw"],
    S.LAPSED: [*DECIDED, "lapse"],
}
STATE_WEIGHTS = {
    S.DRAFT: 8,
    S.SUBMITTED: 8,
    S.INCOMPLETE: 4,
    S.ADMISSIBLE: 5,
    S.INADMISSIBLE: 2,
    S.UNDER_REVIEW: 8,
    S.REVIEWED: 6,
    S.SCHEDULED: 4,
    S.APPROVED: 3,
    S.REJECTED: 3,
    S.NOTIFIED: 5,
    S.AGREEMENT_SIGNED: 3,
    S.IN_PAYMENT: 12,
    S.PAID: 8,
    S.CLOSED: 10,
    S.WITHDRAWN: 3,
    S.LAPSED: 2,
}
ROLE_OF = {
    "submit": Role.SPONSOR,
    "resubmit": Role.SPONSOR,
    "withdraw": Role.SPONSOR,
    "declare_incomplete": Role.OFFICER,
    "declare_admissible": Role.OFFICER,
    "declare_inadmissible": Role.OFFICER,
    "start_review": Role.OFFICER,
    "complete_review": Role.OFFICER,
    "sign_agreement": Role.OFFICER,
    "lapse": Role.OFFICER,
    "schedule": Role.COMMITTEE_SECRETARY,
    "approve": Role.COMMITTEE_SECRETARY,
    "reject": Role.COMMITTEE_SECRETARY,
    "defer": Role.COMMITTEE_SECRETARY,
    "notify": Role.COMMITTEE_SECRETARY,
    "start_payment": Role.FINANCE,
    "mark_paid": Role.FINANCE,
    "close": Role.FINANCE,
}
COMMENTS = {
    "declare_incomplete": "Pièce manquante : délibération approuvant le plan de financement.",
    "declare_inadmissible": "Projet hors du périmètre du contrat de territoire.",
    "reject": "Projet non prioritaire au regard de la feuille de route du territoire.",
    "defer": "Ajourné : le plan de financement doit être confirmé par le Département.",
    "withdraw": "Projet abandonné par le porteur.",
    "lapse": "Aucun commencement d'exécution dans le délai de douze mois.",
}
PROJECTS = {
    "mobilite": "Aménagement d'une aire de covoiturage et d'une liaison cyclable",
    "tiers-lieux": "Création d'un tiers-lieu dans l'ancienne gare",
    "sante": "Construction d'une maison de santé pluriprofessionnelle",
    "revitalisation": "Requalification des espaces publics du centre-bourg",
    "tourisme-economie": "Création d'une halle gourmande et d'un point d'information touristique",
    "agriculture": "Création d'un atelier de transformation collectif pour les producteurs",
    "equipements-sportifs": "Rénovation du gymnase intercommunal",
    "equipements-culturels": "Réhabilitation de la salle de spectacles",
    "numerique": "Ouverture d'un espace France services numérique",
    "transition-ecologique": "Rénovation énergétique de l'école et pose de panneaux photovoltaïques",
    "formation-emploi": "Création d'un plateau technique de formation aux métiers du bâtiment",
    "logement": "Réhabilitation de logements communaux vacants",
    "services-proximite": "Création d'une épicerie multiservices",
    "ingenierie": "Poste de chargé de mission revitalisation",
}
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Count 1/Kids[3 0 R]>>endobj "
    b"3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
DEMO_PDF_NAME = "pieces/demo/piece-de-demonstration.pdf"


@dataclass
class _Plan:
    state: str
    organisation: Organisation
    contract: Contract
    theme: Theme
    steps: list[tuple[str, datetime]] = field(default_factory=list)


def _state_sequence(n: int, rng: random.Random) -> list[str]:
    """Every state at least once (when n allows), the rest by weight."""
    states = list(STATE_WEIGHTS)
    sequence = states[: min(n, len(states))]
    sequence += rng.choices(states, weights=list(STATE_WEIGHTS.values()), k=max(n - len(states), 0))
    return sequence


# The committee sits on the second Monday of each month; its agenda closes a week before.
AGENDA_LEAD = timedelta(days=7)
# The longest wait from the agenda to the decision: the lead, then at most five weeks to the next session.
DECISION_WAIT = timedelta(days=45)
RESULT_OF = {"approve": ItemResult.APPROVED, "reject": ItemResult.REJECTED, "defer": ItemResult.DEFERRED}
DECISIONS = frozenset(RESULT_OF)
# Share of the dossiers decided by the committee whose first passage was deferred, and of the reviewed
# dossiers waiting for a new session after a deferral.
DEFERRED_SHARE = 0.08
DEFERRED_REVIEWED_SHARE = 0.25


def _second_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7)


def _session_day_on_or_after(day: date) -> date:
    candidate = _second_monday(day.year, day.month)
    if candidate >= day:
        return candidate
    return _second_monday(day.year + day.month // 12, day.month % 12 + 1)


@dataclass(frozen=True)
class _Calendar:
    """The demonstration's Commission permanente: a session on the second Monday of each month; those
    up to today are closed, the next one is in preparation and has the dossiers still on an agenda."""

    today: date

    @property
    def upcoming(self) -> date:
        return _session_day_on_or_after(self.today + timedelta(days=1))

    @property
    def agenda_opened_at(self) -> datetime:
        """Since when dossiers put on the agenda wait for the upcoming session: after the agenda of the
        last session closed."""
        previous = _session_day_on_or_after(self.upcoming - timedelta(days=40))  # sessions are 4 or 5 weeks apart
        return timezone.make_aware(datetime.combine(previous - AGENDA_LEAD + timedelta(days=1), time(8)))

    def days_until_upcoming(self, since: date) -> list[date]:
        days, day = [], _session_day_on_or_after(since)
        while day <= self.upcoming:
            days.append(day)
            day = _session_day_on_or_after(day + timedelta(days=1))
        return days

    def decision_time(self, scheduled_at: datetime, rng: random.Random) -> datetime:
        """During the first session at least a week after the dossier was put on its agenda."""
        day = _session_day_on_or_after(timezone.localdate(scheduled_at) + AGENDA_LEAD)
        return timezone.make_aware(datetime.combine(day, time(10))) + timedelta(minutes=rng.randint(0, 180))


def _timeline(
    path: list[str], rng: random.Random, now: datetime, calendar: _Calendar
) -> tuple[datetime, list[tuple[str, datetime]]]:
    """Creation time and one time per step, all in the past, in order: lapses after the deadline, the
    committee's decisions on the day of a session, and a dossier still on an agenda (its last step is
    "schedule") put on it after the agenda of the last session closed."""
    gaps = []
    for name in path:
        if name == "lapse":
            gaps.append(timedelta(days=rng.randint(380, 500)))
        elif name in DECISIONS:
            gaps.append(DECISION_WAIT)  # at most; the session's day decides
        else:
            gaps.append(timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 8)))
    elapsed = sum(gaps, timedelta(0))
    if path and path[-1] == "schedule":
        created = calendar.agenda_opened_at + (now - calendar.agenda_opened_at) * rng.random() - elapsed
    else:
        created = now - elapsed - timedelta(days=rng.randint(1, 200), hours=rng.randint(1, 10))
    steps, at = [], created
    for name, gap in zip(path, gaps, strict=True):
        at = calendar.decision_time(at, rng) if name in DECISIONS else at + gap
        steps.append((name, at))
    return created, steps


def _agenda(
    steps: list[tuple[str, datetime]], calendar: _Calendar
) -> list[tuple[date, datetime, str, datetime | None]]:
    """The dossier's agenda items: (session's day, added at, result, decided at), one per "schedule"."""
    items = []
    for index, (name, at) in enumerate(steps):
        if name != "schedule":
            continue
        decision = steps[index + 1] if index + 1 < len(steps) and steps[index + 1][0] in DECISIONS else None
        if decision is None:
            items.append((calendar.upcoming, at, ItemResult.PENDING, None))
        else:
            items.append((timezone.localdate(decision[1]), at, RESULT_OF[decision[0]], decision[1]))
    return items


class _DossierFactory:
    """Builds one dossier with its plan, pieces and history in memory; `flush` writes a chunk."""

    def __init__(self, rng: random.Random, now: datetime):
        self.rng = rng
        self.now = now
        self.member_of = dict(
            Membership.objects.filter(organisation__is_demo=True)
            .order_by("-pk")
            .values_list("organisation_id", "user_id")
        )
        self.targets = {
            (t.name, t.source): t.target for t in Dossier._meta.get_field("state").get_all_transitions(Dossier)
        }
        self.calendar = _Calendar(timezone.localdate(now))
        self.rule_set = RuleSet.objects.current()
        self.themes = list(Theme.objects.all())
        self.piece_types = list(PieceType.objects.all())
        self.contracts = {c.territory_id: c for c in Contract.objects.filter(generation=Generation.G2023_2025)}
        self.envelopes = defaultdict(dict)
        for envelope in Envelope.objects.filter(contract__in=self.contracts.values()):
            self.envelopes[envelope.contract_id][envelope.year] = envelope
        self.communes_by_territory = defaultdict(list)
        for insee, territory_id in Commune.objects.filter(epci__territory__isnull=False).values_list(
            "insee", "epci__territory_id"
        ):
            self.communes_by_territory[territory_id].append(insee)
        users = get_user_model().objects.filter(username__in=["instructeur", "secretariat", "finances"])
        self.actors = {u.groups.filter(name__in=Role.values).values_list("name", flat=True).first(): u for u in users}
        self.officer_territories = set(
            Territory.objects.filter(officers_group__user__username="instructeur").values_list("pk", flat=True)
        )
        self.sponsor_orgs = set(
            Membership.objects.filter(user__username="porteur").values_list("organisation_id", flat=True)
        )
        self.de_minimis_granted = Counter(
            dict(
                Dossier.objects.filter(
                    organisation__legal_form__in=[LegalForm.COMPANY, LegalForm.SEM],
                    state__in=COMMITTED_STATES,
                )
                .values_list("organisation_id")
                .annotate(total=Sum("granted_amount"))
            )
        )

    def build(self, state: str, organisation: Organisation):
        rng = self.rng
        territory_id = organisation.commune.epci.territory_id
        contract = self.contracts[territory_id]
        theme = rng.choice(self.themes)
        path = list(PATHS[state])
        if state == S.REVIEWED and rng.random() < DEFERRED_REVIEWED_SHARE:
            path += ["schedule", "defer"]
        elif state != S.SCHEDULED and "schedule" in path and rng.random() < DEFERRED_SHARE:
            path[path.index("schedule") : path.index("schedule")] = ["schedule", "defer"]
        created, steps = _timeline(path, rng, self.now, self.calendar)
        times = dict(steps)
        submitted = times.get("submit")
        start = (submitted or self.now).date() + timedelta(days=rng.randint(20, 150))
        total = Decimal(rng.randrange(20_000, 1_500_000, 500))
        ineligible = round_cents(total * Decimal(rng.choice(["0", "0", "0.05", "0.1"])))
        eligible = total - ineligible
        own = round_cents(total * Decimal(rng.randint(25, 40)) / 100)
        rate = Decimal(rng.randint(15, 45)) / 100
        requested = round_cents(min(eligible, total - own) * rate)
        if organisation.is_undertaking:
            requested = min(requested, Decimal("45000.00"))
        rest = total - own - requested
        private = Decimal("0.00") if organisation.is_public_law else round_cents(rest * Decimal("0.3"))
        state_part = round_cents((rest - private) * Decimal("0.6"))
        department_part = rest - private - state_part
        granted = requested if rng.random() < 0.7 else round_cents(requested * Decimal("0.8"))
        if state in COMMITTED_STATES and organisation.is_undertaking:
            if self.de_minimis_granted[organisation.pk] + granted > self.rule_set.de_minimis_cap:
                return None
            self.de_minimis_granted[organisation.pk] += granted
        convention_decided = rng.random() < 0.1
        dossier = Dossier(
            organisation=organisation,
            created_by_id=self.member_of[organisation.pk],
            contract=contract,
            territory_id=territory_id,
            theme=theme,
            title=PROJECTS.get(theme.code, theme.label)[:200],
            object=f"{PROJECTS.get(theme.code, theme.label)} — {organisation.commune.name}"[:256],
            description="Données de démonstration.",
            planned_start=start,
            planned_end=start + timedelta(days=rng.randint(180, 720)),
            requested_amount=requested,
            state=state,
            state_changed_at=steps[-1][1] if steps else None,
        )
        dossier.created_at = created
        if submitted:
            dossier.rule_set = self.rule_set
            dossier.submitted_at = submitted
        if "declare_admissible" in times:
            dossier.completeness_decided_on = timezone.localdate(times["declare_admissible"])
        if "complete_review" in times:
            dossier.eligible_base, dossier.proposed_amount = eligible, granted
            dossier.convention_decided = convention_decided
        decided = times.get("approve") or times.get("reject")
        if decided:
            dossier.decided_at = decided
        if "approve" in times:
            dossier.granted_amount = granted
            envelopes = self.envelopes[contract.pk]
            year = min(max(decided.year, min(envelopes)), max(envelopes))
            dossier.envelope = envelopes[year]
        if "notify" in times:
            dossier.notified_on = timezone.localdate(times["notify"])
            if convention_required(dossier=dossier, amount=granted, rule_set=self.rule_set):
                if state in {S.IN_PAYMENT, S.PAID, S.CLOSED}:
                    index = path.index("start_payment")
                    path.insert(index, "sign_agreement")
                    sign_time = times["notify"] + (times["start_payment"] - times["notify"]) / 2
                    steps.insert(index, ("sign_agreement", sign_time))
                    times["sign_agreement"] = sign_time
            elif state == S.AGREEMENT_SIGNED:
                dossier.convention_decided = True
        if "sign_agreement" in times:
            dossier.agreement_signed_on = timezone.localdate(times["sign_agreement"])
        if state in {S.CLOSED, S.WITHDRAWN, S.LAPSED, S.INADMISSIBLE, S.REJECTED}:
            dossier.closed_at = steps[-1][1]
        communes = [organisation.commune.insee]
        extra = rng.choice(self.communes_by_territory[territory_id])
        if extra != communes[0] and rng.random() < 0.3:
            communes.append(extra)
        works = round_cents(eligible * Decimal("0.7"))
        expense_rows = [("Travaux", works, True), ("Maîtrise d'œuvre et études", eligible - works, True)]
        if ineligible:
            expense_rows.append(("Mobilier et frais de réception", ineligible, False))
        obtained = FundingStatus.OBTAINED if "approve" in times else FundingStatus.REQUESTED
        funding_rows = [
            (FunderKind.REGION, "Région Nouvelle-Aquitaine", requested, obtained),
            (FunderKind.OWN, organisation.name[:200], own, FundingStatus.OBTAINED),
        ]
        for kind, name, amount in [
            (FunderKind.STATE, "État — DETR", state_part),
            (FunderKind.DEPARTMENT, "Département", department_part),
            (FunderKind.PRIVATE, "Mécénat", private),
        ]:
            if amount:
                funding_rows.append((kind, name, amount, FundingStatus.REQUESTED))
        pieces = [t for t in self.piece_types if t.is_mandatory and t.applies_to(organisation.legal_form)]
        if state == S.DRAFT and rng.random() < 0.5:
            pieces = pieces[: rng.randint(0, len(pieces))]
        events = [self._event(name, at, path, index, organisation) for index, (name, at) in enumerate(steps)]
        return dossier, communes, expense_rows, funding_rows, pieces, events, _agenda(steps, self.calendar)

    def _event(self, name, at, path, index, organisation):
        from_state = S.DRAFT
        for previous in path[:index]:
            from_state = self.targets[(previous, from_state)]
        role = ROLE_OF[name]
        actor = self.actors.get(role)
        if role == Role.OFFICER and organisation.commune.epci.territory_id not in self.officer_territories:
            actor = None
        if role == Role.SPONSOR:
            actor_id, actor_name = self.member_of[organisation.pk], f"{organisation.name} (démonstration)"
        else:
            actor_id = actor.pk if actor else None
            actor_name = actor.get_full_name() if actor else f"{role.label} (démonstration)"
        # The columns of AUDIT_FIELDS, after the dossier's id.
        return (
            at,
            AuditKind.TRANSITION,
            actor_id,
            actor_name[:200],
            name,
            from_state,
            self.targets[(name, from_state)],
            COMMENTS.get(name, ""),
            "",
            "",
        )


def _demo_piece_file() -> tuple[str, str]:
    if not default_storage.exists(DEMO_PDF_NAME):
        default_storage.save(DEMO_PDF_NAME, ContentFile(DEMO_PDF))
    return DEMO_PDF_NAME, hashlib.sha256(DEMO_PDF).hexdigest()


def seed_dossiers(target: int, *, seed: int = 2026, progress=None) -> int:
    """Adds demonstration dossiers until there are `target` of them; returns how many were added."""
    existing = Dossier.objects.filter(organisation__is_demo=True).count()
    missing = target - existing
    if missing <= 0:
        return 0
    rng = random.Random(seed + existing)
    now = timezone.now().replace(microsecond=0)
    organisations = seed_organisations(max(60, target // 8), rng)
    factory = _DossierFactory(rng, now)
    sessions = _Sessions(factory.calendar)
    sponsor_orgs = [o for o in organisations if o.pk in factory.sponsor_orgs]
    public_orgs = [o for o in organisations if o.is_public_law]
    file_name, sha = _demo_piece_file()
    added = 0
    states = _state_sequence(missing, rng)
    for start in range(0, missing, CHUNK):
        built = []
        for offset, state in enumerate(states[start : start + CHUNK]):
            # The demonstration sponsor gets a few dossiers of its own, the rest spread over everyone.
            pool = sponsor_orgs if (start + offset) % 40 == 0 and sponsor_orgs else organisations
            result = factory.build(state, rng.choice(pool))
            if result is None:  # an undertaking at its de minimis cap: a public sponsor takes the dossier
                result = factory.build(state, rng.choice(public_orgs))
            built.append(result)
        _write_chunk(built, file_name, sha, sessions)
        added += len(built)
        if progress:
            progress(added, missing)
    _fit_envelopes()
    return added


class _Sessions:
    """The demonstration's sessions, made as the dossiers need them (every session from the first one a
    chunk needs to the upcoming one, with the demonstration's committee member), and the last position
    of each agenda."""

    def __init__(self, calendar: _Calendar):
        self.calendar = calendar
        self.ids = dict(
            CommitteeSession.objects.filter(body=Body.PERMANENT_COMMITTEE).order_by("-pk").values_list("sits_on", "pk")
        )
        self.positions = Counter(
            dict(
                AgendaItem.objects.values("session_id").annotate(last=Max("position")).values_list("session_id", "last")
            )
        )
        User = get_user_model()
        self.member_ids = list(
            User.objects.filter(username__in=["elu", *(username for username, *_ in DEMO_MEMBERS)])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        self.secretary_id = User.objects.filter(username="secretariat").values_list("pk", flat=True).first()
        self.withdrawn = defaultdict(set)  # territory id → members with an interest in it
        for member_id, territory_id in MemberInterest.objects.filter(
            member_id__in=self.member_ids, territory__isnull=False
        ).values_list("member_id", "territory_id"):
            self.withdrawn[territory_id].add(member_id)
        self.absent = {}  # session id → the member absent from it

    def ensure(self, days: set[date]) -> None:
        missing = [day for day in self.calendar.days_until_upcoming(min(days)) if day not in self.ids]
        if not missing:
            return
        created = CommitteeSession.objects.bulk_create(
            [
                CommitteeSession(
                    sits_on=day,
                    status=SessionStatus.CLOSED if day <= self.calendar.today else SessionStatus.PREPARATION,
                )
                for day in missing
            ]
        )
        self.ids |= {session.sits_on: session.pk for session in created}
        if self.member_ids:
            Members = CommitteeSession.members.through
            Members.objects.bulk_create(
                [
                    Members(committeesession_id=session.pk, user_id=member_id)
                    for session in created
                    for member_id in self.member_ids
                ],
                ignore_conflicts=True,
            )
        held = [session for session in created if session.status == SessionStatus.CLOSED]
        if held and self.secretary_id:
            # Everyone was there but one member, in turn.
            rows = []
            for index, session in enumerate(held):
                absent = self.member_ids[(index + 1) % len(self.member_ids)] if len(self.member_ids) > 2 else None
                self.absent[session.pk] = absent
                at = connection.ops.adapt_datetimefield_value(
                    timezone.make_aware(datetime.combine(session.sits_on, time(10)))
                )
                rows += [
                    (session.pk, member_id, member_id != absent, at, self.secretary_id) for member_id in self.member_ids
                ]
            _insert(Attendance, ["session_id", "member_id", "is_present", "recorded_at", "recorded_by_id"], rows)

    def votes(self, built) -> list[tuple]:
        """The members' votes on the chunk's decided items (inserted already): for an approval, against
        a rejection, withdrawn where the member declared an interest in the dossier's territory."""
        if not self.secretary_id:
            return []
        territories = {dossier.pk: dossier.territory_id for dossier, *_ in built}
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        items = AgendaItem.objects.filter(
            dossier_id__in=territories, result__in=[ItemResult.APPROVED, ItemResult.REJECTED]
        ).values_list("pk", "dossier_id", "session_id", "result", "decided_at")
        for item_id, dossier_id, session_id, result, decided_at in items:
            absent = self.absent.get(session_id)
            withdrawn = self.withdrawn.get(territories[dossier_id], set())
            for member_id in self.member_ids:
                if member_id == absent:
                    continue
                if member_id in withdrawn:
                    choice = VoteChoice.WITHDRAWN
                else:
                    choice = VoteChoice.FOR if result == ItemResult.APPROVED else VoteChoice.AGAINST
                rows.append((item_id, member_id, choice, adapt(decided_at), self.secretary_id))
        return rows

    def rows(self, built) -> list[tuple]:
        """The agenda items of the chunk's dossiers (already saved): positions in the order they were
        added, deliberation numbers for the approvals and rejections in the order of their sessions."""
        items = [(dossier, *item) for dossier, *_rest, agenda in built for item in agenda]
        if not items:
            return []
        self.ensure({day for _dossier, day, *_rest in items})
        items.sort(key=lambda item: (item[1], item[2]))
        positions, numbered = [], Counter()
        for _dossier, day, _added, result, _decided in items:
            session_id = self.ids[day]
            self.positions[session_id] += 1
            positions.append(self.positions[session_id])
            if result in (ItemResult.APPROVED, ItemResult.REJECTED):
                numbered[day.year] += 1
        numbers = {
            year: iter(deliberation_numbers_take(body=Body.PERMANENT_COMMITTEE, year=year, count=count))
            for year, count in numbered.items()
        }
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for (dossier, day, added, result, decided), position in zip(items, positions, strict=True):
            number = None
            if result in (ItemResult.APPROVED, ItemResult.REJECTED):
                number = deliberation_number_format(
                    body=Body.PERMANENT_COMMITTEE, sits_on=day, number=next(numbers[day.year])
                )
            rows.append(
                (
                    self.ids[day],
                    dossier.pk,
                    position,
                    adapt(added),
                    dossier.proposed_amount,
                    dossier.eligible_base,
                    result,
                    dossier.granted_amount if result == ItemResult.APPROVED else None,
                    adapt(decided) if decided else None,
                    number,
                    # The vote the result came from, voted en bloc.
                    result,
                    "",
                    adapt(decided) if decided else None,
                    bool(result),
                    "",
                )
            )
        return rows


@transaction.atomic
def _write_chunk(built, file_name: str, sha: str, sessions: _Sessions) -> None:
    by_year = Counter(dossier.created_at.year for dossier, *_ in built)
    references = {year: iter(references_allocate(year=year, count=count)) for year, count in by_year.items()}
    dossiers = [item[0] for item in built]
    for dossier in sorted(dossiers, key=lambda d: d.created_at):
        dossier.reference = next(references[dossier.created_at.year])
    Dossier.objects.bulk_create(dossiers, batch_size=1000)
    adapt = connection.ops.adapt_datetimefield_value
    links, expenses, funding, pieces, events = [], [], [], [], []
    for dossier, communes, expense_rows, funding_rows, piece_types, audit, _agenda_items in built:
        pk = dossier.pk
        links += [(pk, insee) for insee in communes]
        expenses += [(pk, *row) for row in expense_rows]
        funding += [(pk, *row) for row in funding_rows]
        uploaded_at = adapt(dossier.created_at)
        pieces += [
            (
                pk,
                t.pk,
                file_name,
                f"{t.code}.pdf",
                "application/pdf",
                "pdf",
                len(DEMO_PDF),
                sha,
                dossier.created_by_id,
                uploaded_at,
                False,
            )
            for t in piece_types
        ]
        events += [(pk, adapt(at), *rest) for at, *rest in audit]
    _insert(Dossier.communes.through, ["dossier_id", "commune_id"], links)
    _insert(ExpenseLine, ["dossier_id", "label", "amount", "is_eligible"], expenses)
    _insert(FundingLine, ["dossier_id", "funder_kind", "funder_name", "amount", "status"], funding)
    _insert(Piece, PIECE_FIELDS, pieces)
    _insert(AuditEvent, AUDIT_FIELDS, events)
    _insert(AgendaItem, AGENDA_FIELDS, sessions.rows(built))
    _insert(Vote, ["item_id", "member_id", "choice", "recorded_at", "recorded_by_id"], sessions.votes(built))


PIECE_FIELDS = [
    "dossier_id",
    "piece_type_id",
    "file",
    "original_name",
    "content_type",
    "extension",
    "size",
    "sha256",
    "uploaded_by_id",
    "uploaded_at",
    "is_checked",
]
AGENDA_FIELDS = [
    "session_id",
    "dossier_id",
    "position",
    "added_at",
    "proposed_amount",
    "eligible_base",
    "result",
    "voted_amount",
    "decided_at",
    "deliberation_number",
    "outcome",
    "outcome_reason",
    "outcome_recorded_at",
    "voted_en_bloc",
    "apply_error",
]
AUDIT_FIELDS = [
    "dossier_id",
    "created_at",
    "kind",
    "actor_id",
    "actor_name",
    "transition",
    "from_state",
    "to_state",
    "comment",
    "reason_code",
    "reason",
]


def _insert(model, fields: list[str], rows: list[tuple]) -> None:
    """Plain executemany of ready values: Django's bulk_create spends most of a large seed compiling
    SQL for every row. Table and column names come from the models' metadata, never from input."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _fit_envelopes() -> None:
    """Large seeds commit more than a realistic envelope holds: grow envelopes so the demonstration
    data keeps the rule that no envelope is over-committed."""
    committed = (
        Dossier.objects.filter(state__in=COMMITTED_STATES, envelope__isnull=False)
        .values("envelope")
        .annotate(total=Sum("granted_amount"))
    )
    for row in committed:
        envelope = Envelope.objects.get(pk=row["envelope"])
        if envelope.amount < row["total"]:
            envelope.amount = round_cents(row["total"] * Decimal("1.15"))
            envelope.save(update_fields=["amount"])
