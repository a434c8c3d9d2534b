from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicationStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    REFUSED = "refused", _("Refused")
