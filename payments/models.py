"""Payments and deadlines of a granted dossier (DOMAIN.md, "Payments" and "Lapse").

- `SignedConvention`: the copy of the convention signed by the sponsor, checked and countersigned by the
  officer (which records the dossier's `sign_agreement`).
- `BankAccount`: an organisation's bank details (IBAN, BIC, RIB as a file), validated once by finance and
  reused; new details replace the old ones and need their own validation before any further payment.
- `PaymentRequest`: an advance, an instalment or the balance, with its expense statement
  (`ExpenseStatementLine`) and its files (`PaymentFile`: invoices, completion statement). Its state moves
  submitted → checked (officer) → validated (finance; the figures are fixed then) → paid, or returned /
  rejected with a reason, only through `payments.services`.
- `PaymentOrder`: validated requests exported together for the accounting system, marked paid on return.
- `ExtensionRequest` (one per dossier) and `DeadlineReminder` (one per dossier, deadline and delay): the
  deadlines' follow-up.

Files are accepted by their content (`documents.uploads.check_upload`) and stored under names that never
come from the user.
"""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from dossiers.models.dossier import MONEY

FILE_META = ("original_name", "content_type", "extension", "size", "sha256")


class CheckedFileFields(models.Model):
    """A file accepted by its content: what was checked, and the name the sender gave it."""

    original_name = models.CharField(_("original file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    extension = models.CharField(_("extension"), max_length=10)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        abstract = True


# Conventions --------------------------------------------------------------------------------------


def convention_upload_to(copy: "SignedConvention", filename: str) -> str:
    return f"conventions/{copy.dossier_id}/{copy.sha256[:16]}.{copy.extension}"


class ConventionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Sent, to be checked")
    REFUSED = "refused", _("Refused")
    COUNTERSIGNED = "countersigned", _("Countersigned")


class SignedConvention(CheckedFileFields):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="signed_conventions", verbose_name=_("dossier")
    )
    file = models.FileField(_("file"), upload_to=convention_upload_to, max_length=200)
    signed_on = models.DateField(_("signed by the sponsor on"))
    status = models.CharField(
        _("status"), max_length=15, choices=ConventionStatus.choices, default=ConventionStatus.SUBMITTED
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason of the refusal"), blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("signed convention")
        verbose_name_plural = _("signed conventions")
        constraints = [
            # One copy waiting or countersigned at a time: a refused copy may be replaced.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=~models.Q(status="refused"),
                name="one_live_signed_convention",
            ),
        ]

    def __str__(self):
        return f"{self.dossier} — {self.get_status_display()}"


# Bank details -------------------------------------------------------------------------------------


def rib_upload_to(account: "BankAccount", filename: str) -> str:
    return f"rib/{account.organisation_id}/{account.sha256[:16]}.{account.extension}"


class BankAccountStatus(models.TextChoices):
    PENDING = "pending", _("To be validated by finance")
    VALIDATED = "validated", _("Validated")
    REFUSED = "refused", _("Refused")
    REPLACED = "replaced", _("Replaced")


LIVE_BANK_STATUSES = (BankAccountStatus.PENDING, BankAccountStatus.VALIDATED)


class BankAccount(CheckedFileFields):
    organisation = models.ForeignKey(
        "dossiers.Organisation",
        on_delete=models.PROTECT,
        related_name="bank_accounts",
        verbose_name=_("organisation"),
    )
    holder = models.CharField(_("account holder"), max_length=200)
    iban = models.CharField(_("IBAN"), max_length=34, help_text=_("Stored without spaces, in capitals."))
    bic = models.CharField(_("BIC"), max_length=11)
    file = models.FileField(_("RIB"), upload_to=rib_upload_to, max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=BankAccountStatus.choices, default=BankAccountStatus.PENDING
    )
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason of the refusal"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")
        constraints = [
            # The organisation's current details: at most one set waiting or validated.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status__in=["pending", "validated"]),
                name="one_current_bank_account",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="bank_account_status")]

    def __str__(self):
        return f"{self.holder} — {self.masked_iban}"

    @property
    def masked_iban(self) -> str:
        """`FR76 **** **** **** **** ***1 234`: enough to recognise the account, not to copy it."""
        if len(self.iban) < 8:
            return self.iban
        hidden = self.iban[:4] + "*" * (len(self.iban) - 8) + self.iban[-4:]
        return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))

    @property
    def formatted_iban(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


# Payment requests ---------------------------------------------------------------------------------


class PaymentKind(models.TextChoices):
    ADVANCE = "advance", _("Advance")
    INSTALMENT = "instalment", _("Instalment")
    BALANCE = "balance", _("Balance")


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CHECKED = "checked", _("Checked by the officer")
    VALIDATED = "validated", _("Validated by finance")
    PAID = "paid", pgettext_lazy("payment request", "Paid")
    RETURNED = "returned", _("Returned to the sponsor")
    REJECTED = "rejected", _("Rejected")


R = RequestState
OPEN_REQUEST_STATES = (R.SUBMITTED, R.CHECKED)
# Requests whose amount is ordered: they count as "already paid" in the next calculation.
ORDERED_REQUEST_STATES = (R.VALIDATED, R.PAID)
# Requests that stop the start or the completion deadline from running out.
LIVE_REQUEST_STATES = (R.SUBMITTED, R.CHECKED, R.VALIDATED, R.PAID)


class PaymentRequest(ConcurrentTransitionMixin, models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, related_name="payment_requests", verbose_name=_("dossier")
    )
    kind = models.CharField(_("type"), max_length=10, choices=PaymentKind.choices)
    state = FSMField(_("state"), max_length=10, choices=RequestState.choices, default=R.SUBMITTED, protected=True)
    # The form's key: the same form sent twice creates one request.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False)
    requested_amount = models.DecimalField(
        _("amount requested"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("For an advance: at most the share of the grant the rules allow; empty asks for the maximum."),
    )
    comment = models.TextField(_("sponsor's comment"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, editable=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True, editable=False)
    check_comment = models.TextField(_("officer's comment"), blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True, editable=False)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("returned or rejected at"), null=True, blank=True, editable=False)
    reason = models.TextField(_("reason"), blank=True)
    # Fixed by the validation (the calculation shown before is recomputed from the figures of the day).
    justified_total = models.DecimalField(
        _("eligible expenses justified so far"), **MONEY, null=True, blank=True, editable=False
    )
    payable = models.DecimalField(_("amount payable"), **MONEY, null=True, blank=True, editable=False)
    recovery = models.DecimalField(_("recovery order"), **MONEY, null=True, blank=True, editable=False)
    final_grant = models.DecimalField(_("final grant"), **MONEY, null=True, blank=True, editable=False)
    released = models.DecimalField(_("commitment released"), **MONEY, null=True, blank=True, editable=False)
    calculation = models.JSONField(_("calculation"), default=list, blank=True, editable=False)
    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="payments", editable=False
    )
    # The recovery order (titre de recette) as finance recorded it once issued by the accounting system.
    recovery_reference = models.CharField(_("recovery order number"), max_length=50, blank=True, editable=False)
    recovery_issued_on = models.DateField(_("recovery order issued on"), null=True, blank=True, editable=False)
    recovery_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    order = models.ForeignKey(
        "payments.PaymentOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        editable=False,
    )

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "idempotency_key"], name="payment_request_once"),
            # One request in progress at a time: each calculation starts from the one before.
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(state__in=["submitted", "checked"]),
                name="one_open_payment_request",
            ),
            models.UniqueConstraint(
                fields=["dossier"],
                condition=models.Q(kind="balance", state__in=["submitted", "checked", "validated", "paid"]),
                name="one_balance_per_dossier",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "submitted_at"], name="payment_request_state"),
            models.Index(fields=["dossier", "state"], name="payment_request_dossier"),
        ]

    def __str__(self):
        return f"{self.dossier} — {self.get_kind_display()} ({self.get_state_display()})"

    # Only `payments.services` calls these.
    @transition(field=state, source=R.SUBMITTED, target=R.CHECKED)
    def record_check(self, *, at, actor, comment):
        self.checked_at, self.checked_by, self.check_comment = at, actor, comment

    @transition(field=state, source=R.CHECKED, target=R.VALIDATED)
    def record_validation(self, *, at, actor):
        self.validated_at, self.validated_by = at, actor

    @transition(field=state, source=R.VALIDATED, target=R.PAID)
    def record_payment(self, *, on):
        self.paid_on = on

    @transition(field=state, source=[R.SUBMITTED, R.CHECKED], target=R.RETURNED)
    def send_back(self, *, at, actor, reason):
        self.decided_at, self.decided_by, self.reason = at, actor, reason

    @transition(field=state, source=[R.SUBMITTED, R.CHECKED], target=R.REJECTED)
    def refuse(self, *, at, actor, reason):
        self.decided_at, self.decided_by, self.reason = at, actor, reason


