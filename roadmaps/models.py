"""Each contract's roadmap (feuille de route): the structuring operations the territory plans, followed
together by the territory's elected representatives and the Region's officers.

The operations are the roadmap as it stands; `RoadmapVersion` keeps each state of it: every change
(a follow-up meeting's decisions, an edit) writes a new version with the whole list of operations and
what changed, and a version is never modified afterwards, so every earlier one stays readable.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.models.dossier import MONEY
from roadmaps.enums import DecisionKind, OperationStatus, Priority


class Roadmap(models.Model):
    contract = models.OneToOneField(
        "dossiers.Contract", on_delete=models.PROTECT, related_name="roadmap", verbose_name=_("contract")
    )
    version = models.PositiveIntegerField(_("current version"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("roadmap")
        verbose_name_plural = _("roadmaps")

    def __str__(self):
        return _("Roadmap of %(contract)s") % {"contract": self.contract}


class RoadmapOperation(models.Model):
    roadmap = models.ForeignKey(Roadmap, on_delete=models.CASCADE, related_name="operations")
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    sponsor = models.ForeignKey(
        "dossiers.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sponsor"),
    )
    sponsor_name = models.CharField(_("sponsor (if not registered)"), max_length=200, blank=True)
    theme = models.ForeignKey("dossiers.Theme", on_delete=models.PROTECT, related_name="+", verbose_name=_("theme"))
    axis = models.CharField(_("axis of the contract"), max_length=200, blank=True)
    estimated_cost = models.DecimalField(_("estimated cost"), **MONEY, validators=[MinValueValidator(0)])
    expected_support = models.DecimalField(_("expected regional support"), **MONEY, validators=[MinValueValidator(0)])
    expected_year = models.PositiveSmallIntegerField(_("expected year"))
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(
        _("status"), max_length=20, choices=OperationStatus.choices, default=OperationStatus.IDENTIFIED
    )
    dossier = models.OneToOneField(
        "dossiers.Dossier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roadmap_operation",
        verbose_name=_("dossier that realises it"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["roadmap", "number"]
        verbose_name = _("roadmap operation")
        verbose_name_plural = _("roadmap operations")
        constraints = [
            models.UniqueConstraint(fields=["roadmap", "number"], name="one_operation_number"),
            models.CheckConstraint(
                condition=models.Q(estimated_cost__gte=0) & models.Q(expected_support__gte=0),
                name="operation_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["roadmap", "status"], name="operation_roadmap_status")]

    def __str__(self):
        return f"#{self.number} {self.title}"


class FollowUpMeeting(models.Model):
    """A comité de suivi of a contract: who took part, the agenda, the minutes and the decisions."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("date"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="follow_up_meetings", blank=True, verbose_name=_("participants")
    )
    partners = models.TextField(_("other participants (partners)"), blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("follow-up meeting")
        verbose_name_plural = _("follow-up meetings")

    def __str__(self):
        return _("Follow-up meeting of %(date)s") % {"date": self.held_on}


class RoadmapVersion(models.Model):
    """The roadmap as it stood after a change: never modified once written."""

    roadmap = models.ForeignKey(Roadmap, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    meeting = models.ForeignKey(
        FollowUpMeeting, on_delete=models.PROTECT, null=True, blank=True, related_name="versions"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    # Every operation as it stood (number, title, sponsor, theme, axis, amounts, year, priority, status,
    # dossier reference), and the changes from the version before.
    operations = models.JSONField(_("operations"), default=list)
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        ordering = ["roadmap", "-number"]
        verbose_name = _("roadmap version")
        verbose_name_plural = _("roadmap versions")
        constraints = [models.UniqueConstraint(fields=["roadmap", "number"], name="one_roadmap_version_number")]

    def __str__(self):
        return f"{self.roadmap} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a roadmap version is never modified")
        super().save(*args, **kwargs)


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(FollowUpMeeting, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=20, choices=DecisionKind.choices)
    operation = models.ForeignKey(
        RoadmapOperation, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("operation")
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(RoadmapVersion, on_delete=models.PROTECT, related_name="decisions")

    class Meta:
        ordering = ["meeting", "id"]
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")

    def __str__(self):
        return f"{self.get_kind_display()} — {self.operation}"
