from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.enums import AuditKind, DossierState


class AppendOnlyError(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only.")

    def bulk_create(self, objs, *args, update_conflicts=False, **kwargs):
        if update_conflicts:
            raise AppendOnlyError("Audit events are append-only.")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One transition of a dossier, or one refused attempt at one. Append-only: the application
    refuses updates and deletes, and on PostgreSQL a trigger makes the database refuse them too
    (migration 0002)."""

    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=AuditKind.choices)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="audit_events", verbose_name=_("dossier")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's name"), max_length=200, help_text=_("As it was at the time."))
    transition = models.CharField(_("transition"), max_length=40)
    from_state = models.CharField(_("from state"), max_length=20, choices=DossierState.choices)
    to_state = models.CharField(_("to state"), max_length=20, choices=DossierState.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    reason_code = models.CharField(_("reason codes"), max_length=200, blank=True)
    reason = models.TextField(_("reason for the refusal"), blank=True)
    ip_address = models.GenericIPAddressField(_("client IP address"), null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["dossier", "created_at"], name="audit_dossier_time")]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind=AuditKind.TRANSITION, reason_code="") & ~models.Q(to_state=""))
                | models.Q(kind=AuditKind.REFUSAL, to_state="") & ~models.Q(reason_code=""),
                name="audit_transition_or_refusal",
            ),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.transition} ({self.get_kind_display()})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only.")
        # Always an INSERT: an instance carrying an existing primary key fails instead of overwriting.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only.")

    @property
    def transition_label(self):
        from workflows.lifecycle import TRANSITIONS

        spec = TRANSITIONS.get(self.transition)
        return spec.label if spec else self.transition
