from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

RATE = {"max_digits": 5, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(1)]}
MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


class RuleSetQuerySet(models.QuerySet):
    def current(self) -> "RuleSet":
        return self.order_by("-version").first()

    def update(self, **kwargs):
        raise ValidationError(_("A published rule set cannot be changed; publish a new version instead."))


class RuleSet(models.Model):
    """A version of the Region's rules. Versions are never edited: a change publishes a new version
    (`dossiers.services.ruleset_publish`), and each dossier keeps the version in force when it was
    submitted. Legal sources are in DOMAIN.md; version 1 carries their default values."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False
    )
    note = models.TextField(_("reason for the change"), blank=True)

    self_financing_min_rate = models.DecimalField(
        _("minimum self-financing of public-law owners (CGCT L1111-10)"), **RATE
    )
    convention_threshold = models.DecimalField(
        _("grant above which private-law beneficiaries sign a convention (loi 2000-321 art. 10)"), **MONEY
    )
    de_minimis_cap = models.DecimalField(_("de minimis cap per undertaking (EU 2023/2831)"), **MONEY)
    de_minimis_years = models.PositiveSmallIntegerField(_("de minimis rolling period (years)"))
    advance_max_rate = models.DecimalField(_("maximum advance (share of the grant)"), **RATE)
    interim_max_rate = models.DecimalField(_("maximum of advance plus instalments (share of the grant)"), **RATE)
    start_delay_months = models.PositiveSmallIntegerField(_("months to start the project after notification"))
    completion_delay_months = models.PositiveSmallIntegerField(
        _("months to complete the project (balance requested) after notification")
    )
    extension_months = models.PositiveSmallIntegerField(_("length of the single extension (months)"))
    completeness_delay_months = models.PositiveSmallIntegerField(
        _("months to declare a submitted dossier complete or incomplete")
    )
    first_reminder_days = models.PositiveSmallIntegerField(_("first reminder of a deadline (days before)"), default=60)
    second_reminder_days = models.PositiveSmallIntegerField(
        _("second reminder of a deadline (days before)"), default=15
    )

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(advance_max_rate__lte=models.F("interim_max_rate")),
                name="advance_below_interim",
            ),
        ]

    def __str__(self):
        return _("Rules, version %(version)s") % {"version": self.version}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A published rule set cannot be changed; publish a new version instead."))
        super().save(*args, **kwargs)
