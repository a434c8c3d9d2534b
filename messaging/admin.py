from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dossiers.admin import ReadOnlyMixin  # messages and notifications are a record, like dossiers
from messaging.models import Message, MessageAttachment, Notification


class MessageAttachmentInline(ReadOnlyMixin, admin.TabularInline):
    model = MessageAttachment
    extra = 0
    fields = ["download", "content_type", "size", "sha256"]
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, attachment):
        # Files are private: the link goes through the view that checks access, never to MEDIA_URL.
        url = reverse("messaging:attachment_download", args=[attachment.message.dossier_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


@admin.register(Message)
class MessageAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "dossier", "author_name", "side", "is_internal"]
    list_filter = ["side", "is_internal"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__reference", "author_name", "body"]
    date_hierarchy = "created_at"
    fields = ["dossier", "author", "author_name", "side", "is_internal", "created_at", "body"]
    readonly_fields = fields
    inlines = [MessageAttachmentInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "recipient", "dossier", "kind", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "dossier"]
    search_fields = ["dossier__reference", "recipient__username", "recipient__email"]
    date_hierarchy = "created_at"
    fields = ["recipient", "dossier", "kind", "audit_event", "message", "created_at", "read_at"]
    readonly_fields = fields
