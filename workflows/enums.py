from django.db import models
from django.utils.translation import gettext_lazy as _


class DossierState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INCOMPLETE = "incomplete", _("Incomplete")
    ADMISSIBLE = "admissible", _("Admissible")
    INADMISSIBLE = "inadmissible", _("Inadmissible")
    UNDER_REVIEW = "under_review", _("Under review")
    REVIEWED = "reviewed", _("Reviewed")
    SCHEDULED = "scheduled", _("Scheduled for committee")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOTIFIED = "notified", _("Notified")
    AGREEMENT_SIGNED = "agreement_signed", _("Convention signed")
    IN_PAYMENT = "in_payment", _("In payment")
    PAID = "paid", _("Paid")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LAPSED = "lapsed", _("Lapsed")


S = DossierState
# Dossiers that hold a commitment on their envelope (voted and not released).
COMMITTED_STATES = frozenset({S.APPROVED, S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT, S.PAID, S.CLOSED})
# Dossiers whose grant counts as aid received (de minimis cap).
FUNDED_STATES = COMMITTED_STATES
# States before any payment: the sponsor may still withdraw.
WITHDRAWABLE_STATES = frozenset(
    {
        S.DRAFT,
        S.SUBMITTED,
        S.INCOMPLETE,
        S.ADMISSIBLE,
        S.UNDER_REVIEW,
        S.REVIEWED,
        S.SCHEDULED,
        S.APPROVED,
        S.NOTIFIED,
        S.AGREEMENT_SIGNED,
    }
)
LAPSABLE_STATES = frozenset({S.NOTIFIED, S.AGREEMENT_SIGNED, S.IN_PAYMENT})
FINAL_STATES = frozenset({S.INADMISSIBLE, S.REJECTED, S.CLOSED, S.WITHDRAWN, S.LAPSED})
# What each region-wide role sees beyond its own scope.
COMMITTEE_STATES = frozenset({S.REVIEWED, S.SCHEDULED, S.APPROVED, S.REJECTED}) | COMMITTED_STATES
FINANCE_STATES = COMMITTED_STATES | {S.LAPSED}


class Role(models.TextChoices):
    """The roles of DOMAIN.md; each is a Django group named after its value."""

    SPONSOR = "sponsor", _("Project sponsor")
    OFFICER = "officer", _("Territorial officer")
    COMMITTEE_SECRETARY = "committee_secretary", _("Committee secretary")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    FINANCE = "finance", _("Finance officer")
    ADVISER = "adviser", _("Consulted service (opinions)")
    REPRESENTATIVE = "territory_representative", _("Territory's elected representative")
    ADMINISTRATOR = "administrator", _("Administrator")


class OpinionVerdict(models.TextChoices):
    FAVOURABLE = "favourable", _("Favourable")
    RESERVED = "reserved", _("Favourable with reservations")
    UNFAVOURABLE = "unfavourable", _("Unfavourable")


class AuditKind(models.TextChoices):
    TRANSITION = "transition", _("Transition")
    REFUSAL = "refusal", _("Refused attempt")
