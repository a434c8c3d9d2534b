from django.db import models
from django.utils.translation import gettext_lazy as _


class OperationStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    UNDER_CONSTRUCTION = "under_construction", _("Under construction")
    FILED = "filed", _("Dossier filed")
    FUNDED = "funded", _("Funded")
    COMPLETED = "completed", _("Completed")
    ABANDONED = "abandoned", _("Abandoned")


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class DecisionKind(models.TextChoices):
    ADD = "add", _("Add an operation")
    MODIFY_ESTIMATE = "modify_estimate", _("Modify the estimate")
    POSTPONE = "postpone", _("Postpone")
    ABANDON = "abandon", _("Abandon")


# The dossier transition → the status its operation takes (DOMAIN: the roadmap follows the dossiers).
STATUS_OF_TRANSITION = {
    "submit": OperationStatus.FILED,
    "approve": OperationStatus.FUNDED,
    "mark_paid": OperationStatus.COMPLETED,
    "withdraw": OperationStatus.ABANDONED,
    "lapse": OperationStatus.ABANDONED,
}
