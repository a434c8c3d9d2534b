"""Scoping of every read a user can reach: an officer of territory A gets nothing of territory B from any
selector; each other role sees exactly its own scope; nobody without a role sees anything.

Every public function of the selector modules must be listed in `SELECTORS`, so that a new selector
cannot be added without being held to the same rules.
"""

import contextlib
import inspect
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission

import dossiers.selectors
import workflows.selectors
from dossiers.models import Dossier, Organisation, Territory
from dossiers.selectors import (
    dossier_get_for_user,
    dossier_list_for_user,
    organisation_list_for_user,
    territory_list_for_user,
)
from dossiers.services import role_group, territory_assign_officer, territory_unassign_officer
from tests.factories import ContractFactory, EnvelopeFactory, OrganisationFactory, UserFactory, make_dossier, make_user
from workflows.enums import COMMITTEE_STATES, FINANCE_STATES, AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.selectors import audit_event_list_for_user

S = DossierState
# Inside and outside the committee's and the finance officers' scopes, so that each role test can fail.
STATES = [S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.REVIEWED, S.APPROVED, S.IN_PAYMENT, S.LAPSED, S.WITHDRAWN]

SELECTOR_MODULES = (dossiers.selectors, workflows.selectors)

# A row is (kind, pk): what a selector returns, comparable across models.
DOSSIER, TERRITORY, ORGANISATION, EVENT = "dossier", "territory", "organisation", "event"


def _rows(kind, queryset):
    return {(kind, pk) for pk in queryset.values_list("pk", flat=True)}


def _dossiers_gettable_by(user):
    rows = set()
    for pk in Dossier.objects.values_list("pk", flat=True):
        with contextlib.suppress(Dossier.DoesNotExist):
            rows.add((DOSSIER, dossier_get_for_user(user, pk).pk))
    return rows


# Selector (module.function) → (kind of row, rows the user gets from it).
SELECTORS = {
    "dossiers.selectors.dossier_list_for_user": (DOSSIER, lambda user: _rows(DOSSIER, dossier_list_for_user(user))),
    "dossiers.selectors.dossier_get_for_user": (DOSSIER, _dossiers_gettable_by),
    "dossiers.selectors.territory_list_for_user": (
        TERRITORY,
        lambda user: _rows(TERRITORY, territory_list_for_user(user)),
    ),
    "dossiers.selectors.organisation_list_for_user": (
        ORGANISATION,
        lambda user: _rows(ORGANISATION, organisation_list_for_user(user)),
    ),
    "workflows.selectors.audit_event_list_for_user": (
        EVENT,
        lambda user: _rows(EVENT, audit_event_list_for_user(user)),
    ),
}


def public_selector_functions() -> set[str]:
    return {
        f"{module.__name__}.{name}"
        for module in SELECTOR_MODULES
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


def seen_by(user) -> dict[str, set]:
    return {name: rows_of(user) for name, (_kind, rows_of) in SELECTORS.items()}


def expected(rows: set) -> dict[str, set]:
    """What each selector should return, given every row the user should see."""
    return {name: {row for row in rows if row[0] == kind} for name, (kind, _rows_of) in SELECTORS.items()}


@dataclass
class World:
    """Two territories, each with dossiers in every state of STATES, each dossier with one transition
    event and one refused attempt, each filed by an organisation of its own."""

    territory_a: Territory
    territory_b: Territory
    dossiers: dict[int, list[Dossier]] = field(default_factory=dict)
    officers: dict[int, object] = field(default_factory=dict)

    def all_dossiers(self) -> list[Dossier]:
        return [dossier for dossiers in self.dossiers.values() for dossier in dossiers]

    def rows_for(self, dossiers, *, territories, refusals=True) -> set:
        """The rows of `dossiers` (their organisations and events) plus `territories`."""
        events = AuditEvent.objects.filter(dossier__in=[dossier.pk for dossier in dossiers])
        if not refusals:
            events = events.filter(kind=AuditKind.TRANSITION)
        return (
            {(DOSSIER, dossier.pk) for dossier in dossiers}
            | {(ORGANISATION, dossier.organisation_id) for dossier in dossiers}
            | {(TERRITORY, territory.pk) for territory in territories}
            | _rows(EVENT, events)
        )

    def rows_of(self, territory) -> set:
        return self.rows_for(self.dossiers[territory.pk], territories=[territory])

    def everything(self) -> set:
        return (
            self.rows_for(self.all_dossiers(), territories=[self.territory_a, self.territory_b])
            | _rows(ORGANISATION, Organisation.objects.all())
            | _rows(TERRITORY, Territory.objects.all())
        )


def _add_events(dossier):
    AuditEvent.objects.create(
        kind=AuditKind.TRANSITION,
        dossier=dossier,
        actor=dossier.created_by,
        actor_name="Porteur",
        transition="submit",
        from_state=S.DRAFT,
        to_state=S.SUBMITTED,
    )
    AuditEvent.objects.create(
        kind=AuditKind.REFUSAL,
        dossier=dossier,
        actor=dossier.created_by,
        actor_name="Porteur",
        transition="declare_admissible",
        from_state=dossier.state,
        reason_code="forbidden",
        reason="Votre rôle ne permet pas cette action.",
    )


@pytest.fixture
def world(territory, other_territory, contract):
    contracts = {
        territory.pk: contract,
        other_territory.pk: EnvelopeFactory(contract=ContractFactory(territory=other_territory)).contract,
    }
    world = World(territory_a=territory, territory_b=other_territory)
    for territory_id, its_contract in contracts.items():
        world.dossiers[territory_id] = [make_dossier(state, contract=its_contract) for state in STATES]
        for dossier in world.dossiers[territory_id]:
            _add_events(dossier)
        world.officers[territory_id] = make_user(Role.OFFICER, territory=its_contract.territory)
    return world


def fresh(user):
    """The user as a new request would load it: without the role and scope caches of earlier calls."""
    return get_user_model().objects.get(pk=user.pk)


def _deactivated(user):
    user.is_active = False
    user.save()
    return fresh(user)


def test_every_public_selector_is_covered_by_the_isolation_tests():
    assert public_selector_functions() == set(SELECTORS), (
        "A selector was added or renamed: list it in SELECTORS so that the scoping tests cover it."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SELECTORS))
