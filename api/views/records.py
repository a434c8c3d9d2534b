"""The dossiers' records: the audit trail (scoped by `workflows.selectors.audit_event_list_for_user`: a
sponsor sees their dossiers' transitions, never the refused attempts), the published rule sets (public
to every authenticated user: they are the Region's rules) and the issued documents (scoped exactly as
`documents.permissions.can_read`, whose download view serves their PDF), and each dossier's thread of
messages (`messaging.selectors.message_list_for_user`: internal notes only for the Region's staff), with
their attachments, posted and downloaded through the web UI's service and view."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.schema import uploaded_file_responses
from api.serializers import records as serializers
from documents.models import DocumentKind, IssuedDocument
from documents.permissions import document_list_for_user
from documents.views import document_download
from dossiers.models import Dossier, RuleSet
from dossiers.selectors import dossier_list_for_user
from messaging.models import Message
from messaging.permissions import can_post_message
from messaging.selectors import attachment_list_for_user, message_list_for_user
from messaging.services import message_post
from messaging.views import attachment_download
from workflows.lifecycle import TRANSITIONS
from workflows.models import AuditEvent
from workflows.selectors import audit_event_list_for_user


class AuditEventFilter(django_filters.FilterSet):
    transition = django_filters.ChoiceFilter(
        choices=[(name, name) for name in TRANSITIONS], help_text=_("The transition attempted or fired.")
    )

    class Meta:
        model = AuditEvent
        fields = ["dossier", "kind", "transition"]


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The audit trail of the dossiers you may see, oldest first: each transition fired and, for the "
            "Region's staff, each refused attempt. Filter by dossier to get one dossier's history."
        )
    ),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The event's id (404 outside your scope).")
            )
        ],
        description=_("One event of the audit trail."),
    ),
)
class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail (append-only) of the dossiers of the caller's scope."""

    serializer_class = serializers.AuditEventSerializer
    filterset_class = AuditEventFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return AuditEvent.objects.none()
        return audit_event_list_for_user(self.request.user)


@extend_schema_view(
    list=extend_schema(description=_("Every published version of the Region's rules, the newest first.")),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "version", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The rule set's version number.")
            )
        ],
        description=_("One version of the rules: the values a dossier submitted under it is held to."),
    ),
)
class RuleSetViewSet(viewsets.ReadOnlyModelViewSet):
    """The versions of the Region's rules (never edited: a change publishes a new version)."""

    queryset = RuleSet.objects.all()
    serializer_class = serializers.RuleSetSerializer
    lookup_field = "version"
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["version", "published_at"]
    ordering = ["-version"]


class DocumentFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(
        choices=DocumentKind.choices, help_text=_("One or more kinds (repeat the parameter).")
    )

    class Meta:
        model = IssuedDocument
        fields = ["dossier", "session", "meeting", "kind", "number"]


_DOCUMENT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=_("The document's id (404 outside your scope).")
)


@extend_schema_view(
    list=extend_schema(
        description=_(
            "The documents issued to you or for your work, the newest first: the letters of the dossiers you "
            "may see, your committee sessions' documents and the minutes of the follow-up meetings you follow. "
            "Each version of a document is listed."
        )
    ),
    retrieve=extend_schema(parameters=[_DOCUMENT_ID], description=_("An issued document's details.")),
)
class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """The issued documents (PDF letters, reports, minutes) the caller may read."""

    serializer_class = serializers.DocumentSerializer
    filterset_class = DocumentFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["issued_at", "id", "number"]
    ordering = ["-issued_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return IssuedDocument.objects.none()
        return document_list_for_user(self.request.user)

    @extend_schema(
        operation_id="documents_download",
        summary=_("Download a document"),
        description=_("The document's PDF, as an attachment (never cached)."),
        parameters=[_DOCUMENT_ID],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=_("The PDF.")),
            404: OpenApiResponse(description=_("No such document in your scope.")),
        },
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None, **kwargs):
        document = self.get_object()
        # The web UI's download view: its own permission check, headers and file name.
        return document_download(request._request, pk=document.pk)


_DOSSIER_PK = OpenApiParameter(
    "dossier_pk",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=_("The dossier's id (404 outside your scope)."),
)


@extend_schema_view(
    list=extend_schema(
        parameters=[_DOSSIER_PK],
        description=_(
            "The dossier's thread, oldest first, as in the web UI: the messages between the sponsor and the "
            "Region and, for the Region's staff, their internal notes."
        ),
    ),
    create=extend_schema(
        parameters=[_DOSSIER_PK],
        request=serializers.MessagePostSerializer,
        responses={
            201: serializers.MessageSerializer,
            400: OpenApiResponse(
                description=_(
                    "Empty or too long (codes empty_message, message_too_long), or an attachment refused (codes "
                    "too_many_files, file_type, file_too_large, empty_file): nothing is written."
                )
            ),
            403: OpenApiResponse(
                description=_("You may read this thread but not write in it, or not an internal note (code forbidden).")
            ),
            404: OpenApiResponse(description=_("No such dossier in your scope.")),
        },
        description=_(
            "Posts a message in the dossier's thread, through the same service as the web UI: the sponsor's "
            "members write to the Region; the territory's officers and administrators write to the sponsor or, "
            "with `is_internal`, a note the sponsor does not see. Files are attached with a multipart request "
            "(`attachments`, repeated), checked by their content as on the web. The recipients are notified."
        ),
    ),
)
class MessageViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The messages of one dossier's thread, with their attachments."""

    serializer_class = serializers.MessageSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    ordering_fields = ["created_at", "id"]
    ordering = ["created_at", "id"]

    def get_dossier(self) -> Dossier:
        dossier = dossier_list_for_user(self.request.user).filter(pk=self.kwargs["dossier_pk"]).first()
        if dossier is None:
            raise Http404
        return dossier

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Message.objects.none()
        return message_list_for_user(self.request.user, self.get_dossier())

    def create(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        payload = serializers.MessagePostSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        is_internal = payload.validated_data["is_internal"]
        decision = can_post_message(request.user, dossier, is_internal=is_internal)
        if not decision:
            raise exceptions.PermissionDenied(decision.reason, code="forbidden")
        message = message_post(
            dossier=dossier,
            author=request.user,
            body=payload.validated_data["body"],
            is_internal=is_internal,
            attachments=payload.validated_data["attachments"],
        )
        body = serializers.MessageSerializer(message, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="dossiers_messages_attachments_download",
        summary=_("Download a message's attachment"),
        parameters=[
            _DOSSIER_PK,
            OpenApiParameter(
                "attachment_pk",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description=_("The attachment's id (404 outside your scope, or on an internal note you may not read)."),
            ),
        ],
        responses={
            **uploaded_file_responses(_("The file, as an attachment (never cached).")),
            404: OpenApiResponse(description=_("No such attachment in the thread as you may read it.")),
        },
        description=_("An attachment of a message you may read, as on the web."),
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_pk>[0-9]+)/download",
        url_name="attachment-download",
    )
    def attachment_download(self, request, dossier_pk=None, attachment_pk=None, **kwargs):
        dossier = self.get_dossier()
        if not attachment_list_for_user(request.user, dossier).filter(pk=attachment_pk).exists():
            raise Http404
        # The web UI's download view: its own scope check, headers and file name.
        return attachment_download(request._request, pk=dossier.pk, attachment_pk=int(attachment_pk))
