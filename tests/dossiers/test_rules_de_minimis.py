"""De minimis (EU regulation 2023/2831): the aid to one undertaking, declared plus granted by this
system, stays within 300,000 € over a rolling three years, at submission and at approval."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dossiers.enums import LegalForm
from dossiers.models import DeMinimisDeclaration, Dossier
from dossiers.money import add_months
from tests.factories import EnvelopeFactory, OrganisationFactory, make_dossier, make_draft
from workflows.enums import AuditKind, DossierState
from workflows.models import AuditEvent
from workflows.services import TransitionRefused, dossier_approve, dossier_submit

D = Decimal
FORTY_THOUSAND = "40\u202f000,00"


def declare(organisation, amount, *, days_ago=200):
    return DeMinimisDeclaration.objects.create(
        organisation=organisation,
        granting_body="Département",
        amount=D(amount),
        granted_on=timezone.localdate() - timedelta(days=days_ago),
    )


def grant_here(organisation, amount, *, days_ago=365):
    """A grant of this system to `organisation`, decided `days_ago` and being paid."""
    dossier = make_dossier(DossierState.IN_PAYMENT, organisation=organisation)
    Dossier.objects.filter(pk=dossier.pk).update(
        granted_amount=D(amount), decided_at=timezone.now() - timedelta(days=days_ago)
    )
    return dossier


def three_years_and(days: int) -> int:
    """Days ago that fall `days` before the start of the rolling three years."""
    today = timezone.localdate()
    return (today - add_months(today, -36)).days + days


@pytest.fixture
def company(db):
    """DOMAIN.md's example: 220,000 € declared and 40,000 € granted here last year."""
    company = OrganisationFactory(legal_form=LegalForm.COMPANY, name="SARL Les Ateliers")
    declare(company, "220000.00")
    grant_here(company, "40000.00")
    return company


def request(organisation, amount) -> Dossier:
    return make_draft(organisation=organisation, total=D("150000.00"), region=D(amount))


def submit(dossier):
    return dossier_submit(dossier=dossier, actor=dossier.created_by)


def test_request_beyond_the_de_minimis_cap_cannot_be_submitted(company):
    dossier = request(company, "60000.00")
    with pytest.raises(TransitionRefused) as refused:
        submit(dossier)
    assert refused.value.codes == ["de_minimis"]
    message = refused.value.message
    assert FORTY_THOUSAND in message  # granted here, and the most that can still be granted
    assert "220\u202f000,00" in message
    assert "260\u202f000,00" in message
    assert "300\u202f000,00" in message
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.DRAFT


def test_request_within_the_de_minimis_room_can_be_submitted(company):
    assert submit(request(company, "40000.00")).state == DossierState.SUBMITTED


@pytest.mark.parametrize("legal_form", [LegalForm.COMPANY, LegalForm.SEM])
def test_every_undertaking_is_subject_to_de_minimis(db, legal_form):
    undertaking = OrganisationFactory(legal_form=legal_form)
    declare(undertaking, "260000.00")
    with pytest.raises(TransitionRefused) as refused:
        submit(request(undertaking, "60000.00"))
    assert refused.value.codes == ["de_minimis"]


def test_declared_aid_older_than_three_rolling_years_does_not_count(db):
    company = OrganisationFactory(legal_form=LegalForm.COMPANY)
    declare(company, "220000.00", days_ago=three_years_and(5))
    grant_here(company, "40000.00")
    assert submit(request(company, "60000.00")).state == DossierState.SUBMITTED


def test_aid_granted_here_more_than_three_rolling_years_ago_does_not_count(db):
    company = OrganisationFactory(legal_form=LegalForm.COMPANY)
    declare(company, "220000.00")
    grant_here(company, "40000.00", days_ago=three_years_and(5))
    assert submit(request(company, "60000.00")).state == DossierState.SUBMITTED


def test_aid_within_three_rolling_years_counts(db):
    company = OrganisationFactory(legal_form=LegalForm.COMPANY)
    declare(company, "220000.00", days_ago=three_years_and(-5))
    grant_here(company, "40000.00", days_ago=three_years_and(-5))
    with pytest.raises(TransitionRefused) as refused:
        submit(request(company, "60000.00"))
    assert refused.value.codes == ["de_minimis"]


def test_aid_of_another_undertaking_does_not_count(company):
    other = OrganisationFactory(legal_form=LegalForm.COMPANY)
    assert submit(request(other, "60000.00")).state == DossierState.SUBMITTED


def test_approval_beyond_the_de_minimis_cap_is_refused(company, secretary):
    dossier = make_dossier(DossierState.SCHEDULED, organisation=company, total=D("150000.00"), region=D("60000.00"))
    with pytest.raises(TransitionRefused) as refused:
        dossier_approve(dossier=dossier, actor=secretary, amount=D("60000.00"))
    assert refused.value.codes == ["de_minimis"]
    assert FORTY_THOUSAND in refused.value.message
    after = Dossier.objects.get(pk=dossier.pk)
    assert (after.state, after.granted_amount, after.envelope_id) == (DossierState.SCHEDULED, None, None)
    events = AuditEvent.objects.filter(dossier=dossier)
    assert [(e.kind, e.reason_code) for e in events] == [(AuditKind.REFUSAL, "de_minimis")]


def test_approval_within_the_de_minimis_room_is_accepted(company, secretary):
    dossier = make_dossier(DossierState.SCHEDULED, organisation=company, total=D("150000.00"), region=D("60000.00"))
    approved = dossier_approve(dossier=dossier, actor=secretary, amount=D("40000.00"))
    assert approved.state == DossierState.APPROVED
    assert approved.granted_amount == D("40000.00")


def test_approved_grant_counts_against_the_de_minimis_room_of_the_next_request(company, secretary):
    contract = EnvelopeFactory().contract
    first = make_dossier(
        DossierState.SCHEDULED, organisation=company, contract=contract, total=D("150000.00"), region=D("30000.00")
    )
    dossier_approve(dossier=first, actor=secretary, amount=D("30000.00"))
    with pytest.raises(TransitionRefused) as refused:
        submit(request(company, "20000.00"))
    assert refused.value.codes == ["de_minimis"]
    assert "10\u202f000,00" in refused.value.message


@pytest.mark.parametrize("legal_form", [LegalForm.COMMUNE, LegalForm.EPCI])
def test_public_bodies_are_not_subject_to_de_minimis(db, secretary, legal_form):
    body = OrganisationFactory(legal_form=legal_form)
    declare(body, "300000.00")
    grant_here(body, "250000.00")
    assert submit(make_draft(organisation=body)).state == DossierState.SUBMITTED
    scheduled = make_dossier(DossierState.SCHEDULED, organisation=body)
    assert dossier_approve(dossier=scheduled, actor=secretary, amount=D("80000.00")).state == DossierState.APPROVED
