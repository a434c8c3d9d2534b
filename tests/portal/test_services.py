"""The portal's services guard themselves, whoever calls them: only members of the organisation edit a
dossier, only while it is a draft or incomplete, and only members answer a request to join."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dossiers.enums import FunderKind, LegalForm, SelfFinancingExemption
from portal import services
from portal.models import MembershipRequest
from tests.factories import OrganisationFactory, make_dossier, make_draft, make_user
from tests.portal.helpers import snapshot
from workflows.enums import DossierState, Role

S = DossierState
PLAN = {
    "expenses": [{"label": "Travaux", "amount": Decimal("100000"), "is_eligible": True}],
    "funding": [
        {"funder_kind": FunderKind.REGION, "funder_name": "", "amount": Decimal("50000"), "status": "requested"},
        {"funder_kind": FunderKind.OWN, "funder_name": "", "amount": Decimal("50000"), "status": "requested"},
    ],
}


@pytest.mark.django_db
def test_only_a_member_of_the_organisation_saves_the_financing_plan(contract):
    dossier = make_draft(contract=contract)
    before = snapshot(dossier)

    with pytest.raises(PermissionDenied):
        services.financing_plan_save(
            dossier=dossier, actor=make_user(Role.SPONSOR, organisation=OrganisationFactory()), **PLAN
        )

    assert snapshot(dossier) == before


@pytest.mark.django_db
@pytest.mark.parametrize("state", [S.SUBMITTED, S.APPROVED, S.WITHDRAWN])
def test_a_dossier_outside_draft_and_incomplete_cannot_be_edited(contract, state):
    dossier = make_dossier(state, contract=contract)
    before = snapshot(dossier)

    with pytest.raises(ValidationError):
        services.financing_plan_save(dossier=dossier, actor=dossier.created_by, **PLAN)
    with pytest.raises(ValidationError):
        services.dossier_dates_update(
            dossier=dossier,
            actor=dossier.created_by,
            planned_start=dossier.planned_start,
            planned_end=dossier.planned_end,
        )

    assert snapshot(dossier) == before


@pytest.mark.django_db
def test_saving_the_plan_makes_the_amount_requested_the_regions_line(contract):
    dossier = make_draft(contract=contract)

    saved = services.financing_plan_save(dossier=dossier, actor=dossier.created_by, **PLAN)

    assert saved.requested_amount == Decimal("50000.00")
    assert saved.expense_lines.count() == 1 and saved.funding_lines.count() == 2


@pytest.mark.django_db
def test_an_association_cannot_claim_the_public_owners_exemption(contract):
    association = OrganisationFactory(legal_form=LegalForm.ASSOCIATION)
    dossier = make_draft(contract=contract, organisation=association)

    saved = services.financing_plan_save(
        dossier=dossier,
        actor=dossier.created_by,
        self_financing_exemption=SelfFinancingExemption.PREFECT_WAIVER,
        **PLAN,
    )

    assert saved.self_financing_exemption == SelfFinancingExemption.NONE


@pytest.mark.django_db
def test_only_a_member_answers_a_request_to_join(organisation):
    membership_request = MembershipRequest.objects.create(organisation=organisation, user=make_user(Role.SPONSOR))

    with pytest.raises(PermissionDenied):
        services.membership_request_accept(
            membership_request=membership_request, actor=make_user(Role.SPONSOR, organisation=OrganisationFactory())
        )

    membership_request.refresh_from_db()
    assert membership_request.status == "pending"


@pytest.mark.django_db
def test_the_end_of_work_cannot_come_before_its_start(contract):
    dossier = make_draft(contract=contract)
    before = snapshot(dossier)

    with pytest.raises(ValidationError) as error:
        services.dossier_dates_update(
            dossier=dossier,
            actor=dossier.created_by,
            planned_start=dossier.planned_end,
            planned_end=dossier.planned_start,
        )

    assert "planned_end" in error.value.error_dict
    assert snapshot(dossier) == before
