"""Territorial engineering: posts of chargés de mission in the territories' lead bodies, funded by the
Region through a dossier of kind `engineering` (same lifecycle, votes and payments as a project)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 2}


class EngineeringPost(models.Model):
    """The post a dossier of kind engineering funds. The amounts are computed by
    `engineering.services` from the annual cost, the period and the rate, never typed."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="engineering_post", verbose_name=_("dossier")
    )
    post_title = models.CharField(_("post"), max_length=200)
    holder_name = models.CharField(
        _("holder"), max_length=200, blank=True, help_text=_("Empty while the recruitment is pending.")
    )
    period_start = models.DateField(_("start of the period"))
    period_end = models.DateField(_("end of the period"))
    months = models.PositiveSmallIntegerField(_("months"), editable=False)
    annual_cost = models.DecimalField(_("annual cost"), **MONEY)
    regional_rate = models.DecimalField(_("regional rate"), max_digits=5, decimal_places=4)
    regional_amount = models.DecimalField(_("regional amount"), **MONEY, editable=False)

    class Meta:
        verbose_name = _("engineering post")
        verbose_name_plural = _("engineering posts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")), name="engineering_post_period"
            ),
            models.CheckConstraint(condition=models.Q(annual_cost__gt=0), name="engineering_post_cost_positive"),
            models.CheckConstraint(
                condition=models.Q(regional_rate__gt=0, regional_rate__lte=1), name="engineering_post_rate"
            ),
            models.CheckConstraint(condition=models.Q(regional_amount__gt=0), name="engineering_post_amount_positive"),
        ]

    def __str__(self):
        return self.post_title


def report_upload_to(report: "ActivityReport", filename: str) -> str:
    # The stored name never comes from the user: only the checked extension does.
    return f"engineering/{report.post_id}/{report.year}-{report.sha256[:16]}.{report.extension}"


class ActivityReport(models.Model):
    """The yearly activity report of a funded post, one per calendar year of its period (a PDF)."""

    post = models.ForeignKey(
        EngineeringPost, on_delete=models.CASCADE, related_name="activity_reports", verbose_name=_("post")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    file = models.FileField(_("file"), upload_to=report_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    extension = models.CharField(_("extension"), max_length=10)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["year"]
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")
        constraints = [models.UniqueConstraint(fields=["post", "year"], name="one_activity_report_per_year")]

    def __str__(self):
        return f"{self.post} — {self.year}"
