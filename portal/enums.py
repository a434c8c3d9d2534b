from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.enums import DossierState as S


class MembershipRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class Step(models.TextChoices):
    """The steps of the dossier form, in order; the value is the URL's slug."""

    PROJECT = "projet", _("The project")
    PLACE = "lieu", _("Where")
    DATES = "calendrier", _("When")
    FINANCING = "financement", _("Financing plan")
    PIECES = "pieces", _("Pieces")
    REVIEW = "recapitulatif", _("Review and submit")


# Which step each refusal code of `workflows.services.submission_problems` concerns; codes missing here
# (permission, state, concurrency) concern the dossier as a whole.
PROBLEM_STEPS = {
    "no_expenses": Step.FINANCING,
    "unbalanced_plan": Step.FINANCING,
    "requested_mismatch": Step.FINANCING,
    "requested_above_eligible": Step.FINANCING,
    "self_financing": Step.FINANCING,
    "de_minimis": Step.FINANCING,
    "missing_pieces": Step.PIECES,
    "work_started": Step.DATES,
    "no_commune": Step.PLACE,
    "commune_outside_territory": Step.PLACE,
    "contract_closed": Step.PLACE,
}

# What each state means for the sponsor, in plain words.
STATE_EXPLANATIONS = {
    S.DRAFT: _("Not sent yet: complete every step, then submit it."),
    S.SUBMITTED: _("Received by the Region: the territorial officer is checking that it is complete."),
    S.INCOMPLETE: _("Something is missing: read the officer's request, complete the dossier and submit it again."),
    S.ADMISSIBLE: _("Complete: it will be examined by the territorial officer."),
    S.INADMISSIBLE: _("Not admissible: the Region cannot fund it under this contract."),
    S.UNDER_REVIEW: _("Being examined by the territorial officer."),
    S.REVIEWED: _("Examined: it awaits a session of the Commission permanente."),
    S.SCHEDULED: _("On the agenda of a session of the Commission permanente."),
    S.APPROVED: _("Funding granted by the Commission permanente; the decision letter will follow."),
    S.REJECTED: _("Funding refused by the Commission permanente."),
    S.NOTIFIED: _("The decision has been notified to you: the work can start."),
    S.AGREEMENT_SIGNED: _("The convention is signed: you may request payments."),
    S.IN_PAYMENT: _("Payments are under way."),
    S.PAID: _("The grant has been paid in full."),
    S.CLOSED: _("Closed."),
    S.WITHDRAWN: _("You withdrew this dossier."),
    S.LAPSED: _("The grant has lapsed: the deadlines passed."),
}
