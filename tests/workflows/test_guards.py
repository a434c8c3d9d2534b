"""The guards of the lifecycle services (workflows.services), one rule per test.

Every refusal is checked the same way (`assert_refused`): the expected code, the dossier's row, lines,
pieces and communes exactly as before, no transition recorded, and one refusal event carrying the codes
and the message."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from dossiers.enums import ContractStatus, FunderKind, LegalForm
from dossiers.models import Commune, Contract, Dossier, Envelope, ExpenseLine, FundingLine, Piece, PieceType
from dossiers.money import add_months
from dossiers.services import ruleset_publish
from tests.factories import (
    ContractFactory,
    EnvelopeFactory,
    OrganisationFactory,
    make_dossier,
    make_draft,
    make_user,
    snapshot,
)
from workflows import services
from workflows.enums import AuditKind, DossierState, Role
from workflows.models import AuditEvent
from workflows.services import RefusalCategory, TransitionRefused, envelope_committed

S = DossierState
D = Decimal
pytestmark = pytest.mark.django_db


def assert_refused(service, *, dossier, code, **kwargs) -> TransitionRefused:
    """Calls `service`, expects a refusal with `code`, and checks that it changed nothing but the
    refusal's audit entry."""
    name = service.__name__.removeprefix("dossier_")
    before = snapshot(dossier.pk)
    instance_before = {f.attname: getattr(dossier, f.attname) for f in Dossier._meta.concrete_fields}
    with pytest.raises(TransitionRefused) as caught:
        service(dossier=dossier, **kwargs)
    refusal = caught.value
    assert code in refusal.codes, refusal.message
    assert snapshot(dossier.pk) == before
    assert {f.attname: getattr(dossier, f.attname) for f in Dossier._meta.concrete_fields} == instance_before
    events = list(AuditEvent.objects.filter(dossier_id=dossier.pk))
    assert [(e.kind, e.transition, e.from_state, e.to_state) for e in events] == [
        (AuditKind.REFUSAL, name, before[1], "")
    ]
    # The codes (see test_refusal_audit_entry_keeps_every_code) and the full message.
    assert events[0].reason_code
    assert ",".join(refusal.codes).startswith(events[0].reason_code)
    assert events[0].reason == refusal.message
    return refusal


def submit_refused(dossier, code) -> TransitionRefused:
    return assert_refused(services.dossier_submit, dossier=dossier, actor=dossier.created_by, code=code)


def assert_fired(result, dossier, name, target):
    assert result.state == target
    assert Dossier.objects.get(pk=dossier.pk).state == target
    events = list(AuditEvent.objects.filter(dossier_id=dossier.pk, kind=AuditKind.TRANSITION))
    assert [(e.transition, e.to_state) for e in events] == [(name, target)]


@pytest.fixture
def association(db):
    return OrganisationFactory(legal_form=LegalForm.ASSOCIATION, name="Association de test")


# Submission ----------------------------------------------------------------------------------------


def test_draft_meeting_every_rule_can_be_submitted():
    dossier = make_draft()
    assert_fired(services.dossier_submit(dossier=dossier, actor=dossier.created_by), dossier, "submit", S.SUBMITTED)


def test_submission_needs_a_balanced_financing_plan():
    dossier = make_draft()
    FundingLine.objects.create(dossier=dossier, funder_kind=FunderKind.STATE, amount=D("10000.00"))
    refusal = submit_refused(dossier, "unbalanced_plan")
    assert refusal.codes == ["unbalanced_plan"]
    assert "210\u202f000,00" in refusal.message
    assert "200\u202f000,00" in refusal.message


def test_submission_needs_at_least_one_expense():
    dossier = make_draft()
    dossier.expense_lines.all().delete()
    refusal = submit_refused(dossier, "no_expenses")
    assert "unbalanced_plan" not in refusal.codes


def test_submission_needs_the_regions_line_equal_to_the_requested_amount():
    dossier = make_draft()
    Dossier.objects.filter(pk=dossier.pk).update(requested_amount=D("70000.00"))
    refusal = submit_refused(dossier, "requested_mismatch")
    assert refusal.codes == ["requested_mismatch"]


def test_submission_needs_the_requested_amount_within_the_eligible_expenses():
    dossier = make_draft()  # requests 80,000 on a 200,000 cost
    dossier.expense_lines.update(amount=D("50000.00"))
    ExpenseLine.objects.create(dossier=dossier, label="Frais de réception", amount=D("150000.00"), is_eligible=False)
    refusal = submit_refused(dossier, "requested_above_eligible")
    assert refusal.codes == ["requested_above_eligible"]
    assert "50\u202f000,00" in refusal.message