@pytest.mark.parametrize("side", ["a", "b"])
def test_an_officer_gets_only_their_territory_and_nothing_of_another_from_any_selector(world, name, side):
    mine, theirs = (world.territory_a, world.territory_b) if side == "a" else (world.territory_b, world.territory_a)
    kind, rows_of = SELECTORS[name]
    seen = rows_of(world.officers[mine.pk])

    assert seen & world.rows_of(theirs) == set()
    assert seen == {row for row in world.rows_of(mine) if row[0] == kind}


@pytest.mark.django_db
def test_an_officer_gets_does_not_exist_for_a_dossier_of_another_territory(world):
    officer = world.officers[world.territory_a.pk]
    for dossier in world.dossiers[world.territory_b.pk]:
        with pytest.raises(Dossier.DoesNotExist):
            dossier_get_for_user(officer, dossier.pk)
    for dossier in world.dossiers[world.territory_a.pk]:
        assert dossier_get_for_user(officer, dossier.pk) == dossier


@pytest.mark.django_db
def test_an_officer_of_two_territories_sees_both(world):
    officer = make_user(Role.OFFICER, territory=world.territory_a)
    territory_assign_officer(territory=world.territory_b, user=officer)

    assert seen_by(fresh(officer)) == expected(world.rows_of(world.territory_a) | world.rows_of(world.territory_b))


@pytest.mark.django_db
def test_a_global_instruct_permission_on_the_user_does_not_widen_an_officers_scope(world):
    officer = world.officers[world.territory_a.pk]
    permission = Permission.objects.get(content_type__app_label="dossiers", codename="instruct_territory")
    officer.user_permissions.add(permission)
    officer = fresh(officer)
    assert officer.has_perm("dossiers.instruct_territory")  # the global permission is really held

    assert seen_by(officer) == expected(world.rows_of(world.territory_a))


@pytest.mark.django_db
def test_a_global_instruct_permission_on_the_officers_role_group_does_not_widen_their_scope(world):
    permission = Permission.objects.get(content_type__app_label="dossiers", codename="instruct_territory")
    role_group(Role.OFFICER).permissions.add(permission)
    officer = fresh(world.officers[world.territory_a.pk])
    assert officer.has_perm("dossiers.instruct_territory")

    assert seen_by(officer) == expected(world.rows_of(world.territory_a))


@pytest.mark.django_db
def test_an_officer_removed_from_a_territory_no_longer_sees_it(world):
    officer = world.officers[world.territory_a.pk]
    territory_unassign_officer(territory=world.territory_a, user=officer)

    assert seen_by(fresh(officer)) == expected(set())


@pytest.mark.django_db
def test_membership_of_a_territory_group_without_the_officer_role_gives_nothing(world):
    user = UserFactory()
    user.groups.add(world.territory_a.officers_group)

    assert seen_by(fresh(user)) == expected(set())


