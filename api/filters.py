"""The filters of the API's lists (django-filter): each list says what it can be filtered on."""

import django_filters
from django.utils.translation import gettext_lazy as _

from dossiers.enums import LegalForm
from dossiers.models import Commune, Contract, Dossier, Envelope, Epci, Organisation, Piece, PieceType, Territory
from portal.selectors import piece_types_for


class EpciFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="istartswith", help_text=_("Name starting with this text."))

    class Meta:
        model = Epci
        fields = ["department", "territory", "kind", "name"]


class CommuneFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="istartswith", help_text=_("Name starting with this text."))
    territory = django_filters.NumberFilter(
        field_name="epci__territory", help_text=_("Territory (id) whose EPCIs contain the commune.")
    )

    class Meta:
        model = Commune
        fields = ["department", "epci", "territory", "name"]


class TerritoryFilter(django_filters.FilterSet):
    class Meta:
        model = Territory
        fields = ["department"]


class ContractFilter(django_filters.FilterSet):
    class Meta:
        model = Contract
        fields = ["territory", "generation", "contract_type", "status"]


class EnvelopeFilter(django_filters.FilterSet):
    class Meta:
        model = Envelope
        fields = ["contract", "year", "is_open"]


class DossierFilter(django_filters.FilterSet):
    submitted_after = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="gte", help_text=_("Submitted at or after this moment (ISO 8601).")
    )
    submitted_before = django_filters.IsoDateTimeFilter(
        field_name="submitted_at", lookup_expr="lt", help_text=_("Submitted before this moment (ISO 8601).")
    )
    requested_min = django_filters.NumberFilter(
        field_name="requested_amount", lookup_expr="gte", help_text=_("Amount requested at least this (euros).")
    )
    requested_max = django_filters.NumberFilter(
        field_name="requested_amount", lookup_expr="lte", help_text=_("Amount requested at most this (euros).")
    )
    state = django_filters.MultipleChoiceFilter(
        choices=Dossier._meta.get_field("state").choices, help_text=_("One or more states (repeat the parameter).")
    )

    class Meta:
        model = Dossier
        fields = ["state", "territory", "contract", "theme", "kind"]


class PieceFilter(django_filters.FilterSet):
    piece_type = django_filters.CharFilter(field_name="piece_type__code", help_text=_("The type's code."))

    class Meta:
        model = Piece
        fields = ["piece_type", "is_checked"]


class PieceTypeFilter(django_filters.FilterSet):
    legal_form = django_filters.ChoiceFilter(
        choices=LegalForm.choices, method="filter_legal_form", help_text=_("Only the types that apply to it.")
    )

    class Meta:
        model = PieceType
        fields = ["legal_form", "is_mandatory"]

    def filter_legal_form(self, queryset, name, value):
        return queryset.filter(pk__in=[piece_type.pk for piece_type in piece_types_for(value)])


class OrganisationFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="istartswith", help_text=_("Name starting with this text."))

    class Meta:
        model = Organisation
        fields = ["legal_form", "siret", "rna", "name"]
