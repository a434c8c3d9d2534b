from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.enums import MembershipRequestStatus


class MembershipRequest(models.Model):
    """A user asks to join an organisation already registered (same SIRET or RNA number); a member
    accepts (which makes the user a member) or refuses it."""

    organisation = models.ForeignKey(
        "dossiers.Organisation",
        on_delete=models.CASCADE,
        related_name="membership_requests",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests", verbose_name=_("user")
    )
    message = models.TextField(_("message to the members"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipRequestStatus.choices, default=MembershipRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status="pending"),
                name="one_pending_membership_request",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.organisation} ({self.get_status_display()})"