def test_submission_needs_every_mandatory_piece():
    dossier = make_draft()
    deliberation = PieceType.objects.get(code="deliberation")
    Piece.objects.filter(dossier=dossier, piece_type=deliberation).delete()
    refusal = submit_refused(dossier, "missing_pieces")
    assert refusal.codes == ["missing_pieces"]
    assert deliberation.label in refusal.message
    assert PieceType.objects.get(code="devis").label not in refusal.message


def test_submission_needs_work_not_started():
    dossier = make_draft()
    Dossier.objects.filter(pk=dossier.pk).update(planned_start=timezone.localdate() - timedelta(days=1))
    refusal = submit_refused(dossier, "work_started")
    assert refusal.codes == ["work_started"]


def test_submission_needs_a_commune():
    dossier = make_draft()
    dossier.communes.clear()
    refusal = submit_refused(dossier, "no_commune")
    assert refusal.codes == ["no_commune"]


def test_submission_needs_every_commune_in_the_contracts_territory(other_territory):
    dossier = make_draft()
    dossier.communes.add(Commune.objects.filter(epci__territory=other_territory).first())
    refusal = submit_refused(dossier, "commune_outside_territory")
    assert refusal.codes == ["commune_outside_territory"]


@pytest.mark.parametrize("status", [ContractStatus.CLOSED, ContractStatus.IN_PREPARATION])
def test_submission_needs_an_open_contract(status):
    dossier = make_draft()
    Contract.objects.filter(pk=dossier.contract_id).update(status=status)
    refusal = submit_refused(dossier, "contract_closed")
    assert refusal.codes == ["contract_closed"]


def test_submission_reports_every_problem_at_once():
    dossier = make_draft()
    Dossier.objects.filter(pk=dossier.pk).update(planned_start=timezone.localdate() - timedelta(days=1))
    Piece.objects.filter(dossier=dossier, piece_type__code="deliberation").delete()
    Contract.objects.filter(pk=dossier.contract_id).update(status=ContractStatus.CLOSED)
    FundingLine.objects.create(dossier=dossier, funder_kind=FunderKind.STATE, amount=D("10000.00"))
    refusal = submit_refused(dossier, "work_started")
    assert refusal.codes == ["unbalanced_plan", "missing_pieces", "work_started", "contract_closed"]
    reason = AuditEvent.objects.get(dossier=dossier).reason
    assert "210\u202f000,00" in reason
    assert PieceType.objects.get(code="deliberation").label in reason


def test_refusal_audit_entry_keeps_every_code():
    dossier = make_draft()
    Dossier.objects.filter(pk=dossier.pk).update(planned_start=timezone.localdate() - timedelta(days=1))
    Piece.objects.filter(dossier=dossier, piece_type__code="deliberation").delete()
    Contract.objects.filter(pk=dossier.contract_id).update(status=ContractStatus.CLOSED)
    FundingLine.objects.create(dossier=dossier, funder_kind=FunderKind.STATE, amount=D("10000.00"))
    with pytest.raises(TransitionRefused) as refused:
        services.dossier_submit(dossier=dossier, actor=dossier.created_by)
    event = AuditEvent.objects.get(dossier=dossier, kind=AuditKind.REFUSAL)
    assert event.reason_code.split(",") == refused.value.codes


def test_resubmission_applies_the_rule_set_of_the_first_submission():
    ruleset_publish(actor=None, note="Autofinancement 30 %", self_financing_min_rate=D("0.3"))
    # Own 50,000 of 200,000 public funding: 25 %, refused under 30 %.
    funding = [(FunderKind.REGION, D("80000")), (FunderKind.STATE, D("70000")), (FunderKind.OWN, D("50000"))]
    dossier = make_dossier(S.INCOMPLETE, funding=funding)
    assert dossier.rule_set.self_financing_min_rate == D("0.3")
    ruleset_publish(actor=None, note="Retour à 20 %", self_financing_min_rate=D("0.2"))

    refusal = assert_refused(
        services.dossier_resubmit, dossier=dossier, actor=dossier.created_by, code="self_financing"
    )
    assert "30\u00a0%" in refusal.message


