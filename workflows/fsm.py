"""The dossier lifecycle as a finite-state machine (django-fsm-2).

The transition methods only move the state and stamp the data that belongs to the step. Who may fire
them, the guards, the audit entry and the side effects live in `workflows.services`, the only code that
calls them: the state field is protected, so nothing else can write it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflows.enums import LAPSABLE_STATES, WITHDRAWABLE_STATES
from workflows.enums import DossierState as S


class DossierLifecycle(ConcurrentTransitionMixin, models.Model):
    state = FSMField(_("state"), max_length=20, choices=S.choices, default=S.DRAFT, protected=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)

    class Meta:
        abstract = True

    # Sponsor
    @transition(field=state, source=S.DRAFT, target=S.SUBMITTED)
    def submit(self, *, at, rule_set):
        self.submitted_at = at
        self.rule_set = rule_set

    @transition(field=state, source=S.INCOMPLETE, target=S.SUBMITTED)
    def resubmit(self, *, at):
        self.resubmitted_at = at
        self.pieces_due_on = None

    @transition(field=state, source=list(WITHDRAWABLE_STATES), target=S.WITHDRAWN)
    def withdraw(self, *, at):
        self.closed_at = at

    # Territorial officer: completeness and instruction
    @transition(field=state, source=S.SUBMITTED, target=S.INCOMPLETE)
    def declare_incomplete(self, *, at, pieces_due_on):
        self.pieces_due_on = pieces_due_on

    @transition(field=state, source=S.SUBMITTED, target=S.ADMISSIBLE)
    def declare_admissible(self, *, at):
        self.completeness_decided_on = at.date()

    @transition(field=state, source=[S.SUBMITTED, S.ADMISSIBLE], target=S.INADMISSIBLE)
    def declare_inadmissible(self, *, at):
        self.closed_at = at

    @transition(field=state, source=S.ADMISSIBLE, target=S.UNDER_REVIEW)
    def start_review(self, *, at):
        pass

    @transition(field=state, source=S.UNDER_REVIEW, target=S.REVIEWED)
    def complete_review(self, *, at, eligible_base, proposed_amount, convention_decided):
        self.eligible_base = eligible_base
        self.proposed_amount = proposed_amount
        self.convention_decided = convention_decided

    # Committee
    @transition(field=state, source=S.REVIEWED, target=S.SCHEDULED)
    def schedule(self, *, at, proposal=None):
        """`proposal`: (amount, eligible base) that replaces the officer's, e.g. from a scenario."""
        if proposal is not None:
            self.proposed_amount, self.eligible_base = proposal

    @transition(field=state, source=S.SCHEDULED, target=S.REVIEWED)
    def unschedule(self, *, at):
        pass

    @transition(field=state, source=S.SCHEDULED, target=S.REVIEWED)
    def defer(self, *, at):
        pass

    @transition(field=state, source=S.SCHEDULED, target=S.APPROVED)
    def approve(self, *, at, amount, envelope):
        self.granted_amount = amount
        self.envelope = envelope
        self.decided_at = at

    @transition(field=state, source=S.SCHEDULED, target=S.REJECTED)
    def reject(self, *, at):
        self.decided_at = at
        self.closed_at = at

    # After the decision
    @transition(field=state, source=S.APPROVED, target=S.NOTIFIED)
    def notify(self, *, at):
        self.notified_on = at.date()

    @transition(field=state, source=S.NOTIFIED, target=S.AGREEMENT_SIGNED)
    def sign_agreement(self, *, at, signed_on):
        self.agreement_signed_on = signed_on

    @transition(field=state, source=[S.NOTIFIED, S.AGREEMENT_SIGNED], target=S.IN_PAYMENT)
    def start_payment(self, *, at):
        pass

    @transition(field=state, source=S.IN_PAYMENT, target=S.PAID)
    def mark_paid(self, *, at, final_amount):
        self.final_amount = final_amount

    @transition(field=state, source=S.PAID, target=S.CLOSED)
    def close(self, *, at):
        self.closed_at = at

    @transition(field=state, source=list(LAPSABLE_STATES), target=S.LAPSED)
    def lapse(self, *, at):
        self.closed_at = at
