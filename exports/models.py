from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents.models import documents_storage
from exports.enums import EXPORT_ACTIVE_STATUSES, ExportFormat, ExportStatus


class ExportJob(models.Model):
    """A large export of the staff dossier list, written in the background with its progress saved as it
    goes. The file is kept in the documents storage (private: downloaded through the application, by its
    owner only). One export per user runs at a time."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs")
    format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), storage=documents_storage, max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [
            models.UniqueConstraint(
                fields=["owner"],
                condition=models.Q(status__in=EXPORT_ACTIVE_STATUSES),
                name="one_active_export_per_owner",
            ),
        ]

    def __str__(self):
        return f"{self.format} × {self.rows_total}"

    @property
    def is_running(self) -> bool:
        return self.status in EXPORT_ACTIVE_STATUSES

    @property
    def download_name(self) -> str:
        return f"dossiers-{timezone.localtime(self.created_at):%Y-%m-%d-%H%M}.{self.format}"
