"""Reference data, read-only for every authenticated user: nothing here is confidential (it is the
public administrative map and the territories' contracts). Departments, EPCIs and communes are
addressed by their natural key (department code, EPCI SIREN, commune INSEE code), the rest by id."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from api import filters
from api.serializers import reference as serializers
from dossiers.models import Commune, Contract, Department, Envelope, Epci, Territory, Theme


def _documented(parameter, listed, one):
    """The list's and the detail's descriptions (translated: a docstring would not be), and the detail's
    path parameter."""
    return extend_schema_view(
        list=extend_schema(description=listed),
        retrieve=extend_schema(parameters=[parameter], description=one),
    )


def _natural_key(name, description, listed, one):
    # The schema names the path parameter after the primary key (drf-spectacular's coercion of `pk`).
    parameter = OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)
    return _documented(parameter, listed, one)


def _by_id(description, listed, one):
    parameter = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description=description)
    return _documented(parameter, listed, one)


@_natural_key(
    "code",
    _("The department's INSEE code, e.g. 33."),
    _("The departments of the Region."),
    _("A department of the Region."),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """The departments of the Region."""

    queryset = Department.objects.all()
    serializer_class = serializers.DepartmentSerializer
    lookup_value_regex = "[0-9A-Za-z]{2,3}"
    ordering_fields = ["code", "name"]
    ordering = ["code"]


@_natural_key(
    "siren",
    _("The EPCI's SIREN number (9 digits)."),
    _("The EPCIs (intercommunal bodies) of the Region, each in at most one territory."),
    _("An EPCI of the Region, with its territory."),
)
class EpciViewSet(viewsets.ReadOnlyModelViewSet):
    """The EPCIs (intercommunal bodies) of the Region, each in at most one territory."""

    queryset = Epci.objects.all()
    serializer_class = serializers.EpciSerializer
    filterset_class = filters.EpciFilter
    lookup_value_regex = "[0-9]{9}"
    ordering_fields = ["siren", "name", "population", "department"]
    ordering = ["name", "siren"]


@_natural_key(
    "insee",
    _("The commune's INSEE code (5 characters)."),
    _("The communes of the Region (about 4,300: paginated)."),
    _("A commune of the Region, with its EPCI and population."),
)
class CommuneViewSet(viewsets.ReadOnlyModelViewSet):
    """The communes of the Region (about 4,300: paginated)."""

    queryset = Commune.objects.all()
    serializer_class = serializers.CommuneSerializer
    filterset_class = filters.CommuneFilter
    lookup_value_regex = "[0-9A-Za-z]{5}"
    ordering_fields = ["insee", "name", "population", "department"]
    ordering = ["name", "insee"]


@_by_id(
    _("The territory's id."),
    _("The territories (Pays, PETR...) that hold a contract with the Region, with their department."),
    _("A territory and its department."),
)
class TerritoryViewSet(viewsets.ReadOnlyModelViewSet):
    """The territories (Pays, PETR...) that hold a contract with the Region, with their department."""

    queryset = Territory.objects.select_related("department")
    serializer_class = serializers.TerritorySerializer
    filterset_class = filters.TerritoryFilter
    ordering_fields = ["id", "code", "name"]
    ordering = ["name", "id"]


@_by_id(_("The contract's id."), _("The territories' contracts."), _("A territory's contract."))
class ContractViewSet(viewsets.ReadOnlyModelViewSet):
    """The territories' contracts."""

    queryset = Contract.objects.all()
    serializer_class = serializers.ContractSerializer
    filterset_class = filters.ContractFilter
    ordering_fields = ["id", "name", "generation", "period_start", "status", "territory"]
    ordering = ["id"]


@_by_id(
    _("The envelope's id."),
    _("The contracts' envelopes (programme authorisations), by year or axis."),
    _("A contract's envelope."),
)
class EnvelopeViewSet(viewsets.ReadOnlyModelViewSet):
    """The contracts' envelopes (programme authorisations), by year or axis."""

    queryset = Envelope.objects.all()
    serializer_class = serializers.EnvelopeSerializer
    filterset_class = filters.EnvelopeFilter
    ordering_fields = ["id", "year", "amount", "contract"]
    ordering = ["contract", "year", "id"]


@_by_id(_("The theme's id."), _("The themes a dossier is filed under."), _("A theme."))
class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """The themes a dossier is filed under."""

    queryset = Theme.objects.all()
    serializer_class = serializers.ThemeSerializer
    ordering_fields = ["id", "code", "label", "position"]
    ordering = ["position", "label", "id"]
