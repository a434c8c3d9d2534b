from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.enums import (
    PUBLIC_FUNDER_KINDS,
    DossierKind,
    FunderKind,
    FundingStatus,
    SelfFinancingExemption,
    TaxBasis,
)
from workflows.fsm import DossierLifecycle

MONEY = {"max_digits": 14, "decimal_places": 2}


class ReferenceSequence(models.Model):
    """The last number handed out per year: references are allocated under a row lock and never reused."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Dossier(DossierLifecycle):
    """A project application filed by a sponsor under one contract, hence one territory.

    `territory` copies `contract.territory` (set once by the service that creates the dossier) so that
    every scoped list filters and sorts on an indexed column of this table.
    """

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # An engineering dossier funds a post (`engineering.EngineeringPost`); it follows the same lifecycle.
    kind = models.CharField(
        _("kind"), max_length=12, choices=DossierKind.choices, default=DossierKind.PROJECT, editable=False
    )
    organisation = models.ForeignKey(
        "dossiers.Organisation", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("sponsor")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    contract = models.ForeignKey(
        "dossiers.Contract", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("contract")
    )
    territory = models.ForeignKey(
        "dossiers.Territory",
        on_delete=models.PROTECT,
        related_name="dossiers",
        verbose_name=_("territory"),
        editable=False,
    )
    theme = models.ForeignKey("dossiers.Theme", on_delete=models.PROTECT, related_name="+", verbose_name=_("theme"))
    title = models.CharField(_("title"), max_length=200)
    object = models.CharField(_("object"), max_length=256, help_text=_("What the grant pays for, in one sentence."))
    description = models.TextField(_("description"), blank=True)
    communes = models.ManyToManyField(
        "dossiers.Commune", related_name="dossiers", verbose_name=_("communes where the project takes place")
    )
    planned_start = models.DateField(_("planned start of work"))
    planned_end = models.DateField(_("planned end of work"))
    tax_basis = models.CharField(_("expenses stated"), max_length=3, choices=TaxBasis.choices, default=TaxBasis.HT)
    requested_amount = models.DecimalField(
        _("amount requested from the Region"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    self_financing_exemption = models.CharField(
        _("exemption from the self-financing rule"),
        max_length=20,
        choices=SelfFinancingExemption.choices,
        blank=True,
        default=SelfFinancingExemption.NONE,
    )

    # Set by the lifecycle (workflows.fsm), never by forms.
    rule_set = models.ForeignKey(
        "dossiers.RuleSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("rules applied"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    resubmitted_at = models.DateTimeField(_("resubmitted at"), null=True, blank=True, editable=False)
    completeness_decided_on = models.DateField(_("declared complete on"), null=True, blank=True, editable=False)
    pieces_due_on = models.DateField(_("missing pieces expected by"), null=True, blank=True, editable=False)
    eligible_base = models.DecimalField(_("eligible base"), **MONEY, null=True, blank=True, editable=False)
    proposed_amount = models.DecimalField(_("proposed amount"), **MONEY, null=True, blank=True, editable=False)
    convention_decided = models.BooleanField(_("convention required by the officer"), default=False, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    granted_amount = models.DecimalField(_("amount granted"), **MONEY, null=True, blank=True, editable=False)
    envelope = models.ForeignKey(
        "dossiers.Envelope",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
        editable=False,
        verbose_name=_("envelope"),
    )
    notified_on = models.DateField(_("notified on"), null=True, blank=True, editable=False)
    agreement_signed_on = models.DateField(_("convention signed on"), null=True, blank=True, editable=False)
    # Fixed by the balance: the grant as reduced pro rata (at most the amount granted); the difference
    # is released from the envelope.
    final_amount = models.DecimalField(_("final grant"), **MONEY, null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["territory", "state"], name="dossier_territory_state"),
            models.Index(fields=["territory", "-created_at"], name="dossier_territory_recent"),
            models.Index(fields=["organisation", "-created_at"], name="dossier_organisation_recent"),
            models.Index(fields=["state", "-created_at"], name="dossier_state_recent"),
            models.Index(fields=["-created_at"], name="dossier_recent"),
            # The envelopes' sums: committed per envelope (under the approval's lock), planned per contract.
            models.Index(fields=["envelope", "state"], name="dossier_envelope_state"),
            models.Index(fields=["contract", "state"], name="dossier_contract_state"),
            models.Index(fields=["contract", "kind"], name="dossier_contract_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")), name="dossier_planned_dates"
            ),
            models.CheckConstraint(condition=models.Q(requested_amount__gt=0), name="dossier_requested_positive"),
            models.CheckConstraint(
                condition=models.Q(granted_amount__isnull=True) | models.Q(granted_amount__gt=0),
                name="dossier_granted_positive",
            ),
        ]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    @property
    def rate(self) -> Decimal | None:
        """The grant's rate on the eligible base, as a fraction."""
        if self.granted_amount and self.eligible_base:
            return self.granted_amount / self.eligible_base
        return None


class ExpenseLine(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="expense_lines")
    label = models.CharField(_("label"), max_length=200)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    is_eligible = models.BooleanField(_("eligible"), default=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("expense line")
        verbose_name_plural = _("expense lines")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="expense_amount_positive")]

    def __str__(self):
        return self.label


class FundingLine(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="funding_lines")
    funder_kind = models.CharField(_("funder"), max_length=20, choices=FunderKind.choices)
    funder_name = models.CharField(_("funder's name"), max_length=200, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    status = models.CharField(
        _("status"), max_length=10, choices=FundingStatus.choices, default=FundingStatus.REQUESTED
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="funding_amount_positive")]

    def __str__(self):
        return self.funder_name or self.get_funder_kind_display()

    @property
    def is_public(self) -> bool:
        return self.funder_kind in PUBLIC_FUNDER_KINDS


class PieceTypeQuerySet(models.QuerySet):
    def mandatory_for(self, legal_form: str) -> list["PieceType"]:
        return [t for t in self.filter(is_mandatory=True) if t.applies_to(legal_form)]


class PieceType(models.Model):
    """An entry of the checklist of pieces; which ones apply depends on the sponsor's legal form."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.TextField(_("help"), blank=True)
    legal_forms = models.JSONField(
        _("legal forms"), default=list, blank=True, help_text=_("Legal forms it applies to; empty means all.")
    )
    is_mandatory = models.BooleanField(_("mandatory for submission"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = PieceTypeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "label"]
        verbose_name = _("type of piece")
        verbose_name_plural = _("types of piece")

    def __str__(self):
        return self.label

    def applies_to(self, legal_form: str) -> bool:
        return not self.legal_forms or legal_form in self.legal_forms


def piece_upload_to(piece: "Piece", filename: str) -> str:
    # The stored name never comes from the user: only the checked extension does.
    return f"pieces/{piece.dossier_id}/{piece.sha256[:16]}.{piece.extension}"


class Piece(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="pieces")
    piece_type = models.ForeignKey(PieceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type"))
    file = models.FileField(_("file"), upload_to=piece_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    extension = models.CharField(_("extension"), max_length=10)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    is_checked = models.BooleanField(_("checked"), default=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        ordering = ["piece_type__position", "uploaded_at"]
        verbose_name = _("piece")
        verbose_name_plural = _("pieces")

    def __str__(self):
        return f"{self.piece_type} — {self.original_name}"