# Review ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("eligible_base", "proposed_amount", "codes"),
    [
        (D("200000.01"), D("80000.00"), ["invalid_base"]),
        (D("0"), D("80000.00"), ["invalid_base", "invalid_amount"]),
        (D("200000.00"), D("80000.01"), ["invalid_amount"]),
        (D("200000.00"), D("0"), ["invalid_amount"]),
        (D("50000.00"), D("60000.00"), ["invalid_amount"]),
    ],
)
def test_review_proposal_stays_within_the_eligible_expenses_and_the_request(
    contract, officer, eligible_base, proposed_amount, codes
):
    dossier = make_dossier(S.UNDER_REVIEW, contract=contract)
    refusal = assert_refused(
        services.dossier_complete_review,
        dossier=dossier,
        actor=officer,
        eligible_base=eligible_base,
        proposed_amount=proposed_amount,
        code=codes[0],
    )
    assert refusal.codes == codes
    assert refusal.category == RefusalCategory.PAYLOAD


def test_review_proposal_at_the_bounds_is_accepted(contract, officer):
    dossier = make_dossier(S.UNDER_REVIEW, contract=contract)
    result = services.dossier_complete_review(
        dossier=dossier, actor=officer, eligible_base=D("200000.00"), proposed_amount=D("80000.00")
    )
    assert_fired(result, dossier, "complete_review", S.REVIEWED)
    assert (result.eligible_base, result.proposed_amount) == (D("200000.00"), D("80000.00"))


# Approval ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [D("0"), D("-1.00"), D("80000.01")])
def test_approval_needs_an_amount_above_zero_and_within_the_request(contract, secretary, amount):
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    refusal = assert_refused(
        services.dossier_approve, dossier=dossier, actor=secretary, amount=amount, code="invalid_amount"
    )
    assert refusal.category == RefusalCategory.PAYLOAD


def test_approval_needs_an_open_envelope_of_the_contract(contract, secretary):
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    Envelope.objects.filter(contract=contract).update(is_open=False)
    assert_refused(services.dossier_approve, dossier=dossier, actor=secretary, amount=D("80000.00"), code="no_envelope")


def test_approval_cannot_commit_on_another_contracts_envelope(contract, secretary):
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    foreign = EnvelopeFactory()
    assert_refused(
        services.dossier_approve,
        dossier=dossier,
        actor=secretary,
        amount=D("80000.00"),
        envelope=foreign,
        code="no_envelope",
    )


def test_approval_cannot_exceed_the_room_left_in_the_envelope(territory, secretary):
    envelope = EnvelopeFactory(amount=D("100000.00"), contract=ContractFactory(territory=territory))
    make_dossier(S.APPROVED, contract=envelope.contract)  # commits 80,000
    assert envelope_committed(envelope) == D("80000.00")
    dossier = make_dossier(S.SCHEDULED, contract=envelope.contract)

    refusal = assert_refused(
        services.dossier_approve, dossier=dossier, actor=secretary, amount=D("30000.00"), code="envelope_exceeded"
    )
    assert "20\u202f000,00" in refusal.message
    assert envelope_committed(envelope) == D("80000.00")

    approved = services.dossier_approve(dossier=dossier, actor=secretary, amount=D("20000.00"))
    assert approved.state == S.APPROVED
    assert approved.envelope == envelope
    assert approved.granted_amount == D("20000.00")
    assert approved.decided_at is not None
    assert envelope_committed(envelope) == D("100000.00")


def test_approval_commits_the_amount_on_the_envelope(contract, secretary):
    envelope = contract.envelopes.get()
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    assert envelope_committed(envelope) == 0
    result = services.dossier_approve(dossier=dossier, actor=secretary, amount=D("75000.00"))
    assert_fired(result, dossier, "approve", S.APPROVED)
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.envelope_id, saved.granted_amount) == (envelope.pk, D("75000.00"))
    assert envelope_committed(envelope) == D("75000.00")


# Convention and payment --------------------------------------------------------------------------


def test_convention_cannot_be_signed_when_not_required(contract, officer):
    dossier = make_dossier(S.NOTIFIED, contract=contract)  # a commune: public law
    assert_refused(
        services.dossier_sign_agreement,
        dossier=dossier,
        actor=officer,
        signed_on=timezone.localdate(),
        code="convention_not_required",
    )


def test_convention_is_not_required_for_an_association_at_the_threshold(contract, officer, association):
    dossier = make_dossier(S.NOTIFIED, contract=contract, organisation=association)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=D("23000.00"))
    assert_refused(
        services.dossier_sign_agreement,
        dossier=dossier,
        actor=officer,
        signed_on=timezone.localdate(),
        code="convention_not_required",
    )


def test_association_above_the_threshold_signs_a_convention(contract, officer, association):
    dossier = make_dossier(S.NOTIFIED, contract=contract, organisation=association)
    Dossier.objects.filter(pk=dossier.pk).update(granted_amount=D("23000.01"))
    today = timezone.localdate()
    result = services.dossier_sign_agreement(dossier=dossier, actor=officer, signed_on=today)
    assert_fired(result, dossier, "sign_agreement", S.AGREEMENT_SIGNED)
    assert result.agreement_signed_on == today


