"""Territorial diagnostics: the indicators of the five dimensions, each territory's values per vintage,
the versioned classification methods and the classifications they computed, and the administrators'
overrides of the proposed contract type.

Methods and classifications are never edited: a change of method publishes a new version
(`diagnostics.services.method_publish`), and each classification keeps pointing to the version that
computed it, with its reasons (each dimension's score, weight and contribution) frozen in `reasons`."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from diagnostics.enums import RELATIVE_CONTRACT_TYPES, Dimension, Direction, VulnerabilityClass
from dossiers.enums import ContractType

VALUE = {"max_digits": 16, "decimal_places": 4}
WEIGHT = {"max_digits": 6, "decimal_places": 3, "validators": [MinValueValidator(0), MaxValueValidator(100)]}
SCORE = {"max_digits": 8, "decimal_places": 4}
YEAR = [MinValueValidator(1990), MaxValueValidator(2100)]


class Indicator(models.Model):
    """An indicator of one dimension (reference data, seeded by migration 0002)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=200)
    dimension = models.CharField(_("dimension"), max_length=30, choices=Dimension.choices)
    unit = models.CharField(_("unit"), max_length=40)
    direction = models.CharField(_("direction"), max_length=30, choices=Direction.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.label


class Diagnostic(models.Model):
    """A territory's diagnostic for one vintage (e.g. 2018, 2022)."""

    territory = models.ForeignKey(
        "dossiers.Territory", on_delete=models.PROTECT, related_name="diagnostics", verbose_name=_("territory")
    )
    vintage = models.PositiveSmallIntegerField(_("vintage"), validators=YEAR)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-vintage", "territory__name"]
        verbose_name = _("diagnostic")
        verbose_name_plural = _("diagnostics")
        constraints = [models.UniqueConstraint(fields=["territory", "vintage"], name="one_diagnostic_per_vintage")]

    def __str__(self):
        return f"{self.territory} — {self.vintage}"


class IndicatorValue(models.Model):
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    value = models.DecimalField(_("value"), **VALUE)
    source = models.CharField(_("source"), max_length=300)
    year = models.PositiveSmallIntegerField(_("year of the data"), validators=YEAR)

    class Meta:
        ordering = ["indicator__position", "indicator__code"]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [models.UniqueConstraint(fields=["diagnostic", "indicator"], name="one_value_per_indicator")]

    def __str__(self):
        return f"{self.indicator_id}: {self.value}"


class PublishedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(_("This record cannot be changed once written."))


class ClassificationMethod(models.Model):
    """A version of the classification method. Versions are never edited: a change publishes the next
    version, and the classifications already computed keep pointing to theirs.

    Score of a diagnostic (see `diagnostics.scoring`): each indicator's value is normalised as a z-score
    against the values of the same vintage in the region, signed so that a positive value means more
    vulnerable; the scores of a dimension's indicators are averaged; the score is the weighted mean of
    the dimensions' scores. score ≥ strong threshold → strongly vulnerable; ≥ relative threshold →
    relatively vulnerable; below → not vulnerable."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    note = models.TextField(_("reason for the change"), blank=True)

    weight_economic_dynamism = models.DecimalField(_("weight of economic dynamism"), **WEIGHT)
    weight_attractiveness = models.DecimalField(_("weight of attractiveness"), **WEIGHT)
    weight_social_cohesion = models.DecimalField(_("weight of social cohesion"), **WEIGHT)
    weight_education = models.DecimalField(_("weight of the education level"), **WEIGHT)
    weight_everyday_services = models.DecimalField(_("weight of the access to everyday services"), **WEIGHT)
    strong_threshold = models.DecimalField(
        _("score from which a territory is strongly vulnerable"), max_digits=6, decimal_places=3
    )
    relative_threshold = models.DecimalField(
        _("score from which a territory is relatively vulnerable"), max_digits=6, decimal_places=3
    )
    relative_contract_type = models.CharField(
        _("contract proposed to relatively vulnerable territories"), max_length=30, choices=RELATIVE_CONTRACT_TYPES
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("classification method")
        verbose_name_plural = _("classification methods")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(strong_threshold__gt=models.F("relative_threshold")), name="strong_above_relative"
            ),
        ]

    def __str__(self):
        return _("Classification method, version %(version)s") % {"version": self.version}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A published method cannot be changed; publish a new version instead."))
        super().save(*args, **kwargs)

    def clean(self):
        if not any(self.weight(dimension) for dimension in Dimension):
            raise ValidationError(_("At least one dimension must have a weight above zero."))
        if (
            self.strong_threshold is not None
            and self.relative_threshold is not None
            and self.strong_threshold <= self.relative_threshold
        ):
            raise ValidationError({"strong_threshold": _("The strong threshold must be above the relative threshold.")})

    def weight(self, dimension: str):
        return getattr(self, f"weight_{dimension}")


METHOD_FIELDS = (
    *(f"weight_{dimension}" for dimension in Dimension.values),
    "strong_threshold",
    "relative_threshold",
    "relative_contract_type",
)


class Classification(models.Model):
    """What a method version computed for a diagnostic; never edited. The latest one of a diagnostic is
    its current proposal."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="classifications")
    method = models.ForeignKey(
        ClassificationMethod, on_delete=models.PROTECT, related_name="classifications", verbose_name=_("method")
    )
    score = models.DecimalField(_("score"), **SCORE)
    vulnerability_class = models.CharField(_("vulnerability"), max_length=20, choices=VulnerabilityClass.choices)
    proposed_contract_type = models.CharField(_("proposed contract"), max_length=30, choices=ContractType.choices)
    reasons = models.JSONField(_("reasons"), default=list)
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-pk"]
        verbose_name = _("classification")
        verbose_name_plural = _("classifications")

    def __str__(self):
        return f"{self.diagnostic_id} — v{self.method_id}: {self.vulnerability_class}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A classification cannot be changed; classify again instead."))
        super().save(*args, **kwargs)


class ProposalOverride(models.Model):
    """An administrator's decision to propose another contract type than the computed one (e.g. the
    attractiveness and solidarity contract of the former regional capitals, which no score gives), with
    its mandatory comment. Never edited; the latest one of a diagnostic is in force, and the computed
    proposal stays shown beside it."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="overrides")
    classification = models.ForeignKey(
        Classification, on_delete=models.PROTECT, related_name="overrides", verbose_name=_("overridden proposal")
    )
    contract_type = models.CharField(_("contract type"), max_length=30, choices=ContractType.choices)
    comment = models.TextField(_("comment"))
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("override of the proposal")
        verbose_name_plural = _("overrides of the proposal")
        constraints = [models.CheckConstraint(condition=~models.Q(comment=""), name="override_has_comment")]

    def __str__(self):
        return f"{self.diagnostic_id}: {self.contract_type}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("An override cannot be changed; record a new one instead."))
        super().save(*args, **kwargs)