@pytest.mark.django_db
def test_a_sponsor_sees_only_their_organisations_dossiers_and_no_refused_attempt(world, contract):
    organisation = OrganisationFactory()
    sponsor = make_user(Role.SPONSOR, organisation=organisation)
    other_contract = world.dossiers[world.territory_b.pk][0].contract
    own = [
        make_dossier(S.SUBMITTED, contract=contract, organisation=organisation, creator=sponsor),
        make_dossier(S.DRAFT, contract=other_contract, organisation=organisation, creator=sponsor),
    ]
    for dossier in own:
        _add_events(dossier)

    rows = world.rows_for(own, territories=[world.territory_a, world.territory_b], refusals=False)
    assert AuditEvent.objects.filter(dossier__in=own, kind=AuditKind.REFUSAL).exists()
    assert seen_by(fresh(sponsor)) == expected(rows)
    with pytest.raises(Dossier.DoesNotExist):
        dossier_get_for_user(sponsor, world.dossiers[world.territory_a.pk][0].pk)


@pytest.mark.django_db
def test_officers_see_refused_attempts_where_sponsors_do_not(world):
    dossier = world.dossiers[world.territory_a.pk][1]
    refusal = AuditEvent.objects.get(dossier=dossier, kind=AuditKind.REFUSAL)

    assert refusal in audit_event_list_for_user(world.officers[world.territory_a.pk])
    assert refusal not in audit_event_list_for_user(dossier.created_by)
    assert audit_event_list_for_user(dossier.created_by).filter(dossier=dossier).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMITTEE_SECRETARY, Role.COMMITTEE_MEMBER])
def test_the_committee_sees_only_the_dossiers_in_committee_states_of_every_territory(world, role):
    visible = [dossier for dossier in world.all_dossiers() if dossier.state in COMMITTEE_STATES]
    hidden = [dossier for dossier in world.all_dossiers() if dossier.state not in COMMITTEE_STATES]
    assert visible and hidden

    rows = world.rows_for(visible, territories=[world.territory_a, world.territory_b])
    user = make_user(role)
    assert seen_by(user) == expected(rows)
    for dossier in hidden:
        with pytest.raises(Dossier.DoesNotExist):
            dossier_get_for_user(user, dossier.pk)


@pytest.mark.django_db
def test_finance_sees_only_the_dossiers_in_finance_states_of_every_territory(world):
    visible = [dossier for dossier in world.all_dossiers() if dossier.state in FINANCE_STATES]
    hidden = [dossier for dossier in world.all_dossiers() if dossier.state not in FINANCE_STATES]
    assert visible and hidden

    rows = world.rows_for(visible, territories=[world.territory_a, world.territory_b])
    assert seen_by(make_user(Role.FINANCE)) == expected(rows)


@pytest.mark.django_db
def test_an_administrator_sees_everything(world):
    OrganisationFactory()  # an organisation without any dossier yet
    assert seen_by(make_user(Role.ADMINISTRATOR)) == expected(world.everything())


@pytest.mark.django_db
def test_a_superuser_is_an_administrator(world):
    assert seen_by(UserFactory(is_superuser=True)) == expected(world.everything())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda world: AnonymousUser(), id="anonymous"),
        pytest.param(lambda world: UserFactory(), id="no-role"),
        pytest.param(
            lambda world: make_user(Role.OFFICER, territory=world.territory_a, is_active=False),
            id="inactive-officer",
        ),
        pytest.param(lambda world: make_user(Role.ADMINISTRATOR, is_active=False), id="inactive-administrator"),
        pytest.param(lambda world: UserFactory(is_superuser=True, is_active=False), id="inactive-superuser"),
        pytest.param(
            lambda world: _deactivated(world.dossiers[world.territory_a.pk][1].created_by), id="inactive-sponsor"
        ),
    ],
)
def test_an_anonymous_inactive_or_roleless_user_sees_nothing(world, make):
    user = make(world)

    assert seen_by(user) == expected(set())


@pytest.mark.django_db
def test_a_committee_member_who_also_sponsors_sees_no_refusal_on_their_own_draft(world):
    draft = world.dossiers[world.territory_a.pk][0]
    assert draft.state == S.DRAFT
    elected_mayor = fresh(draft.created_by)
    elected_mayor.groups.add(role_group(Role.COMMITTEE_MEMBER))
    elected_mayor = fresh(elected_mayor)

    events = audit_event_list_for_user(elected_mayor).filter(dossier=draft)
    assert events.exists()
    assert not events.filter(kind=AuditKind.REFUSAL).exists()