def test_convention_decided_by_the_officer_can_be_signed_for_any_grant(contract, officer):
    dossier = make_dossier(S.NOTIFIED, contract=contract, convention=True)  # a commune
    result = services.dossier_sign_agreement(dossier=dossier, actor=officer, signed_on=dossier.notified_on)
    assert_fired(result, dossier, "sign_agreement", S.AGREEMENT_SIGNED)


@pytest.mark.parametrize("offset", ["before_notification", "tomorrow"])
def test_convention_date_is_between_the_notification_and_today(contract, officer, association, offset):
    dossier = make_dossier(S.NOTIFIED, contract=contract, organisation=association)
    signed_on = {
        "before_notification": dossier.notified_on - timedelta(days=1),
        "tomorrow": timezone.localdate() + timedelta(days=1),
    }[offset]
    refusal = assert_refused(
        services.dossier_sign_agreement, dossier=dossier, actor=officer, signed_on=signed_on, code="invalid_date"
    )
    assert refusal.category == RefusalCategory.PAYLOAD


def test_first_payment_needs_the_required_convention_signed(contract, finance, association):
    dossier = make_dossier(S.NOTIFIED, contract=contract, organisation=association)
    assert_refused(services.dossier_start_payment, dossier=dossier, actor=finance, code="convention_not_signed")


def test_first_payment_after_the_signed_convention_is_allowed(contract, finance, association):
    dossier = make_dossier(S.AGREEMENT_SIGNED, contract=contract, organisation=association)
    result = services.dossier_start_payment(dossier=dossier, actor=finance)
    assert_fired(result, dossier, "start_payment", S.IN_PAYMENT)


def test_first_payment_without_convention_when_none_is_required(contract, finance):
    dossier = make_dossier(S.NOTIFIED, contract=contract)  # a commune
    result = services.dossier_start_payment(dossier=dossier, actor=finance)
    assert_fired(result, dossier, "start_payment", S.IN_PAYMENT)


def test_the_balance_settles_the_grant_at_its_final_amount_and_releases_the_rest(contract, finance):
    dossier = make_dossier(S.IN_PAYMENT, contract=contract)
    envelope = contract.envelopes.get()
    assert envelope_committed(envelope) == D("80000.00")
    result = services.dossier_mark_paid(dossier=dossier, actor=finance, final_amount=D("60000.00"))
    assert_fired(result, dossier, "mark_paid", S.PAID)
    saved = Dossier.objects.get(pk=dossier.pk)
    assert (saved.final_amount, saved.granted_amount) == (D("60000.00"), D("80000.00"))
    assert envelope_committed(envelope) == D("60000.00")


@pytest.mark.parametrize("final_amount", ["-0.01", "80000.01"])
def test_the_final_grant_is_between_zero_and_the_amount_granted(contract, finance, final_amount):
    dossier = make_dossier(S.IN_PAYMENT, contract=contract)
    refusal = assert_refused(
        services.dossier_mark_paid,
        dossier=dossier,
        actor=finance,
        final_amount=D(final_amount),
        code="invalid_final_amount",
    )
    assert refusal.category == RefusalCategory.PAYLOAD
    assert envelope_committed(contract.envelopes.get()) == D("80000.00")


# Withdrawal and lapse ----------------------------------------------------------------------------


def test_withdrawal_is_impossible_once_a_payment_is_made(contract):
    dossier = make_dossier(S.IN_PAYMENT, contract=contract)
    assert_refused(
        services.dossier_withdraw, dossier=dossier, actor=dossier.created_by, reason="Abandon", code="invalid_state"
    )


def test_withdrawal_before_any_payment_releases_the_commitment(contract):
    dossier = make_dossier(S.NOTIFIED, contract=contract)
    envelope = contract.envelopes.get()
    assert envelope_committed(envelope) == D("80000.00")
    result = services.dossier_withdraw(dossier=dossier, actor=dossier.created_by, reason="Abandon")
    assert_fired(result, dossier, "withdraw", S.WITHDRAWN)
    assert envelope_committed(envelope) == 0


@pytest.mark.parametrize(
    ("state", "days_ago"),
    [(S.NOTIFIED, 30), (S.AGREEMENT_SIGNED, 300), (S.IN_PAYMENT, 400), (S.IN_PAYMENT, 1000)],
)
def test_grant_cannot_lapse_before_its_deadline(contract, officer, state, days_ago):
    dossier = make_dossier(state, contract=contract, notified_days_ago=days_ago, convention=True)
    assert_refused(services.dossier_lapse, dossier=dossier, actor=officer, code="deadline_not_passed")


