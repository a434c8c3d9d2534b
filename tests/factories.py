"""Factories for a small, self-contained world: tests never depend on the real reference data, except
the tests of its loader."""

import itertools
from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.utils import timezone
from stdnum import luhn

from committees.models import CommitteeSession, ItemResult, SessionStatus
from committees.services import agenda_item_add, agenda_item_decide
from dossiers import models
from dossiers.enums import ContractStatus, ContractType, FunderKind, Generation, LegalForm
from dossiers.services import (
    membership_add,
    references_allocate,
    role_group,
    territory_assign_officer,
    territory_assign_representative,
    territory_create,
)
from workflows.enums import DossierState, Role

PDF = b"%PDF-1.4\n%test\n"
_numbers = itertools.count(10_000_000)


def valid_siren() -> str:
    body = str(next(_numbers))
    return body + luhn.calc_check_digit(body)


def valid_siret(siren: str | None = None) -> str:
    body = (siren or valid_siren()) + "0001"
    return body + luhn.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Test{n}")
    password = factory.django.Password("secret-password")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Department
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{900 + n % 99}")
    name = factory.Sequence(lambda n: f"Département {n}")
    prefecture_insee = "00000"


class EpciFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Epci

    siren = factory.LazyFunction(valid_siren)
    name = factory.Sequence(lambda n: f"CC de test {n}")
    kind = "CC"
    department = factory.SubFactory(DepartmentFactory)
    communes_in_region = 10
    communes_total = 10
    population = 10_000


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Commune

    insee = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"Commune {n}")
    epci = factory.SubFactory(EpciFactory)
    department = factory.SelfAttribute("epci.department")
    siren = factory.LazyFunction(valid_siren)
    postcodes = "99000"
    population = 1000


def make_territory(name: str = "Territoire A", communes: int = 1) -> models.Territory:
    epci = EpciFactory()
    for _ in range(communes):
        CommuneFactory(epci=epci)
    code = f"t-{epci.siren}"
    return territory_create(
        code=code,
        name=name,
        department_id=epci.department_id,
        lead_body=f"PETR {name}",
        epci_sirens=[epci.siren],
    )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Contract

    territory = factory.LazyFunction(make_territory)
    name = factory.LazyAttribute(lambda c: c.territory.name)
    contract_type = ContractType.DEVELOPPEMENT_TRANSITIONS
    generation = Generation.G2023_2025
    period_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=700))
    period_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=400))
    status = ContractStatus.SIGNED


class EnvelopeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Envelope

    contract = factory.SubFactory(ContractFactory)
    label = factory.LazyAttribute(lambda e: f"AP {e.year}")
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    amount = Decimal("1000000.00")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organisation

    name = factory.Sequence(lambda n: f"Commune de Test {n}")
    legal_form = LegalForm.COMMUNE
    siret = factory.LazyFunction(valid_siret)
    commune = None


def make_user(role: Role, *, territory=None, organisation=None, **kwargs):
    user = UserFactory(**kwargs)
    user.groups.add(role_group(role))
    if role == Role.OFFICER and territory is not None:
        territory_assign_officer(territory=territory, user=user)
    if role == Role.REPRESENTATIVE and territory is not None:
        territory_assign_representative(territory=territory, user=user)
    if role == Role.SPONSOR and organisation is not None:
        membership_add(organisation=organisation, user=user)
    if role == Role.ADMINISTRATOR:
        user.is_staff = True
        user.save()
    return user


def theme() -> models.Theme:
    return models.Theme.objects.get_or_create(code="sante", defaults={"label": "Santé"})[0]


def add_piece(dossier, piece_type, user):
    return models.Piece.objects.create(
        dossier=dossier,
        piece_type=piece_type,
        file=ContentFile(PDF, name="piece.pdf"),
        original_name="piece.pdf",
        content_type="application/pdf",
        extension="pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=user,
    )


