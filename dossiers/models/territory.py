from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from dossiers.enums import ContractStatus, ContractType, Generation


class Territory(models.Model):
    """A group of EPCIs under one lead body (Pays, PETR, syndicat mixte), party to a contract.

    Officers are assigned to a territory by joining its group, which holds the object permission
    `instruct_territory` on it (django-guardian, direct foreign-key tables).
    """

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_is_demo = models.BooleanField(
        _("demonstration name"),
        default=False,
        help_text=_("The name was made up for the demonstration data."),
    )
    department = models.ForeignKey(
        "dossiers.Department",
        on_delete=models.PROTECT,
        related_name="territories",
        verbose_name=_("department"),
    )
    lead_body = models.CharField(_("lead body"), max_length=200)
    officers_group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="territory", verbose_name=_("officers' group")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        permissions = [
            ("instruct_territory", _("Can instruct the dossiers of the territory")),
            ("follow_territory", _("Follows the territory's contract as one of its elected representatives")),
        ]

    def __str__(self):
        return self.name


class TerritoryUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Territory, on_delete=models.CASCADE)


class TerritoryGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Territory, on_delete=models.CASCADE)


class Contract(models.Model):
    territory = models.ForeignKey(Territory, on_delete=models.PROTECT, related_name="contracts")
    name = models.CharField(_("name"), max_length=200)
    contract_type = models.CharField(_("type"), max_length=30, choices=ContractType.choices)
    generation = models.CharField(_("generation"), max_length=9, choices=Generation.choices)
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"))
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ContractStatus.choices)

    class Meta:
        ordering = ["territory__name", "generation"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["territory", "generation"], name="one_contract_per_generation"),
            models.CheckConstraint(condition=models.Q(period_end__gt=models.F("period_start")), name="contract_period"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_generation_display()})"


class Envelope(models.Model):
    """A contract's programme authorisation (autorisation de programme), split by year or by axis."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="envelopes")
    label = models.CharField(_("label"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    axis = models.CharField(_("axis"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        ordering = ["contract", "year", "axis"]
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="envelope_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(year__isnull=False) | ~models.Q(axis=""), name="envelope_year_or_axis"
            ),
        ]

    def __str__(self):
        return f"{self.contract.name} — {self.label}"
