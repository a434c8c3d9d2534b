"""Issued documents (PDF letters), the administrators' versioned letter texts, and the jobs that render
them in the background.

- `LetterTemplate`: the parts of a letter an administrator may adapt (free paragraphs, signatory) per
  document type, optionally per contract type or territory. Rows are never edited: every save makes a
  new version, and each issued document records the version it used.
- `IssuedDocument`: an issued PDF. Never overwritten: reissuing creates a new version with the same
  number, and the file of every version stays in storage.
- `DocumentJob`: one requested document, rendered by a `django.tasks` task after the commit that asked
  for it; its status is the visible progress of a batch (`DocumentBatch`) and the report of a failure.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _

from dossiers.enums import ContractType


class DocumentKind(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of receipt")
    PIECES_REQUEST = "pieces_request", _("Request for additional pieces")
    SESSION_REPORT = "session_report", _("Presentation report of a session")
    DELIBERATION_EXTRACT = "deliberation_extract", _("Extract of the deliberation")
    AWARD_NOTIFICATION = "award_notification", _("Award notification letter")
    REFUSAL_LETTER = "refusal_letter", _("Refusal letter")
    CONVENTION = "convention", _("Convention")
    PAYMENT_CERTIFICATE = "payment_certificate", _("Payment certificate")
    MEETING_MINUTES = "meeting_minutes", _("Minutes of a follow-up meeting")


# The number's prefix of each kind: `NOT-2026-000042`.
NUMBER_PREFIXES = {
    DocumentKind.ACKNOWLEDGEMENT: "AR",
    DocumentKind.PIECES_REQUEST: "DPC",
    DocumentKind.SESSION_REPORT: "RP",
    DocumentKind.DELIBERATION_EXTRACT: "EXD",
    DocumentKind.AWARD_NOTIFICATION: "NOT",
    DocumentKind.REFUSAL_LETTER: "REF",
    DocumentKind.CONVENTION: "CONV",
    DocumentKind.PAYMENT_CERTIFICATE: "CERT",
    DocumentKind.MEETING_MINUTES: "CRS",
}
SESSION_KINDS = frozenset({DocumentKind.SESSION_REPORT})
# Documents of a contract's follow-up meeting (roadmaps.FollowUpMeeting), not of a dossier.
MEETING_KINDS = frozenset({DocumentKind.MEETING_MINUTES})


class _DocumentsStorage(LazyObject):
    """`storages["documents"]`, looked up again whenever the STORAGES setting changes (tests)."""

    def _setup(self):
        self._wrapped = storages["documents"]


_storage = _DocumentsStorage()


@receiver(setting_changed)
def _reset_storage(*, setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_ROOT"):
        _storage._wrapped = empty


def documents_storage():
    return _storage


def signature_upload_to(template: "LetterTemplate", filename: str) -> str:
    scope = template.scope_key.replace("|", "-")
    return f"signatures/{scope}-{timezone.now():%Y%m%d%H%M%S%f}.{template.signature_extension}"


class LetterTemplateQuerySet(models.QuerySet):
    def latest_versions(self):
        """The current version of every scope (one row per scope)."""
        latest = self.filter(scope_key=models.OuterRef("scope_key")).order_by("-version").values("pk")[:1]
        return self.filter(pk=models.Subquery(latest))


class LetterTemplate(models.Model):
    kind = models.CharField(_("document type"), max_length=30, choices=DocumentKind.choices)
    contract_type = models.CharField(
        _("only for contracts of type"), max_length=30, choices=ContractType.choices, blank=True, default=""
    )
    territory = models.ForeignKey(
        "dossiers.Territory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("only for the territory"),
    )
    scope_key = models.CharField(max_length=80, editable=False, db_index=True)
    version = models.PositiveIntegerField(_("version"), editable=False)
    opening = models.TextField(
        _("opening paragraphs"), blank=True, help_text=_("Printed before the fixed part of the letter.")
    )
    closing = models.TextField(
        _("closing paragraphs"), blank=True, help_text=_("Printed after the fixed part, before the signature.")
    )
    signatory_name = models.CharField(_("signatory's name"), max_length=200)
    signatory_title = models.CharField(_("signatory's title"), max_length=300)
    signature_image = models.FileField(
        _("signature image (PNG or JPEG)"),
        upload_to=signature_upload_to,
        storage=documents_storage,
        max_length=200,
        blank=True,
    )
    signature_extension = models.CharField(max_length=4, blank=True, editable=False)
    note = models.CharField(_("reason for the change"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    objects = LetterTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "scope_key", "-version"]
        verbose_name = _("letter text")
        verbose_name_plural = _("letter texts")
        constraints = [models.UniqueConstraint(fields=["scope_key", "version"], name="one_letter_version")]

    def __str__(self):
        scope = []
        if self.contract_type:
            scope.append(self.get_contract_type_display())
        if self.territory_id:
            scope.append(str(self.territory))
        label = f"{self.get_kind_display()} ({', '.join(scope)})" if scope else self.get_kind_display()
        return _("%(label)s, version %(version)s") % {"label": label, "version": self.version}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("A letter text is never changed; publish a new version instead."))
        super().save(*args, **kwargs)

    @staticmethod
    def make_scope_key(kind: str, contract_type: str = "", territory_id: int | None = None) -> str:
        return f"{kind}|{contract_type}|{territory_id or ''}"


class DocumentSequence(models.Model):
    """The last number handed out per document type and year; allocated under a row lock."""

    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="one_document_sequence")]

    def __str__(self):
        return f"{self.kind} {self.year}: {self.last_number}"


class IssuedDocument(models.Model):
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    session = models.ForeignKey(
        "committees.CommitteeSession", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    # The payment a certificate is for (one certificate per validated payment request).
    payment_request = models.ForeignKey(
        "payments.PaymentRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    # The follow-up meeting minutes are of.
    meeting = models.ForeignKey(
        "roadmaps.FollowUpMeeting", on_delete=models.PROTECT, null=True, blank=True, related_name="documents"
    )
    number = models.CharField(_("number"), max_length=30)
    version = models.PositiveIntegerField(_("version"), default=1)
    template = models.ForeignKey(
        LetterTemplate, on_delete=models.PROTECT, related_name="documents", verbose_name=_("letter text used")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    file = models.FileField(_("file"), storage=documents_storage, max_length=250)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="one_document_version"),
            models.CheckConstraint(
                condition=models.Q(dossier__isnull=False)
                | models.Q(session__isnull=False)
                | models.Q(meeting__isnull=False),
                name="document_has_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["dossier", "-issued_at"], name="document_dossier_recent"),
            models.Index(fields=["session", "-issued_at"], name="document_session_recent"),
        ]

    def __str__(self):
        return f"{self.number} v{self.version}"

    @property
    def download_name(self) -> str:
        return f"{self.number}-v{self.version}.pdf"


class JobStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Being rendered")
    DONE = "done", _("Issued")
    FAILED = "failed", _("Failed")


class DocumentBatch(models.Model):
    """Documents asked together (the letters of a committee session): their jobs give the progress."""

    class Purpose(models.TextChoices):
        DECISIONS = "decisions", _("Letters of the decisions")
        OTHER = "other", _("Other documents")

    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.OTHER)
    session = models.ForeignKey(
        "committees.CommitteeSession", on_delete=models.PROTECT, null=True, blank=True, related_name="document_batches"
    )
    label = models.CharField(_("label"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("batch of documents")
        verbose_name_plural = _("batches of documents")

    def __str__(self):
        return self.label


class DocumentJob(models.Model):
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.PROTECT, null=True, blank=True, related_name="document_jobs"
    )
    session = models.ForeignKey(
        "committees.CommitteeSession", on_delete=models.PROTECT, null=True, blank=True, related_name="document_jobs"
    )
    payment_request = models.ForeignKey(
        "payments.PaymentRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="document_jobs"
    )
    meeting = models.ForeignKey(
        "roadmaps.FollowUpMeeting", on_delete=models.PROTECT, null=True, blank=True, related_name="document_jobs"
    )
    batch = models.ForeignKey(DocumentBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs")
    # A reissue renders a new version of this document (same number).
    reissue_of = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The transition that asked for the document, if any.
    event = models.ForeignKey("workflows.AuditEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Allocated with the request, so that every attempt prints the same number.
    number = models.CharField(_("number"), max_length=30)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    document = models.OneToOneField(IssuedDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="job")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("document job")
        verbose_name_plural = _("document jobs")
        indexes = [
            models.Index(fields=["batch", "status"], name="document_job_batch"),
            models.Index(fields=["dossier", "status"], name="document_job_dossier"),
            models.Index(fields=["status", "requested_at"], name="document_job_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(dossier__isnull=False)
                | models.Q(session__isnull=False)
                | models.Q(meeting__isnull=False),
                name="document_job_has_subject",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"
