"""What the sponsor portal (`portal/`) lets a sponsor do besides the dossier itself, through the same
services and rules: a dossier's pieces (uploaded, replaced, removed while the dossier is a draft or
incomplete, checked by their content), the organisations (registered by a sponsor, who becomes their first
member) and the requests to join one. Reading follows the web UI's scope: a dossier's pieces are read by
whoever may see the dossier (its sponsor, the territory's officers...); outside it, 404."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api import filters
from api.exceptions import Conflict
from api.schema import uploaded_file_responses
from api.serializers import portal as serializers
from api.serializers.dossiers import form_cleaned_data
from dossiers.models import Dossier, Organisation, Piece, PieceType
from dossiers.selectors import dossier_list_for_user, organisation_list_for_user
from dossiers.services import (
    EDIT_FORBIDDEN,
    EDIT_INVALID_STATE,
    dossier_edit_refusal,
    organisation_create,
    piece_add,
)
from portal import selectors
from portal import services as portal_services
from portal.forms import JoinRequestForm
from portal.models import MembershipRequest
from portal.views.dossiers import piece_download
from workflows.enums import Role
from workflows.permissions import organisation_ids, user_roles


def check_sponsor(user) -> None:
    """The portal's door (`portal.views.common.sponsor_required`): the sponsor role, else 403."""
    if Role.SPONSOR not in user_roles(user):
        raise exceptions.PermissionDenied(_("This space is for project sponsors."), code="forbidden")


def check_content_edit(user, dossier: Dossier) -> None:
    """The portal's rule for a dossier's content (`dossiers.services.dossier_lock_for_edit`): the members of
    its sponsor (403 `forbidden` for anyone else who sees it), while it is a draft or incomplete (409
    `invalid_state` otherwise), by `dossiers.services.dossier_edit_refusal`. The service checks both again
    under the row lock."""
    refusal = dossier_edit_refusal(dossier=dossier, actor=user)
    if refusal == EDIT_FORBIDDEN:
        raise exceptions.PermissionDenied(_("Only the members of the sponsor edit its dossier."), code="forbidden")
    if refusal == EDIT_INVALID_STATE:
        raise Conflict(
            _("This dossier is “%(state)s”: it can no longer be edited.") % {"state": dossier.get_state_display()},
            code="invalid_state",
        )


def scoped_dossier(user, pk) -> Dossier:
    """The dossier if `user` may see it (`dossiers.selectors`), else 404."""
    dossier = dossier_list_for_user(user).filter(pk=pk).first()
    if dossier is None:
        raise Http404
    return dossier


_DOSSIER_PK = OpenApiParameter(
    "dossier_pk",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=gettext_lazy("The dossier's id (404 outside your scope)."),
)
_PIECE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The piece's id (404 outside your scope).")
)
_REFUSALS = {
    403: OpenApiResponse(
        description=gettext_lazy("You see the dossier but are not a member of its sponsor (code forbidden).")
    ),
    404: OpenApiResponse(description=gettext_lazy("No such dossier or piece in your scope.")),
    409: OpenApiResponse(
        description=gettext_lazy("The dossier is no longer a draft nor incomplete (code invalid_state).")
    ),
}
_UPLOAD_REFUSED = OpenApiResponse(
    description=gettext_lazy(
        "The file is refused and nothing changes: codes file_type (not a PDF, PNG or JPEG by its content), "
        "file_too_large, empty_file, or a field error (piece_type not in the checklist of the sponsor's legal form)."
    )
)