def make_draft(
    *,
    organisation=None,
    contract=None,
    total=Decimal("200000.00"),
    region=Decimal("80000.00"),
    funding=None,
    pieces=True,
    creator=None,
) -> models.Dossier:
    """A draft that satisfies every submission rule: balanced plan, pieces, start in the future,
    a commune of the contract's territory. `funding` replaces the default funding lines."""
    contract = contract or EnvelopeFactory().contract
    commune = models.Commune.objects.filter(epci__territory=contract.territory).first()
    organisation = organisation or OrganisationFactory(commune=commune)
    creator = creator or make_user(Role.SPONSOR, organisation=organisation)
    today = timezone.localdate()
    dossier = models.Dossier.objects.create(
        reference=references_allocate(year=today.year)[0],
        organisation=organisation,
        created_by=creator,
        contract=contract,
        territory_id=contract.territory_id,
        theme=theme(),
        title="Maison de santé",
        object="Construction d'une maison de santé pluriprofessionnelle",
        planned_start=today + timedelta(days=30),
        planned_end=today + timedelta(days=400),
        requested_amount=region,
    )
    dossier.communes.set([commune])
    models.ExpenseLine.objects.create(dossier=dossier, label="Travaux", amount=total, is_eligible=True)
    if funding is None:
        own = total - region
        funding = [(FunderKind.REGION, region), (FunderKind.OWN, own)]
    for kind, amount in funding:
        models.FundingLine.objects.create(dossier=dossier, funder_kind=kind, amount=amount)
    if pieces:
        for piece_type in models.PieceType.objects.mandatory_for(organisation.legal_form):
            add_piece(dossier, piece_type, creator)
    return dossier


def make_session(*, members=(), **kwargs) -> CommitteeSession:
    """A session of the Commission permanente in preparation, in two weeks, unless told otherwise."""
    fields = {"sits_on": timezone.localdate() + timedelta(days=14), **kwargs}
    session = CommitteeSession.objects.create(**fields)
    session.members.set(members)
    return session


# The data each state carries, as the lifecycle would have left it. ---------------------------------
S = DossierState
REVIEWED_OR_LATER = {
    S.REVIEWED,
    S.SCHEDULED,
    S.APPROVED,
    S.REJECTED,
    S.NOTIFIED,
    S.AGREEMENT_SIGNED,
    S.IN_PAYMENT,
    S.PAID,
    S.CLOSED,
    S.LAPSED,
}
GRANTED = {S.APPROVED, S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED, S.LAPSED}
NOTIFIED_OR_LATER = {S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED, S.LAPSED}


def make_dossier(
    state: str = S.DRAFT, *, notified_days_ago: int = 30, convention: bool = False, session=None, **kwargs
):
    """A dossier in `state` with the data that state implies (rule set, proposal, grant, envelope,
    notification date, agenda item), built directly: the lifecycle itself is what the tests exercise.

    From scheduled on, the dossier has its agenda item on `session` (by default a new session: in
    preparation for a scheduled dossier; closed, on the day of the decision, for a decided one): pending
    while scheduled, approved for a granted dossier and rejected for a rejected one, each of these with
    its deliberation number."""
    dossier = make_draft(**kwargs)
    if state == S.DRAFT:
        return dossier
    fields = {
        "rule_set": models.RuleSet.objects.current(),
        "submitted_at": timezone.now() - timedelta(days=60),
    }
    if state in REVIEWED_OR_LATER or state == S.WITHDRAWN:
        fields |= {
            "eligible_base": Decimal("200000.00"),
            "proposed_amount": Decimal("80000.00"),
            "convention_decided": convention,
        }
    decided_at = timezone.now() - timedelta(days=notified_days_ago + 10)
    if state in GRANTED:
        fields |= {
            "granted_amount": Decimal("80000.00"),
            "envelope": dossier.contract.envelopes.first(),
            "decided_at": decided_at,
        }
    if state == S.REJECTED:
        fields |= {"decided_at": decided_at, "closed_at": decided_at}
    if state in NOTIFIED_OR_LATER:
        fields["notified_on"] = timezone.localdate() - timedelta(days=notified_days_ago)
    models.Dossier.objects.filter(pk=dossier.pk).update(state=state, **fields)
    dossier = models.Dossier.objects.get(pk=dossier.pk)
    if state == S.SCHEDULED:
        agenda_item_add(session=session or make_session(), dossier=dossier, at=timezone.now())
    elif state in GRANTED or state == S.REJECTED:
        session = session or make_session(sits_on=timezone.localdate(decided_at), status=SessionStatus.CLOSED)
        item = agenda_item_add(session=session, dossier=dossier, at=decided_at - timedelta(days=20))
        if state == S.REJECTED:
            agenda_item_decide(item=item, result=ItemResult.REJECTED, at=decided_at)
        else:
            agenda_item_decide(
                item=item, result=ItemResult.APPROVED, at=decided_at, voted_amount=dossier.granted_amount
            )
    return dossier


def snapshot(dossier_id):
    """Everything a refused action must leave as it was: the dossier's row, its communes, lines and pieces."""
    dossier = models.Dossier.objects.get(pk=dossier_id)
    return (
        model_to_dict(dossier, fields=[f.name for f in models.Dossier._meta.concrete_fields] + ["communes"]),
        dossier.state,
        list(dossier.expense_lines.values()),
        list(dossier.funding_lines.values()),
        list(dossier.pieces.values()),
    )
