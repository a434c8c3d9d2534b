"""Reference data: the administrative map of the Region, its territories, contracts, envelopes and themes."""

from rest_framework import serializers

from dossiers.models import Commune, Contract, Department, Envelope, Epci, Territory, Theme


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name", "prefecture_insee"]


class EpciSerializer(serializers.ModelSerializer):
    class Meta:
        model = Epci
        fields = [
            "siren",
            "name",
            "kind",
            "department",
            "territory",
            "communes_in_region",
            "communes_total",
            "population",
        ]


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["insee", "name", "department", "epci", "siren", "postcodes", "population"]


class TerritorySerializer(serializers.ModelSerializer):
    department = DepartmentSerializer(read_only=True)

    class Meta:
        model = Territory
        fields = ["id", "code", "name", "name_is_demo", "department", "lead_body"]


class ContractSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contract
        fields = [
            "id",
            "territory",
            "name",
            "contract_type",
            "generation",
            "period_start",
            "period_end",
            "signed_on",
            "status",
        ]


class EnvelopeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Envelope
        fields = ["id", "contract", "label", "year", "axis", "amount", "is_open"]


class ThemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Theme
        fields = ["id", "code", "label", "position"]
