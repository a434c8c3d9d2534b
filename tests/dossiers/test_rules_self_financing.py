"""Self-financing rule (CGCT L1111-10 III): a public-law owner's own contribution is at least the rule
set's minimum (20 %) of all public funding, its own contribution included; private money is outside the
calculation. DOMAIN.md's worked examples, on the pure function and through submission."""

from decimal import Decimal

import pytest

from dossiers.enums import FunderKind, LegalForm, SelfFinancingExemption
from dossiers.models import Dossier, RuleSet
from dossiers.rules import financing_plan, meets_self_financing
from dossiers.services import ruleset_publish
from tests.factories import OrganisationFactory, make_draft
from workflows.enums import AuditKind, DossierState
from workflows.models import AuditEvent
from workflows.services import TransitionRefused, dossier_submit

F = FunderKind
D = Decimal
TWENTY_PERCENT = D("0.2")

# DOMAIN.md, "Self-financing rule": cost 200,000 € in each case.
ALLOWED_20 = [(F.REGION, D("80000")), (F.STATE, D("60000")), (F.DEPARTMENT, D("20000")), (F.OWN, D("40000"))]
REFUSED_15 = [(F.REGION, D("80000")), (F.STATE, D("60000")), (F.DEPARTMENT, D("30000")), (F.OWN, D("30000"))]
WITH_PRIVATE = [(F.REGION, D("90000")), (F.STATE, D("50000")), (F.PRIVATE, D("25000")), (F.OWN, D("35000"))]
# Own 50,000 of 200,000 public: 25 %.
PLAN_25 = [(F.REGION, D("80000")), (F.STATE, D("70000")), (F.OWN, D("50000"))]


COST = D("200000")


def plan_of(funding, total=COST):
    return financing_plan(expenses=[(total, True)], funding=funding)


def draft(funding, **kwargs) -> Dossier:
    region = sum(amount for kind, amount in funding if kind == F.REGION)
    return make_draft(total=D("200000.00"), region=region, funding=funding, **kwargs)


def submit(dossier: Dossier) -> Dossier:
    return dossier_submit(dossier=dossier, actor=dossier.created_by)


def refuse_submission(dossier: Dossier) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as refused:
        submit(dossier)
    assert Dossier.objects.get(pk=dossier.pk).state == DossierState.DRAFT
    assert not AuditEvent.objects.filter(dossier=dossier, kind=AuditKind.TRANSITION).exists()
    return refused.value


# The pure function ---------------------------------------------------------------------------------


def test_own_share_of_twenty_percent_of_public_funding_is_allowed():
    plan = plan_of(ALLOWED_20)
    assert plan.is_balanced
    assert plan.public_funding == D("200000")
    assert plan.own_share_of_public == TWENTY_PERCENT
    assert meets_self_financing(plan, TWENTY_PERCENT)


def test_own_share_of_fifteen_percent_of_public_funding_is_refused():
    plan = plan_of(REFUSED_15)
    assert plan.is_balanced
    assert plan.own_share_of_public == D("0.15")
    assert not meets_self_financing(plan, TWENTY_PERCENT)


def test_private_sponsorship_is_outside_the_self_financing_calculation():
    plan = plan_of(WITH_PRIVATE)
    assert plan.is_balanced
    assert plan.public_funding == D("175000")
    assert plan.own_share_of_public == TWENTY_PERCENT
    assert meets_self_financing(plan, TWENTY_PERCENT)
    # Counted in the public total, the sponsorship would have brought the share down to 17.5 %.
    assert D("35000") / plan.total_funding < TWENTY_PERCENT


def test_self_financing_minimum_is_the_given_rate():
    plan = plan_of(PLAN_25)
    assert meets_self_financing(plan, D("0.25"))
    assert not meets_self_financing(plan, D("0.2501"))


def test_plan_without_public_funding_does_not_meet_self_financing():
    assert not meets_self_financing(plan_of([(F.PRIVATE, D("200000"))]), TWENTY_PERCENT)


# Through submission --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_commune_with_twenty_percent_self_financing_can_submit():
    dossier = submit(draft(ALLOWED_20))
    assert dossier.state == DossierState.SUBMITTED


@pytest.mark.django_db
def test_commune_with_fifteen_percent_self_financing_cannot_submit_and_sees_the_figure():
    refusal = refuse_submission(draft(REFUSED_15))
    assert refusal.codes == ["self_financing"]
    assert "15\u00a0%" in refusal.message
    assert "20\u00a0%" in refusal.message
    assert "30\u202f000,00" in refusal.message  # the own contribution
    assert "200\u202f000,00" in refusal.message  # the public funding


@pytest.mark.django_db
def test_commune_with_private_sponsorship_outside_the_calculation_can_submit():
    dossier = submit(draft(WITH_PRIVATE))
    assert dossier.state == DossierState.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize("legal_form", [LegalForm.EPCI, LegalForm.SYNDICATE, LegalForm.PUBLIC_BODY])
def test_every_public_law_owner_is_subject_to_self_financing(legal_form):
    refusal = refuse_submission(draft(REFUSED_15, organisation=OrganisationFactory(legal_form=legal_form)))
    assert refusal.codes == ["self_financing"]


@pytest.mark.django_db
@pytest.mark.parametrize("legal_form", [LegalForm.ASSOCIATION, LegalForm.FOUNDATION, LegalForm.COMPANY])
def test_private_law_owner_is_not_subject_to_self_financing(legal_form):
    # Own contribution: 10 % of the public funding.
    funding = [(F.REGION, D("80000")), (F.STATE, D("100000")), (F.OWN, D("20000"))]
    dossier = submit(draft(funding, organisation=OrganisationFactory(legal_form=legal_form)))
    assert dossier.state == DossierState.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize("exemption", [e for e in SelfFinancingExemption if e != SelfFinancingExemption.NONE])
def test_exemption_lifts_the_self_financing_rule(exemption):
    dossier = draft(REFUSED_15)
    Dossier.objects.filter(pk=dossier.pk).update(self_financing_exemption=exemption)
    assert submit(dossier).state == DossierState.SUBMITTED


@pytest.mark.django_db
def test_self_financing_minimum_comes_from_the_rule_set_in_force():
    assert RuleSet.objects.current().self_financing_min_rate == TWENTY_PERCENT
    assert submit(draft(PLAN_25)).state == DossierState.SUBMITTED

    ruleset_publish(actor=None, note="Autofinancement porté à 30 %", self_financing_min_rate=D("0.3"))

    refusal = refuse_submission(draft(PLAN_25))
    assert refusal.codes == ["self_financing"]
    assert "25\u00a0%" in refusal.message
    assert "30\u00a0%" in refusal.message
