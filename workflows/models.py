from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from workflows.enums import AuditKind, DossierState, OpinionVerdict


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


class DossierProcess(Process):
    """The viewflow process that says who must act next on a dossier; the dossier is its artifact."""

    class Meta:
        proxy = True
        verbose_name = _("dossier instruction")
        verbose_name_plural = _("dossier instructions")

    @property
    def dossier(self):
        return self.artifact


class OpinionService(models.Model):
    """A service of the Region (or a partner) whose opinion (avis) an officer may ask on a dossier.
    Its members are the users of its group."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="opinion_service")

    class Meta:
        ordering = ["name"]
        verbose_name = _("consulted service")
        verbose_name_plural = _("consulted services")

    def __str__(self):
        return self.name


class Opinion(models.Model):
    """An opinion asked from a service during the review, with its due date and, once given, the
    service's verdict."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="opinions")
    service = models.ForeignKey(OpinionService, on_delete=models.PROTECT, related_name="opinions")
    question = models.TextField(_("question"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    due_on = models.DateField(_("due on"))
    verdict = models.CharField(_("verdict"), max_length=20, choices=OpinionVerdict.choices, blank=True)
    text = models.TextField(_("opinion"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")
        indexes = [models.Index(fields=["service", "given_at"], name="opinion_service_pending")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(given_at__isnull=True, verdict="")
                | models.Q(given_at__isnull=False) & ~models.Q(verdict=""),
                name="opinion_given_with_verdict",
            ),
        ]

    def __str__(self):
        return f"{self.service} — {self.dossier}"

    @property
    def is_given(self) -> bool:
        return self.given_at is not None


class BulkJobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


BULK_ACTIVE_STATUSES = (BulkJobStatus.QUEUED, BulkJobStatus.RUNNING)


class BulkJob(models.Model):
    """One action applied by an officer to up to 500 dossiers, each processed on its own; the results
    say what succeeded and why each refusal happened. One job per officer and scope at a time."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_jobs")
    scope = models.CharField(_("scope"), max_length=200, help_text=_("The territories of the selected dossiers."))
    action = models.CharField(_("action"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    dossier_ids = models.JSONField(_("dossiers"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=BulkJobStatus.choices, default=BulkJobStatus.QUEUED)
    done = models.PositiveIntegerField(_("processed"), default=0)
    results = models.JSONField(_("results"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "scope"],
                condition=models.Q(status__in=BULK_ACTIVE_STATUSES),
                name="one_active_bulk_job_per_owner_and_scope",
            ),
        ]

    def __str__(self):
        return f"{self.action} × {self.total}"

    @property
    def total(self) -> int:
        return len(self.dossier_ids)

    @property
    def succeeded(self) -> int:
        return sum(1 for result in self.results if result["ok"])
