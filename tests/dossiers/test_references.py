"""Dossier references NA-<year>-<6 digits>: sequential per year, unique, never reused; and the opening of
a draft by a member of the sponsor organisation."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from dossiers.models import Commune, Dossier
from dossiers.services import dossier_create, references_allocate
from tests.factories import OrganisationFactory, make_draft, make_user, theme
from workflows.enums import DossierState, Role
from workflows.models import AuditEvent

pytestmark = pytest.mark.django_db
REFERENCE = re.compile(r"^NA-(\d{4})-(\d{6})$")


def number(reference: str) -> int:
    return int(REFERENCE.match(reference).group(2))


def open_draft(*, actor, organisation, contract, **overrides) -> Dossier:
    today = timezone.localdate()
    fields = {
        "actor": actor,
        "organisation": organisation,
        "contract": contract,
        "theme": theme(),
        "title": "Tiers-lieu",
        "object": "Aménagement d'un tiers-lieu dans l'ancienne gare",
        "planned_start": today + timedelta(days=60),
        "planned_end": today + timedelta(days=365),
        "requested_amount": Decimal("30000.00"),
        "communes": list(Commune.objects.filter(epci__territory=contract.territory)),
    }
    return dossier_create(**fields | overrides)


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def sponsor(organisation):
    return make_user(Role.SPONSOR, organisation=organisation)


def test_reference_is_na_year_and_six_digits():
    (reference,) = references_allocate(year=2031)
    assert reference == "NA-2031-000001"
    assert REFERENCE.match(reference)


def test_references_are_sequential():
    assert references_allocate(year=2031, count=3) == ["NA-2031-000001", "NA-2031-000002", "NA-2031-000003"]
    assert references_allocate(year=2031) == ["NA-2031-000004"]


def test_references_are_unique():
    references = [ref for _ in range(20) for ref in references_allocate(year=2031, count=5)]
    assert len(set(references)) == len(references) == 100
    assert [number(ref) for ref in references] == list(range(1, 101))


def test_references_are_numbered_per_year():
    references_allocate(year=2031, count=7)
    assert references_allocate(year=2032) == ["NA-2032-000001"]
    assert references_allocate(year=2031) == ["NA-2031-000008"]


def test_reference_is_never_reused_after_a_draft_is_deleted(contract):
    draft = make_draft(contract=contract)
    deleted = draft.reference
    assert not AuditEvent.objects.filter(dossier=draft).exists()
    draft.delete()
    assert not Dossier.objects.filter(reference=deleted).exists()

    following = make_draft(contract=contract)
    assert following.reference != deleted
    assert number(following.reference) == number(deleted) + 1


def test_dossier_create_sets_the_territory_from_the_contract(sponsor, organisation, contract):
    draft = open_draft(actor=sponsor, organisation=organisation, contract=contract)
    saved = Dossier.objects.get(pk=draft.pk)
    assert saved.territory_id == contract.territory_id
    assert saved.state == DossierState.DRAFT
    assert (saved.created_by, saved.organisation) == (sponsor, organisation)
    assert saved.rule_set is None
    assert set(saved.communes.all()) == set(Commune.objects.filter(epci__territory=contract.territory))


def test_dossier_create_gives_the_next_reference_of_the_current_year(sponsor, organisation, contract):
    (previous,) = references_allocate(year=timezone.localdate().year)
    draft = open_draft(actor=sponsor, organisation=organisation, contract=contract)
    assert draft.reference.startswith(f"NA-{timezone.localdate().year}-")
    assert number(draft.reference) == number(previous) + 1


def test_dossier_create_refuses_a_sponsor_who_is_not_a_member(organisation, contract):
    stranger = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    with pytest.raises(PermissionDenied):
        open_draft(actor=stranger, organisation=organisation, contract=contract)
    assert not Dossier.objects.exists()


def test_dossier_create_refuses_a_member_without_the_sponsor_role(organisation, contract, officer):
    # A territorial officer is no sponsor, even when recorded as a member of the organisation.
    organisation.memberships.create(user=officer)
    with pytest.raises(PermissionDenied):
        open_draft(actor=officer, organisation=organisation, contract=contract)
    assert not Dossier.objects.exists()
