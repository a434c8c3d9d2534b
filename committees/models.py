"""Commission permanente sessions, their agendas and the deliberation numbers of their decisions.

A dossier is put on a session's agenda by `dossier_schedule` (one open agenda item per dossier); the
committee's decision on it (`dossier_approve`, `dossier_reject`, `dossier_defer`) records the result on
that item and, for an approval or a rejection, gives it a deliberation number that is unique and
sequential per body and year (`CP-2026-06-0123`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 14, "decimal_places": 2}


class Body(models.TextChoices):
    PERMANENT_COMMITTEE = "CP", _("Commission permanente")
    PLENARY = "AP", _("Plenary assembly")


class SessionStatus(models.TextChoices):
    PREPARATION = "preparation", _("In preparation")
    CONVENED = "convened", _("Convened")
    HELD = "held", _("Held")
    CLOSED = "closed", pgettext_lazy("committee session", "Closed")


# A session moves through these statuses in this order, never back.
SESSION_STATUS_ORDER = (SessionStatus.PREPARATION, SessionStatus.CONVENED, SessionStatus.HELD, SessionStatus.CLOSED)
# A dossier may be put on (or taken off) the agenda of a session in these statuses.
AGENDA_OPEN_STATUSES = (SessionStatus.PREPARATION, SessionStatus.CONVENED)


class ItemResult(models.TextChoices):
    PENDING = "", _("Not decided yet")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DEFERRED = "deferred", _("Deferred")


class CommitteeSession(models.Model):
    body = models.CharField(_("body"), max_length=2, choices=Body.choices, default=Body.PERMANENT_COMMITTEE)
    sits_on = models.DateField(_("date of the session"))
    place = models.CharField(_("place"), max_length=200, default="Hôtel de Région, Bordeaux")
    status = models.CharField(
        _("status"), max_length=12, choices=SessionStatus.choices, default=SessionStatus.PREPARATION
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="committee_sessions", verbose_name=_("members")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-sits_on"]
        verbose_name = _("committee session")
        verbose_name_plural = _("committee sessions")
        indexes = [models.Index(fields=["status", "sits_on"], name="session_status_date")]

    def __str__(self):
        from django.utils.formats import date_format

        return f"{self.get_body_display()} — {date_format(self.sits_on, 'DATE_FORMAT')}"

    @property
    def is_open_for_agenda(self) -> bool:
        return self.status in AGENDA_OPEN_STATUSES

    @property
    def next_status(self) -> SessionStatus | None:
        """The status the session moves on to, None once closed."""
        index = SESSION_STATUS_ORDER.index(self.status)
        return SESSION_STATUS_ORDER[index + 1] if index + 1 < len(SESSION_STATUS_ORDER) else None


class AgendaItem(models.Model):
    session = models.ForeignKey(CommitteeSession, on_delete=models.PROTECT, related_name="items")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveIntegerField(_("position"), default=0)
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)
    # The officer's proposal as it stood when the item was added (the report shows it).
    proposed_amount = models.DecimalField(_("proposed amount"), **MONEY, null=True, blank=True)
    eligible_base = models.DecimalField(_("eligible base"), **MONEY, null=True, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=ItemResult.choices, blank=True, default="")
    voted_amount = models.DecimalField(_("amount voted"), **MONEY, null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    deliberation_number = models.CharField(
        _("deliberation number"), max_length=20, null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        ordering = ["session", "position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            # A dossier waits on at most one agenda at a time.
            models.UniqueConstraint(
                fields=["dossier"], condition=models.Q(result=""), name="one_pending_item_per_dossier"
            ),
            models.UniqueConstraint(fields=["session", "dossier"], name="dossier_once_per_session"),
        ]
        indexes = [models.Index(fields=["dossier", "-decided_at"], name="item_dossier_decided")]

    def __str__(self):
        return f"{self.session} — {self.dossier_id}"


class DeliberationSequence(models.Model):
    """The last deliberation number handed out per body and year; allocated under a row lock."""

    body = models.CharField(max_length=2, choices=Body.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["body", "year"], name="one_sequence_per_body_year")]

    def __str__(self):
        return f"{self.body} {self.year}: {self.last_number}"