def payment_file_upload_to(document: "PaymentFile", filename: str) -> str:
    return f"payments/{document.request.dossier_id}/{document.request_id}/{document.sha256[:16]}.{document.extension}"


class PaymentFileKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    COMPLETION_STATEMENT = "completion", _("Completion statement")
    OTHER = "other", _("Other proof")


class PaymentFile(CheckedFileFields):
    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("type"), max_length=10, choices=PaymentFileKind.choices)
    file = models.FileField(_("file"), upload_to=payment_file_upload_to, max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["kind", "uploaded_at", "id"]
        verbose_name = _("payment file")
        verbose_name_plural = _("payment files")

    def __str__(self):
        return f"{self.get_kind_display()} — {self.original_name}"


class ExpenseStatementLine(models.Model):
    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    supplier = models.CharField(_("supplier"), max_length=200)
    invoice_reference = models.CharField(_("invoice reference"), max_length=100)
    invoice_date = models.DateField(_("invoice date"))
    amount_ht = models.DecimalField(_("amount excl. VAT"), **MONEY, validators=[MinValueValidator(0)])
    amount_ttc = models.DecimalField(_("amount incl. VAT"), **MONEY, validators=[MinValueValidator(0)])
    is_eligible = models.BooleanField(_("eligible"), default=True)
    excluded = models.BooleanField(_("excluded by the officer"), default=False)
    exclusion_reason = models.CharField(_("reason of the exclusion"), max_length=500, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("expense statement line")
        verbose_name_plural = _("expense statement lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_ht__gt=0), name="statement_line_ht_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_ttc__gte=models.F("amount_ht")), name="statement_line_ttc_at_least_ht"
            ),
            models.CheckConstraint(
                condition=models.Q(excluded=False) | ~models.Q(exclusion_reason=""),
                name="statement_line_exclusion_reason",
            ),
        ]

    def __str__(self):
        return f"{self.supplier} {self.invoice_reference}"

    def amount_for(self, tax_basis: str):
        """The line's amount on the dossier's basis (HT or TTC)."""
        return self.amount_ttc if tax_basis == "ttc" else self.amount_ht

    @property
    def counts(self) -> bool:
        return self.is_eligible and not self.excluded


