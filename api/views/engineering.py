"""Territorial engineering through the API, as the sponsor portal does it (`engineering.views`), through
the same forms and services: a sponsor opens an engineering dossier (the aid for a post of chargé de
mission in a territory's lead body), changes its post while the dossier is a draft, and sends the post's
yearly activity reports once the grant is notified. The dossier's pieces and its submission are those of
any dossier (`/api/v1/dossiers/{id}/pieces/`, `/api/v1/dossiers/{id}/transitions/submit/`).

Reading follows the web UI's scope: the post is read by whoever may see the dossier, the reports by the
sponsor's members, the territory's officers and representatives and administrators
(`engineering.selectors.can_read_reports`); outside it, 404."""

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.exceptions import Conflict, service_refusals
from api.schema import uploaded_file_responses
from api.serializers import engineering as serializers
from api.serializers.dossiers import DossierDetailSerializer, form_cleaned_data
from api.views.portal import check_content_edit, check_sponsor, scoped_dossier
from dossiers.enums import DossierKind
from dossiers.http import attachment_response
from dossiers.models import Dossier
from dossiers.selectors import dossier_list_for_user
from engineering import selectors, services
from engineering.forms import ActivityReportForm
from engineering.models import ActivityReport, EngineeringPost
from workflows.enums import DossierState
from workflows.permissions import organisation_ids


def scoped_post(user, dossier_pk) -> EngineeringPost:
    """The post of an engineering dossier `user` may see (`dossiers.selectors`), else 404 (a project
    dossier has no post)."""
    dossier = scoped_dossier(user, dossier_pk)
    if dossier.kind != DossierKind.ENGINEERING:
        raise Http404
    post = EngineeringPost.objects.filter(dossier=dossier).first()
    if post is None:
        raise Http404
    post.dossier = dossier
    return post


def check_post_edit(user, dossier: Dossier) -> None:
    """The portal's rule for the post (`engineering.views.post_edit`): the members of its sponsor (403
    `forbidden` for anyone else who sees it), while the dossier is a draft (409 `invalid_state`
    otherwise, an incomplete dossier included). The service checks both again under the row lock."""
    check_content_edit(user, dossier)
    if dossier.state != DossierState.DRAFT:
        raise Conflict(
            _("The post can only be changed while its dossier is a draft (state: %(state)s).")
            % {"state": dossier.get_state_display()},
            code="invalid_state",
        )


def dossier_detail(request, dossier: Dossier, context) -> dict:
    dossier = dossier_list_for_user(request.user).prefetch_related("communes").get(pk=dossier.pk)
    return DossierDetailSerializer(dossier, context=context).data


_DOSSIER_PK = OpenApiParameter(
    "dossier_pk",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description=gettext_lazy("The engineering dossier's id (404 outside your scope, or for a project dossier)."),
)
_REPORT_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The report's id (404 outside your scope).")
)
_POST_INVALID = OpenApiResponse(
    description=gettext_lazy(
        "Invalid post, nothing changes: the errors by field, with the portal's codes (post_title_required, "
        "period_end_before_start, period_invalid, period_started, cost_positive, rate_out_of_range, "
        "self_financing, contract_closed…)."
    )
)


