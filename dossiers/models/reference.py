"""Reference data of Nouvelle-Aquitaine (INSEE, DGCL — Etalab, découpage administratif 2026)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.enums import EpciType


class Department(models.Model):
    code = models.CharField(_("INSEE code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    prefecture_insee = models.CharField(_("INSEE code of the prefecture"), max_length=5)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return f"{self.code} {self.name}"


class Epci(models.Model):
    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=5, choices=EpciType.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="epcis", verbose_name=_("main department")
    )
    communes_in_region = models.PositiveIntegerField(_("communes in the region"))
    communes_total = models.PositiveIntegerField(_("communes in total"))
    population = models.PositiveIntegerField(_("municipal population"))
    # An EPCI belongs to at most one territory: the foreign key says so by construction.
    territory = models.ForeignKey(
        "dossiers.Territory",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="epcis",
        verbose_name=_("territory"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCIs")

    def __str__(self):
        return self.name


class Commune(models.Model):
    insee = models.CharField(_("INSEE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="communes", verbose_name=_("department")
    )
    epci = models.ForeignKey(
        Epci, on_delete=models.PROTECT, null=True, blank=True, related_name="communes", verbose_name=_("EPCI")
    )
    siren = models.CharField(_("SIREN"), max_length=9)
    postcodes = models.CharField(_("postcodes"), max_length=100)
    population = models.PositiveIntegerField(_("municipal population"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return f"{self.name} ({self.department_id})"


class Theme(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "label"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        return self.label
