from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    DOSSIER_STATE_CHANGED = "dossier.state_changed", _("A dossier changed state")
    MESSAGE_POSTED = "message.posted", _("A message was posted in a dossier's thread")
    DOCUMENT_ISSUED = "document.issued", _("A document was issued")
    PAYMENT_UPDATED = "payment.updated", _("A payment request was filed or changed state")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")
