"""The demonstration data: idempotent, every lifecycle state, logins that work, and the Region's rules
respected (it is what people discover the product with)."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Count, Sum

from dossiers.loaders import load_reference_data
from dossiers.models import Contract, Dossier, Envelope, Membership, Organisation, Territory
from dossiers.rules import dossier_financing_plan
from dossiers.selectors import dossier_list_for_user
from workflows.enums import COMMITTED_STATES, AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.permissions import user_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    load_reference_data()
    output = StringIO()
    call_command("seed_demo", dossiers=120, stdout=output)
    return output.getvalue()


def table_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Territory, Contract, Envelope, Organisation, Membership, Dossier, AuditEvent, get_user_model())
    }


def test_seeding_twice_duplicates_nothing(seeded):
    before = table_counts()
    call_command("seed_demo", dossiers=120, stdout=StringIO())
    assert table_counts() == before


def test_seeding_more_adds_only_what_is_missing(seeded):
    call_command("seed_demo", dossiers=150, stdout=StringIO())
    assert Dossier.objects.filter(organisation__is_demo=True).count() == 150


def test_demo_has_51_territories_with_the_22_known_contracts(seeded):
    assert Territory.objects.count() == 51
    assert Territory.objects.filter(name_is_demo=False).count() == 22
    assert Territory.objects.filter(name="Pays Basque", name_is_demo=False).exists()
    assert Contract.objects.filter(generation="2018-2021").count() == 51
    assert Contract.objects.filter(generation="2023-2025", status="signed").count() == 51


def test_demo_dossiers_cover_every_state(seeded):
    assert set(Dossier.objects.values_list("state", flat=True)) == set(DossierState.values)


def test_printed_logins_work_one_per_role(seeded):
    logins = re.findall(r"^\s+.+?\s{2,}(\S+)\s+(\S+-demo)\s", seeded, flags=re.MULTILINE)
    assert len(logins) == len(Role)
    roles = set()
    for username, password in logins:
        user = authenticate(username=username, password=password)
        assert user is not None, username
        roles |= user_roles(user)
    assert roles == set(Role)


def test_demo_officer_sees_their_territory_and_the_sponsor_their_organisation(seeded):
    officer = get_user_model().objects.get(username="instructeur")
    visible = dossier_list_for_user(officer)
    assert visible.exists()
    assert set(visible.values_list("territory__code", flat=True)) == {"pays-basque"}
    sponsor = get_user_model().objects.get(username="porteur")
    mine = dossier_list_for_user(sponsor)
    assert mine.exists()
    assert set(mine.values_list("organisation__memberships__user", flat=True)) >= {sponsor.pk}


def test_demo_histories_lead_from_draft_to_the_current_state(seeded):
    events = AuditEvent.objects.filter(kind=AuditKind.TRANSITION).order_by("dossier_id", "created_at", "pk")
    by_dossier = {}
    for event in events:
        by_dossier.setdefault(event.dossier_id, []).append(event)
    for dossier in Dossier.objects.all():
        history = by_dossier.get(dossier.pk, [])
        state = DossierState.DRAFT
        for event in history:
            assert event.from_state == state
            assert event.created_at >= dossier.created_at
            state = event.to_state
        assert state == dossier.state, dossier.reference


def test_demo_financing_plans_are_balanced_and_envelopes_never_over_committed(seeded):
    for dossier in Dossier.objects.exclude(state=DossierState.DRAFT).select_related("organisation"):
        plan = dossier_financing_plan(dossier)
        assert plan.is_balanced and plan.region_funding == dossier.requested_amount
        assert dossier.requested_amount <= plan.eligible_expenses
        assert dossier.planned_start >= dossier.submitted_at.date()
        if dossier.organisation.is_public_law:
            assert plan.own_contribution >= dossier.rule_set.self_financing_min_rate * plan.public_funding
    committed = (
        Envelope.objects.filter(dossiers__state__in=COMMITTED_STATES)
        .annotate(committed=Sum("dossiers__granted_amount"))
        .values_list("amount", "committed")
    )
    assert committed and all(used <= amount for amount, used in committed)


def test_demo_references_are_unique_and_well_formed(seeded):
    references = list(Dossier.objects.values_list("reference", flat=True))
    assert all(re.fullmatch(r"NA-\d{4}-\d{6}", reference) for reference in references)
    assert not Dossier.objects.values("reference").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(Exception, match="production"):
        call_command("seed_demo", dossiers=1, stdout=StringIO())
