"""The dossiers' records: their audit trail, the published rule sets, the issued documents and the
messages' threads with their attachments. Everything here is read-only, except posting a message."""

from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from documents.models import IssuedDocument
from dossiers.models import RuleSet
from dossiers.services import RULE_FIELDS
from messaging.models import Message, MessageAttachment
from workflows.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        # The client's IP address stays in the audit: the API does not give it out.
        fields = [
            "id",
            "created_at",
            "kind",
            "dossier",
            "transition",
            "from_state",
            "to_state",
            "actor",
            "actor_name",
            "comment",
            "reason_code",
            "reason",
        ]
        read_only_fields = fields


class RuleSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = RuleSet
        fields = ["version", "published_at", "note", *RULE_FIELDS]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "kind",
            "number",
            "version",
            "issued_at",
            "dossier",
            "session",
            "meeting",
            "payment_request",
            "size",
            "sha256",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, document) -> str:
        """The PDF, from `GET /api/v1/documents/{id}/download/`."""
        url = reverse("api:document-download", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MessageAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = MessageAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        """The file, from `GET /api/v1/dossiers/{dossier_pk}/messages/attachments/{id}/download/`."""
        url = reverse(
            "api:dossier-message-attachment-download",
            kwargs={"dossier_pk": attachment.message.dossier_id, "attachment_pk": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MessageSerializer(serializers.ModelSerializer):
    attachments = MessageAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "dossier", "created_at", "author", "author_name", "side", "is_internal", "body", "attachments"]
        read_only_fields = fields


class MessagePostSerializer(serializers.Serializer):
    """A message in the dossier's thread; the service checks its length and that it is not empty."""

    body = serializers.CharField(label=gettext_lazy("Message"), allow_blank=True, trim_whitespace=False)
    is_internal = serializers.BooleanField(
        label=gettext_lazy("Internal note"),
        required=False,
        default=False,
        help_text=gettext_lazy("A note the sponsor does not see (the Region's staff only)."),
    )
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=gettext_lazy(
            "Files attached (multipart, the field repeated; at most 5): PDF, PNG or JPEG documents, recognised by "
            "their content, within the size limit."
        ),
    )