@extend_schema_view(
    list=extend_schema(
        parameters=[_DOSSIER_PK],
        description=gettext_lazy(
            "The pieces of the dossier, in the order of the checklist, to whoever may see the dossier (its "
            "sponsor, the territory's officers...)."
        ),
    ),
    retrieve=extend_schema(parameters=[_DOSSIER_PK, _PIECE_ID], description=gettext_lazy("One piece's details.")),
    create=extend_schema(
        parameters=[_DOSSIER_PK],
        request=serializers.PieceUploadSerializer,
        responses={201: serializers.PieceSerializer, 400: _UPLOAD_REFUSED, **_REFUSALS},
        description=gettext_lazy(
            "Uploads a piece (multipart: `piece_type` and `file`) through the portal's service, with the same "
            "checks: the file is accepted by its content (PDF, PNG or JPEG), within the size limit, for a type "
            "of the checklist of the sponsor's legal form. A refused file changes nothing."
        ),
    ),
    destroy=extend_schema(
        parameters=[_DOSSIER_PK, _PIECE_ID],
        responses={204: None, **_REFUSALS},
        description=gettext_lazy("Removes a piece sent by mistake, while the dossier is a draft or incomplete."),
    ),
)
class PieceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The pieces of one dossier: read by whoever may see the dossier, written by its sponsor's members."""

    serializer_class = serializers.PieceSerializer
    parser_classes = [MultiPartParser, FormParser]
    filterset_class = filters.PieceFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["uploaded_at", "id", "size"]
    ordering = ["piece_type__position", "uploaded_at", "id"]

    def get_dossier(self) -> Dossier:
        if not hasattr(self, "_dossier"):
            self._dossier = scoped_dossier(self.request.user, self.kwargs["dossier_pk"])
        return self._dossier

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Piece.objects.none()
        return Piece.objects.filter(dossier=self.get_dossier()).select_related("piece_type")

    def create(self, request, *args, **kwargs):
        dossier = self.get_dossier()
        check_content_edit(request.user, dossier)
        payload = serializers.PieceUploadSerializer(data=request.data, legal_form=dossier.organisation.legal_form)
        payload.is_valid(raise_exception=True)
        piece = piece_add(
            dossier=dossier,
            actor=request.user,
            piece_type=payload.validated_data["piece_type"],
            uploaded=payload.validated_data["file"],
        )
        body = serializers.PieceSerializer(piece, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        piece = self.get_object()
        check_content_edit(request.user, piece.dossier)
        portal_services.piece_remove(piece=piece, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="dossiers_pieces_replace",
        summary=gettext_lazy("Replace a piece's file"),
        parameters=[_DOSSIER_PK, _PIECE_ID],
        request=serializers.PieceFileSerializer,
        responses={201: serializers.PieceSerializer, 400: _UPLOAD_REFUSED, **_REFUSALS},
        description=gettext_lazy(
            "Puts a new file (multipart `file`) in place of the piece, of the same type, checked like any upload; "
            "the answer is the new piece (a new id). A refused file leaves the old piece as it was."
        ),
    )
    @action(detail=True, methods=["post"], url_path="replace", url_name="replace")
    def replace(self, request, pk=None, **kwargs):
        piece = self.get_object()
        check_content_edit(request.user, piece.dossier)
        payload = serializers.PieceFileSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        new = portal_services.piece_replace(piece=piece, actor=request.user, uploaded=payload.validated_data["file"])
        body = serializers.PieceSerializer(new, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="dossiers_pieces_download",
        summary=gettext_lazy("Download a piece"),
        parameters=[_DOSSIER_PK, _PIECE_ID],
        responses={
            **uploaded_file_responses(gettext_lazy("The file, as an attachment (never cached).")),
            404: OpenApiResponse(description=gettext_lazy("No such piece in your scope.")),
        },
        description=gettext_lazy("The piece's file, to whoever may see the dossier, as on the web."),
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None, **kwargs):
        piece = self.get_object()
        # The web UI's download view: its own scope check, headers and file name.
        return piece_download(request._request, pk=piece.dossier_id, piece_pk=piece.pk)


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "The checklist of pieces: every type, or with `legal_form` those that apply to that legal form."
        )
    ),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description=gettext_lazy("Its code."))
        ],
        description=gettext_lazy("One type of piece."),
    ),
)
class PieceTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The types of piece a dossier may carry (reference data, for every authenticated user)."""

    queryset = PieceType.objects.all()
    serializer_class = serializers.PieceTypeSerializer
    filterset_class = filters.PieceTypeFilter
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering_fields = ["position", "code"]
    ordering = ["position", "label"]


_ORGANISATION_ID = OpenApiParameter(
    "id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=gettext_lazy("The organisation's id (404 outside your scope)."),
)


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "For a sponsor, their organisations; for the Region's staff, the sponsors of the dossiers they may "
            "see (administrators: every organisation)."
        )
    ),
    retrieve=extend_schema(parameters=[_ORGANISATION_ID], description=gettext_lazy("One organisation.")),
    create=extend_schema(
        request=serializers.OrganisationCreateSerializer,
        responses={
            201: serializers.OrganisationSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "Invalid or already registered (codes identifier_missing, siret_required, siret_length, "
                    "siret_format, siret_checksum, siret_taken, rna_format, rna_taken): to join an organisation "
                    "already registered, ask its members (`POST /api/v1/membership-requests/`)."
                )
            ),
            403: OpenApiResponse(
                description=gettext_lazy("Only project sponsors register organisations (code forbidden).")
            ),
        },
        description=gettext_lazy(
            "Registers an organisation, as on the portal (`dossiers.services.organisation_create`): its SIRET is "
            "checked (or, for an association without one, its RNA number); you become its first member."
        ),
    ),
)
class OrganisationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The project sponsors' organisations the caller may see."""

    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationFilter
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["name", "id", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Organisation.objects.none()
        return organisation_list_for_user(self.request.user).select_related("commune")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["member_of"] = organisation_ids(self.request.user)
        return context

    def create(self, request, *args, **kwargs):
        check_sponsor(request.user)
        payload = serializers.OrganisationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        organisation = organisation_create(
            creator=request.user,
            name=data["name"],
            legal_form=data["legal_form"],
            siret=data["siret"] or None,
            rna=data["rna"] or None,
            address=data["address"],
            commune=data["commune"],
            email=data["email"],
        )
        context = {**self.get_serializer_context(), "member_of": {organisation.pk}}
        return Response(serializers.OrganisationSerializer(organisation, context=context).data, status=201)


_REQUEST_ID = OpenApiParameter(
    "id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=gettext_lazy("The request's id (404 outside your scope)."),
)
_DECIDE_RESPONSES = {
    200: serializers.MembershipRequestSerializer,
    403: OpenApiResponse(description=gettext_lazy("Only the organisation's members answer (code forbidden).")),
    404: OpenApiResponse(description=gettext_lazy("No such request in your scope.")),
    409: OpenApiResponse(description=gettext_lazy("Already answered (code already_decided).")),
}


@extend_schema_view(
    list=extend_schema(
        description=gettext_lazy(
            "Your own requests to join an organisation, and the pending requests to join yours, the newest first."
        )
    ),
    retrieve=extend_schema(parameters=[_REQUEST_ID], description=gettext_lazy("One request.")),
    create=extend_schema(
        request=serializers.MembershipRequestCreateSerializer,
        responses={
            201: serializers.MembershipRequestSerializer,
            400: OpenApiResponse(
                description=gettext_lazy(
                    "Invalid number, no organisation registered with it (code unknown_organisation), or already a "
                    "member or waiting (codes already_member, already_requested)."
                )
            ),
            403: OpenApiResponse(
                description=gettext_lazy("Only project sponsors join organisations (code forbidden).")
            ),
        },
        description=gettext_lazy(
            "Asks the members of an organisation already registered (by its SIRET or RNA number) to let you in, "
            "as on the portal; you may file its dossiers once one of them accepts."
        ),
    ),
)
class MembershipRequestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Requests to join an organisation: the requester's own, and those its members answer."""

    serializer_class = serializers.MembershipRequestSerializer
    filterset_fields = ["status", "organisation"]
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return MembershipRequest.objects.none()
        user = self.request.user
        mine = selectors.membership_request_list_of(user).values("pk")
        to_decide = selectors.membership_requests_to_decide(user).values("pk")
        return MembershipRequest.objects.filter(Q(pk__in=mine) | Q(pk__in=to_decide)).select_related(
            "organisation", "user"
        )

    def create(self, request, *args, **kwargs):
        check_sponsor(request.user)
        payload = serializers.MembershipRequestCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cleaned = form_cleaned_data(JoinRequestForm(data=payload.validated_data))
        organisation = selectors.organisation_find(**cleaned["identifier"])
        if organisation is None:
            raise exceptions.ValidationError(
                _("No organisation is registered with this number: register it yourself."),
                code="unknown_organisation",
            )
        created = portal_services.membership_request_create(
            user=request.user, organisation=organisation, message=cleaned["message"]
        )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    def _decide(self, service):
        membership_request = self.get_object()
        try:
            decided = service(membership_request=membership_request, actor=self.request.user)
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error), code="forbidden") from None
        except DjangoValidationError as error:
            raise Conflict(" ".join(error.messages), code=error.code or "conflict") from None
        return Response(self.get_serializer(decided).data)

    @extend_schema(
        operation_id="membership_requests_accept",
        summary=gettext_lazy("Accept a request"),
        parameters=[_REQUEST_ID],
        request=None,
        responses=_DECIDE_RESPONSES,
        description=gettext_lazy("A member of the organisation lets the requester in: they become a member."),
    )
    @action(detail=True, methods=["post"], url_path="accept", url_name="accept", parser_classes=[JSONParser])
    def accept(self, request, pk=None, **kwargs):
        return self._decide(portal_services.membership_request_accept)

    @extend_schema(
        operation_id="membership_requests_refuse",
        summary=gettext_lazy("Refuse a request"),
        parameters=[_REQUEST_ID],
        request=None,
        responses=_DECIDE_RESPONSES,
        description=gettext_lazy("A member of the organisation turns the request down."),
    )
    @action(detail=True, methods=["post"], url_path="refuse", url_name="refuse", parser_classes=[JSONParser])
    def refuse(self, request, pk=None, **kwargs):
        return self._decide(portal_services.membership_request_refuse)
