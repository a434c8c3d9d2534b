from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from documents import services
from documents.letters import check_signature, letter_publish
from documents.models import DocumentBatch, DocumentJob, IssuedDocument, JobStatus, LetterTemplate
from documents.preview import preview_pdf
from documents.richtext import ALLOWED_TAGS, MERGE_FIELDS, validate_merge_fields
from dossiers.admin import ReadOnlyMixin


def merge_fields_help() -> str:
    fields = format_html_join(
        ", ", "<code>{{{{ {} }}}}</code> ({})", ((name, label) for name, label in MERGE_FIELDS.items())
    )
    tags = ", ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))
    return format_html(
        "{} {}<br>{}",
        _("Merge fields:"),
        fields,
        _("Allowed markup: %(tags)s, without attributes; anything else is removed when saved.") % {"tags": tags},
    )


class LetterTemplateForm(forms.ModelForm):
    signature_upload = forms.FileField(
        label=_("New signature image (PNG or JPEG)"),
        required=False,
        help_text=_("Leave empty to keep the signature of the version this one starts from."),
    )

    class Meta:
        model = LetterTemplate
        fields = [
            "kind",
            "contract_type",
            "territory",
            "opening",
            "closing",
            "signatory_name",
            "signatory_title",
            "note",
        ]
        widgets = {
            "opening": forms.Textarea(attrs={"rows": 6, "cols": 100, "data-richtext": ""}),
            "closing": forms.Textarea(attrs={"rows": 6, "cols": 100, "data-richtext": ""}),
        }

    class Media:
        js = ["documents/admin/richtext.js"]
        css = {"all": ["documents/admin/richtext.css"]}

    def clean_opening(self):
        validate_merge_fields(self.cleaned_data["opening"])
        return self.cleaned_data["opening"]

    def clean_closing(self):
        validate_merge_fields(self.cleaned_data["closing"])
        return self.cleaned_data["closing"]

    def clean_signature_upload(self):
        upload = self.cleaned_data.get("signature_upload")
        if upload:
            try:
                check_signature(upload)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return upload


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin):
    """Versions are read-only; "add" publishes the next version of a scope, starting from the version
    given in `?from=` (the "Edit as a new version" link) or the scope's default text."""

    form = LetterTemplateForm
    list_display = [
        "__str__",
        "kind",
        "contract_type",
        "territory",
        "version",
        "created_at",
        "created_by",
        "preview_link",
    ]
    list_filter = ["kind", "contract_type"]
    list_select_related = ["territory", "created_by"]
    readonly_fields = ["preview_link", "new_version_link"]

    def get_fields(self, request, obj=None):
        if obj is not None:
            return [
                "preview_link",
                "new_version_link",
                "kind",
                "contract_type",
                "territory",
                "opening",
                "closing",
                "signatory_name",
                "signatory_title",
                "signature_image",
                "note",
            ]
        return [*LetterTemplateForm.Meta.fields, "signature_upload"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["opening"].help_text = merge_fields_help()
        return form

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _source(self, request) -> LetterTemplate | None:
        pk = request.GET.get("from")
        return LetterTemplate.objects.filter(pk=pk).first() if pk and pk.isdigit() else None

    def get_changeform_initial_data(self, request):
        source = self._source(request)
        if source is None:
            return super().get_changeform_initial_data(request)
        return {
            "kind": source.kind,
            "contract_type": source.contract_type,
            "territory": source.territory_id,
            "opening": source.opening,
            "closing": source.closing,
            "signatory_name": source.signatory_name,
            "signatory_title": source.signatory_title,
        }

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        source = self._source(request)
        if source is None:
            source = LetterTemplate.objects.filter(
                scope_key=LetterTemplate.make_scope_key(
                    data["kind"], data["contract_type"], data["territory"].pk if data["territory"] else None
                )
            ).first()
        published = letter_publish(
            actor=request.user,
            kind=data["kind"],
            contract_type=data["contract_type"],
            territory=data["territory"],
            opening=data["opening"],
            closing=data["closing"],
            signatory_name=data["signatory_name"],
            signatory_title=data["signatory_title"],
            signature_upload=data.get("signature_upload") or None,
            signature_from=source,
            note=data["note"],
        )
        obj.pk, obj.version = published.pk, published.version
        obj._state.adding = False

    @admin.display(description=_("Preview"))
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}" target="_blank">{}</a>',
            reverse("admin:documents_lettertemplate_preview", args=[obj.pk]),
            _("PDF preview with demonstration data"),
        )

    @admin.display(description=_("Change"))
    def new_version_link(self, obj):
        return format_html(
            '<a href="{}?from={}">{}</a>',
            reverse("admin:documents_lettertemplate_add"),
            obj.pk,
            _("Edit as a new version"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/apercu/",
                self.admin_site.admin_view(self.preview_view),
                name="documents_lettertemplate_preview",
            ),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionError
        letter = get_object_or_404(LetterTemplate, pk=pk)
        response = HttpResponse(preview_pdf(letter), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="apercu-{letter.kind}-v{letter.version}.pdf"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "version", "kind", "dossier", "session", "issued_at", "issued_by", "sha256"]
    list_filter = ["kind"]
    list_select_related = ["dossier", "session", "issued_by"]
    search_fields = ["number", "dossier__reference"]
    date_hierarchy = "issued_at"


@admin.action(description=_("Try the selected failed documents again"))
def retry_jobs(modeladmin, request, queryset):
    count = sum(services.job_retry(job, actor=request.user) for job in queryset.filter(status=JobStatus.FAILED))
    messages.info(request, _("%(count)s document(s) put back in the queue.") % {"count": count})


@admin.register(DocumentJob)
class DocumentJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "version", "kind", "dossier", "session", "status", "attempts", "requested_at", "error"]
    list_filter = ["status", "kind"]
    list_select_related = ["dossier", "session"]
    search_fields = ["number", "dossier__reference"]
    actions = [retry_jobs]

    def has_change_permission(self, request, obj=None):
        # The retry action needs it; the form itself stays read-only (no field is editable).
        return obj is None and super(ReadOnlyMixin, self).has_change_permission(request, obj)


@admin.register(DocumentBatch)
class DocumentBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["label", "session", "purpose", "created_at", "created_by"]
    list_select_related = ["session", "created_by"]
