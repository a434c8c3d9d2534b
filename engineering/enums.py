from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.enums import COMMITTED_STATES, DossierState


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    LATE = "late", _("Late")
    UPCOMING = "upcoming", _("Upcoming")


# The post is funded once the decision is notified: from then on, its yearly activity reports are due.
REPORTING_STATES = COMMITTED_STATES - {DossierState.APPROVED}
