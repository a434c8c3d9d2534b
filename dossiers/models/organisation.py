from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dossiers.enums import PUBLIC_LAW_FORMS, UNDERTAKING_FORMS, LegalForm
from dossiers.identifiers import validate_rna, validate_siret


class Organisation(models.Model):
    """A project sponsor (porteur de projet): commune, EPCI, association, company, public body."""

    name = models.CharField(_("name"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=30, choices=LegalForm.choices)
    siret = models.CharField(_("SIRET"), max_length=14, null=True, blank=True, unique=True, validators=[validate_siret])
    rna = models.CharField(
        _("RNA number"), max_length=10, null=True, blank=True, unique=True, validators=[validate_rna]
    )
    address = models.CharField(_("address"), max_length=250, blank=True)
    commune = models.ForeignKey(
        "dossiers.Commune", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("commune")
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    is_demo = models.BooleanField(_("demonstration data"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        related_name="organisations",
        verbose_name=_("members"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret__isnull=False) | models.Q(rna__isnull=False),
                name="organisation_has_siret_or_rna",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def siren(self) -> str:
        return self.siret[:9] if self.siret else ""

    @property
    def is_public_law(self) -> bool:
        return self.legal_form in PUBLIC_LAW_FORMS

    @property
    def is_undertaking(self) -> bool:
        return self.legal_form in UNDERTAKING_FORMS


class Membership(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_membership")]

    def __str__(self):
        return f"{self.user} — {self.organisation}"


class DeMinimisDeclaration(models.Model):
    """De minimis aid an undertaking declares having received from other public bodies."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="de_minimis_declarations")
    granting_body = models.CharField(_("granting body"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    granted_on = models.DateField(_("granted on"))
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        ordering = ["-granted_on"]
        verbose_name = _("de minimis aid declaration")
        verbose_name_plural = _("de minimis aid declarations")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="de_minimis_amount_positive")]

    def __str__(self):
        return f"{self.granting_body} — {self.amount} €"