class PaymentOrder(models.Model):
    """Validated requests sent together to the accounting system (one CSV), marked paid on return."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("exported at"), default=timezone.now)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")

    def __str__(self):
        return self.number


# Deadlines ----------------------------------------------------------------------------------------


class Deadline(models.TextChoices):
    START = "start", _("Start of the project")
    COMPLETION = "completion", _("Completion (balance requested)")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the officer")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ExtensionRequest(models.Model):
    """The single extension a sponsor may ask for, before the deadline it concerns runs out."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="extension_request", verbose_name=_("dossier")
    )
    deadline = models.CharField(_("deadline"), max_length=10, choices=Deadline.choices)
    deadline_on = models.DateField(_("deadline before the extension"))
    months = models.PositiveSmallIntegerField(_("months asked"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("officer's comment"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        indexes = [models.Index(fields=["status"], name="extension_status")]

    def __str__(self):
        return f"{self.dossier} — {self.get_status_display()}"


class DeadlineReminder(models.Model):
    """One reminder sent: the unique constraint makes the reminders' job idempotent."""

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.CASCADE, related_name="deadline_reminders")
    deadline = models.CharField(_("deadline"), max_length=10, choices=Deadline.choices)
    deadline_on = models.DateField(_("deadline"))
    days_before = models.PositiveSmallIntegerField(_("days before"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "deadline", "deadline_on", "days_before"], name="one_reminder_per_delay"
            )
        ]

    def __str__(self):
        return f"{self.dossier} — {self.deadline} J-{self.days_before}"