@extend_schema_view(
    create=extend_schema(
        request=serializers.EngineeringDossierCreateSerializer,
        responses={
            201: DossierDetailSerializer,
            400: _POST_INVALID,
            403: OpenApiResponse(description=gettext_lazy("Only project sponsors file dossiers (code forbidden).")),
        },
        description=gettext_lazy(
            "Opens a draft dossier of kind engineering for one of your organisations (the post's employer), under "
            "a signed contract, as the portal's page `porteur/ingenierie/nouveau/` does "
            "(`engineering.services.engineering_dossier_create`, same form and rules): theme “ingénierie "
            "territoriale”, the period as planned dates, the regional amount as the amount requested and the "
            "financing plan built from the post. Then add its pieces and submit it like any dossier."
        ),
    ),
)
class EngineeringDossierViewSet(mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The creation of engineering dossiers (read them at `/api/v1/dossiers/`, filter `kind=engineering`)."""

    serializer_class = serializers.EngineeringDossierCreateSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return Dossier.objects.none()
        return dossier_list_for_user(self.request.user).filter(kind=DossierKind.ENGINEERING)

    def create(self, request, *args, **kwargs):
        check_sponsor(request.user)
        payload = serializers.EngineeringDossierCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        with service_refusals():
            post = services.engineering_dossier_create(
                actor=request.user, organisation=data["organisation"], contract=data["contract"], post=data["post"]
            )
        body = dossier_detail(request, post.dossier, self.get_serializer_context())
        return Response(body, status=status.HTTP_201_CREATED)


class EngineeringPostViewSet(viewsets.GenericViewSet):
    """The post of one engineering dossier: read by whoever may see the dossier, changed by its sponsor's
    members while it is a draft."""

    serializer_class = serializers.EngineeringPostSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return EngineeringPost.objects.none()
        dossiers = dossier_list_for_user(self.request.user).filter(kind=DossierKind.ENGINEERING)
        return EngineeringPost.objects.filter(dossier__in=dossiers)

    @extend_schema(
        methods=["GET"],
        operation_id="dossiers_engineering_post_retrieve",
        summary=gettext_lazy("Read the engineering post"),
        parameters=[_DOSSIER_PK],
        responses={
            200: serializers.EngineeringPostSerializer,
            404: OpenApiResponse(description=gettext_lazy("No such engineering dossier in your scope.")),
        },
        description=gettext_lazy(
            "The post an engineering dossier funds, with its computed figures, to whoever may see the dossier."
        ),
    )
    @extend_schema(
        methods=["PUT"],
        operation_id="dossiers_engineering_post_update",
        summary=gettext_lazy("Change the engineering post"),
        parameters=[_DOSSIER_PK],
        request=serializers.EngineeringPostWriteSerializer,
        responses={
            200: serializers.EngineeringPostSerializer,
            400: _POST_INVALID,
            403: OpenApiResponse(
                description=gettext_lazy("You see the dossier but are not a member of its sponsor (code forbidden).")
            ),
            404: OpenApiResponse(description=gettext_lazy("No such engineering dossier in your scope.")),
            409: OpenApiResponse(description=gettext_lazy("The dossier is no longer a draft (code invalid_state).")),
        },
        description=gettext_lazy(
            "Replaces the post (every field) while its dossier is a draft, as the portal's post page does "
            "(`engineering.services.engineering_post_update`, same form and rules): the months and the regional "
            "amount are computed again, and the draft follows (title, object, planned dates, amount requested and "
            "the whole financing plan). A refused post changes nothing."
        ),
    )
    @action(detail=False, methods=["get", "put"], url_path="engineering-post", url_name="post")
    def engineering_post(self, request, dossier_pk=None):
        post = scoped_post(request.user, dossier_pk)
        if request.method == "PUT":
            check_post_edit(request.user, post.dossier)
            payload = serializers.EngineeringPostWriteSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            with service_refusals():
                post = services.engineering_post_update(
                    actor=request.user, post=post, data=payload.validated_data["post"]
                )
        return Response(serializers.EngineeringPostSerializer(post, context=self.get_serializer_context()).data)


_REPORT_REFUSED = OpenApiResponse(
    description=gettext_lazy(
        "The report is refused and nothing is stored: codes file_type (not a PDF by its content), file_too_large, "
        "empty_file, or a field error (year not one of the post's period)."
    )
)


@extend_schema_view(
    list=extend_schema(
        parameters=[_DOSSIER_PK],
        description=gettext_lazy(
            "The activity reports received for the dossier's post, by year, to its sponsor's members, the "
            "territory's officers and representatives, and administrators."
        ),
    ),
    retrieve=extend_schema(parameters=[_DOSSIER_PK, _REPORT_ID], description=gettext_lazy("One report's details.")),
    create=extend_schema(
        parameters=[_DOSSIER_PK],
        request=serializers.ActivityReportUploadSerializer,
        responses={
            201: serializers.ActivityReportSerializer,
            400: _REPORT_REFUSED,
            403: OpenApiResponse(
                description=gettext_lazy("You see the reports but are not a member of the sponsor (code forbidden).")
            ),
            404: OpenApiResponse(description=gettext_lazy("No such engineering dossier in your scope.")),
            409: OpenApiResponse(
                description=gettext_lazy(
                    "The grant is not notified yet (code not_notified), or the year's report is already sent "
                    "(code report_exists)."
                )
            ),
        },
        description=gettext_lazy(
            "Sends the activity report of a year (multipart: `year` and `file`) through the portal's service "
            "(`engineering.services.activity_report_submit`), once the grant is notified: a PDF recognised by "
            "its content, within the size limit, one per calendar year of the post's period."
        ),
    ),
)
class ActivityReportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """The yearly activity reports of one engineering dossier's post."""

    serializer_class = serializers.ActivityReportSerializer
    parser_classes = [MultiPartParser, FormParser]
    lookup_value_regex = "[0-9]+"
    ordering_fields = ["year", "submitted_at", "id"]
    ordering = ["year", "id"]

    def get_post(self) -> EngineeringPost:
        if not hasattr(self, "_post"):
            post = scoped_post(self.request.user, self.kwargs["dossier_pk"])
            if not selectors.can_read_reports(self.request.user, post.dossier):
                raise Http404
            self._post = post
        return self._post

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generation, without a user
            return ActivityReport.objects.none()
        return ActivityReport.objects.filter(post=self.get_post())

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["dossier_pk"] = self.get_post().dossier_id
        return context

    def create(self, request, *args, **kwargs):
        post = self.get_post()
        if post.dossier.organisation_id not in organisation_ids(request.user):
            raise exceptions.PermissionDenied(
                _("Only the members of the sponsor send its activity reports."), code="forbidden"
            )
        payload = serializers.ActivityReportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        form = ActivityReportForm(
            data={"year": payload.validated_data["year"]},
            files={"file": payload.validated_data["file"]},
            years=services.report_years(post),
        )
        data = form_cleaned_data(form)
        with service_refusals(fields={"upload": "file"}):
            report = services.activity_report_submit(
                actor=request.user, post=post, year=data["year"], upload=data["file"]
            )
        body = serializers.ActivityReportSerializer(report, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="dossiers_activity_reports_download",
        summary=gettext_lazy("Download an activity report"),
        parameters=[_DOSSIER_PK, _REPORT_ID],
        responses={
            **uploaded_file_responses(gettext_lazy("The file, as an attachment (never cached).")),
            404: OpenApiResponse(description=gettext_lazy("No such report in your scope.")),
        },
        description=gettext_lazy("The report's file, to whoever may read the post's reports, as on the web."),
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None, **kwargs):
        report = self.get_object()
        # The web UI's own scope check, then its download response (headers and file name).
        try:
            report = selectors.activity_report_get_for_user(request.user, report.pk)
        except ActivityReport.DoesNotExist:
            raise Http404 from None
        return attachment_response(report)
