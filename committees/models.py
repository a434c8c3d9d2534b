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
    quorum = models.PositiveSmallIntegerField(
        _("quorum"),
        null=True,
        blank=True,
        help_text=_(
            "Members present (and not withdrawn from the item) needed before a result is recorded; "
            "empty: more than half of the members."
        ),
    )
    # Set while `session_close` applies the results, so that a second closing waits its turn.
    closing_since = models.DateTimeField(_("closing since"), null=True, blank=True, editable=False)
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
    def quorum_required(self) -> int:
        """The number of members who must be present (and not withdrawn) for a result to be recorded:
        the session's quorum, else more than half of its members (at least one)."""
        return self.quorum_for(self.members.count())

    def quorum_for(self, member_count: int) -> int:
        return self.quorum if self.quorum is not None else member_count // 2 + 1

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
    # The committee's vote, recorded during the session; `session_close` applies it to the dossier
    # (which sets `result`, the amount voted and the deliberation number above).
    outcome = models.CharField(
        _("outcome of the vote"), max_length=10, choices=ItemResult.choices, blank=True, default="", editable=False
    )
    amended_amount = models.DecimalField(_("amount amended by the committee"), **MONEY, null=True, blank=True)
    outcome_reason = models.TextField(_("reason (rejection or deferral)"), blank=True, editable=False)
    outcome_recorded_at = models.DateTimeField(_("vote recorded at"), null=True, blank=True, editable=False)
    # The envelope an approval commits (chosen by the scenario the item came from); none: the
    # contract's envelope of the year.
    envelope = models.ForeignKey(
        "dossiers.Envelope", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    voted_en_bloc = models.BooleanField(_("voted en bloc"), default=False, editable=False)
    # Why applying the outcome to the dossier was refused at the closing (e.g. the envelope is full).
    apply_error = models.TextField(_("refused at the closing"), blank=True, editable=False)

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

    @property
    def amount_put_to_vote(self):
        """The amount an approval commits: the committee's amendment, else the officer's proposal."""
        return self.amended_amount if self.amended_amount is not None else self.proposed_amount


class DeliberationSequence(models.Model):
    """The last deliberation number handed out per body and year; allocated under a row lock."""

    body = models.CharField(max_length=2, choices=Body.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["body", "year"], name="one_sequence_per_body_year")]

    def __str__(self):
        return f"{self.body} {self.year}: {self.last_number}"


class MemberInterest(models.Model):
    """An interest a member declared in an organisation or a territory: the member withdraws (déport)
    from every item whose sponsor or territory it is, and is neither counted nor allowed to vote on it."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_interests", verbose_name=_("member")
    )
    organisation = models.ForeignKey(
        "dossiers.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    territory = models.ForeignKey(
        "dossiers.Territory",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("territory"),
    )
    description = models.CharField(
        _("nature of the interest"), max_length=200, blank=True, help_text=_("E.g. chair of the association.")
    )
    declared_on = models.DateField(_("declared on"), default=timezone.localdate)

    class Meta:
        ordering = ["member", "declared_on", "pk"]
        verbose_name = _("declared interest")
        verbose_name_plural = _("declared interests")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False, territory__isnull=True)
                | models.Q(organisation__isnull=True, territory__isnull=False),
                name="interest_in_organisation_or_territory",
                violation_error_message=_("An interest is declared in an organisation or in a territory, not both."),
            ),
            models.UniqueConstraint(
                fields=["member", "organisation"],
                condition=models.Q(organisation__isnull=False),
                name="one_interest_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["member", "territory"],
                condition=models.Q(territory__isnull=False),
                name="one_interest_per_territory",
            ),
        ]

    def __str__(self):
        return f"{self.member} — {self.organisation or self.territory}"


class Attendance(models.Model):
    """Whether a member of the session was present, as the secretariat recorded it."""

    session = models.ForeignKey(CommitteeSession, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_present = models.BooleanField(_("present"), default=False)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="one_attendance_per_member")]

    def __str__(self):
        return f"{self.session} — {self.member}"


class VoteChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTENTION = "abstention", _("Abstention")
    NOT_TAKING_PART = "not_taking_part", _("Not taking part in the vote")
    WITHDRAWN = "withdrawn", _("Withdrawn (déport)")


# The choices a member makes; `WITHDRAWN` is recorded by the application from the declared interests.
CAST_CHOICES = (VoteChoice.FOR, VoteChoice.AGAINST, VoteChoice.ABSTENTION, VoteChoice.NOT_TAKING_PART)


class Vote(models.Model):
    """A present member's vote on an agenda item (one per member and item), or the record that the
    member withdrew from it."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_votes")
    choice = models.CharField(_("vote"), max_length=16, choices=VoteChoice.choices)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["item", "pk"]
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["item", "member"], name="one_vote_per_member_and_item")]
        indexes = [models.Index(fields=["member", "item"], name="vote_member_item")]

    def __str__(self):
        return f"{self.item} — {self.member}: {self.choice}"


class Scenario(models.Model):
    """A what-if programming of an envelope ahead of a session ("simulation"): reviewed dossiers with
    the amounts and rates one would propose. A scenario never commits money; it can be turned into the
    agenda of a session, with its amounts as the proposals."""

    envelope = models.ForeignKey(
        "dossiers.Envelope", on_delete=models.CASCADE, related_name="scenarios", verbose_name=_("envelope")
    )
    name = models.CharField(_("name"), max_length=120)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    session = models.ForeignKey(
        CommitteeSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("turned into the agenda of"),
        editable=False,
    )
    turned_at = models.DateTimeField(_("turned into an agenda at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self):
        return self.name


class ScenarioLine(models.Model):
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="lines")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="+")
    eligible_base = models.DecimalField(_("eligible base"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["scenario", "pk"]
        verbose_name = _("scenario line")
        verbose_name_plural = _("scenario lines")
        constraints = [
            models.UniqueConstraint(fields=["scenario", "dossier"], name="dossier_once_per_scenario"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="scenario_amount_positive"),
            models.CheckConstraint(condition=models.Q(eligible_base__gt=0), name="scenario_base_positive"),
        ]

    def __str__(self):
        return f"{self.scenario} — {self.dossier_id}"