def test_grant_cannot_lapse_on_the_day_of_its_start_deadline(contract, officer):
    dossier = make_dossier(S.NOTIFIED, contract=contract)
    today = timezone.localdate()
    notified_on = add_months(today, -12)
    if add_months(notified_on, 12) != today:  # 29 February: no date is exactly 12 months before
        pytest.skip("today has no date 12 months earlier")
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=notified_on)
    assert_refused(services.dossier_lapse, dossier=dossier, actor=officer, code="deadline_not_passed")


@pytest.mark.parametrize(
    ("state", "months_ago"),
    [(S.NOTIFIED, 13), (S.AGREEMENT_SIGNED, 13), (S.IN_PAYMENT, 37)],
)
def test_grant_lapses_after_its_deadline_and_releases_its_commitment(contract, officer, state, months_ago):
    dossier = make_dossier(state, contract=contract, convention=True)
    Dossier.objects.filter(pk=dossier.pk).update(notified_on=add_months(timezone.localdate(), -months_ago))
    envelope = contract.envelopes.get()
    assert envelope_committed(envelope) == D("80000.00")
    result = services.dossier_lapse(dossier=dossier, actor=officer)
    assert_fired(result, dossier, "lapse", S.LAPSED)
    assert envelope_committed(envelope) == 0


# Comments and scope ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "state", "role", "field"),
    [
        (services.dossier_declare_incomplete, S.SUBMITTED, Role.OFFICER, "missing"),
        (services.dossier_declare_inadmissible, S.SUBMITTED, Role.OFFICER, "reason"),
        (services.dossier_reject, S.SCHEDULED, Role.COMMITTEE_SECRETARY, "reason"),
        (services.dossier_defer, S.SCHEDULED, Role.COMMITTEE_SECRETARY, "reason"),
    ],
)
@pytest.mark.parametrize("comment", ["", "  \n "])
def test_comment_is_required_to_declare_incomplete_inadmissible_reject_or_defer(
    contract, officer, secretary, service, state, role, field, comment
):
    dossier = make_dossier(state, contract=contract)
    actor = officer if role == Role.OFFICER else secretary
    refusal = assert_refused(service, dossier=dossier, actor=actor, code="comment_required", **{field: comment})
    assert refusal.category == RefusalCategory.PAYLOAD


def test_officer_of_another_territory_is_forbidden(contract, other_territory):
    stranger = make_user(Role.OFFICER, territory=other_territory)
    dossier = make_dossier(S.SUBMITTED, contract=contract)
    refusal = assert_refused(services.dossier_declare_admissible, dossier=dossier, actor=stranger, code="forbidden")
    assert refusal.category == RefusalCategory.PERMISSION


def test_sponsor_of_another_organisation_is_forbidden():
    dossier = make_draft()
    stranger = make_user(Role.SPONSOR, organisation=OrganisationFactory())
    refusal = assert_refused(services.dossier_submit, dossier=dossier, actor=stranger, code="forbidden")
    assert refusal.category == RefusalCategory.PERMISSION


# Atomicity ---------------------------------------------------------------------------------------


def test_refusal_after_the_earlier_checks_passed_changes_nothing(territory, secretary):
    # A company: permission, state, amount, de minimis and the envelope's lock all pass before the
    # envelope's room refuses the vote.
    company = OrganisationFactory(legal_form=LegalForm.COMPANY)
    envelope = EnvelopeFactory(amount=D("50000.00"), contract=ContractFactory(territory=territory))
    dossier = make_dossier(S.SCHEDULED, contract=envelope.contract, organisation=company)
    envelope_before = model_to_dict(Envelope.objects.get(pk=envelope.pk))
    refusal = assert_refused(
        services.dossier_approve, dossier=dossier, actor=secretary, amount=D("60000.00"), code="envelope_exceeded"
    )
    assert refusal.codes == ["envelope_exceeded"]
    assert model_to_dict(Envelope.objects.get(pk=envelope.pk)) == envelope_before
    assert envelope_committed(envelope) == 0


def test_refusal_after_the_transition_was_saved_rolls_everything_back(contract, secretary, monkeypatch):
    def refuse_late(event):
        raise TransitionRefused.single("late", "Refused after the save.")

    monkeypatch.setattr(services, "schedule_side_effects", refuse_late)
    dossier = make_dossier(S.SCHEDULED, contract=contract)
    assert_refused(services.dossier_approve, dossier=dossier, actor=secretary, amount=D("80000.00"), code="late")
    assert envelope_committed(contract.envelopes.get()) == 0
