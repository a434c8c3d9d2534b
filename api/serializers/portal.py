"""What the sponsor portal writes, as the API shows and takes it: the financing plan of a dossier, its
pieces, the organisations and the requests to join them. The writing serializers type the input; the
services of the portal (`portal.services`, `dossiers.services`) check the rules and write."""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from dossiers.enums import FunderKind, FundingStatus, LegalForm, SelfFinancingExemption, TaxBasis
from dossiers.models import Commune, ExpenseLine, FundingLine, Organisation, Piece, PieceType
from portal.models import MembershipRequest
from portal.selectors import piece_types_for

MONEY = {"max_digits": 14, "decimal_places": 2}


def absolute(context, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


# Financing plan ---------------------------------------------------------------------------------------


class ExpenseLineSerializer(serializers.ModelSerializer):
    label = serializers.CharField(max_length=200, help_text=gettext_lazy("The expense."))
    amount = serializers.DecimalField(
        **MONEY, min_value=Decimal("0.01"), help_text=gettext_lazy("Amount (euros, HT or TTC as the plan says).")
    )
    is_eligible = serializers.BooleanField(
        default=True, help_text=gettext_lazy("Whether the expense is eligible to the Region's grant.")
    )

    class Meta:
        model = ExpenseLine
        fields = ["label", "amount", "is_eligible"]


class FundingLineSerializer(serializers.ModelSerializer):
    funder_kind = serializers.ChoiceField(
        choices=FunderKind.choices,
        help_text=gettext_lazy("The funder; the Region's lines (`region`) make the amount requested."),
    )
    funder_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Name of the funder or scheme."),
    )
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"), help_text=gettext_lazy("Amount (euros)."))
    status = serializers.ChoiceField(
        choices=FundingStatus.choices,
        default=FundingStatus.REQUESTED,
        help_text=gettext_lazy("Whether the funding is requested or obtained."),
    )

    class Meta:
        model = FundingLine
        fields = ["funder_kind", "funder_name", "amount", "status"]


class ProblemSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text=gettext_lazy("Machine-readable code of the rule."))
    message = serializers.CharField(read_only=True)


class FinancingTotalsSerializer(serializers.Serializer):
    total_cost = serializers.DecimalField(**MONEY, read_only=True)
    eligible_expenses = serializers.DecimalField(**MONEY, read_only=True)
    total_funding = serializers.DecimalField(**MONEY, read_only=True)
    region_funding = serializers.DecimalField(**MONEY, read_only=True)
    own_contribution = serializers.DecimalField(**MONEY, read_only=True)
    public_funding = serializers.DecimalField(**MONEY, read_only=True)
    is_balanced = serializers.BooleanField(read_only=True)


class FinancingPlanSerializer(serializers.Serializer):
    """The whole financing plan of a dossier: `PUT` replaces it (`portal.services.financing_plan_save`)."""

    tax_basis = serializers.ChoiceField(
        choices=TaxBasis.choices, help_text=gettext_lazy("Whether the amounts are stated HT or TTC.")
    )
    self_financing_exemption = serializers.ChoiceField(
        choices=SelfFinancingExemption.choices,
        allow_blank=True,
        required=False,
        default=SelfFinancingExemption.NONE,
        help_text=gettext_lazy(
            "Exemption from the self-financing rule (CGCT L1111-10) claimed: public-law owners only, ignored "
            "(kept empty) for the others."
        ),
    )
    expenses = ExpenseLineSerializer(many=True, help_text=gettext_lazy("The expenses, in order."))
    funding = FundingLineSerializer(many=True, help_text=gettext_lazy("The resources, in order."))
    requested_amount = serializers.DecimalField(
        **MONEY,
        read_only=True,
        help_text=gettext_lazy("The amount requested: the total of the Region's lines (kept when there is none)."),
    )
    totals = FinancingTotalsSerializer(read_only=True)
    problems = ProblemSerializer(
        many=True,
        read_only=True,
        help_text=gettext_lazy(
            "What the Region's rules find wrong in the saved plan (codes unbalanced_plan, no_region_line, "
            "requested_mismatch, self_financing…): the plan is saved anyway, as on the portal, but the "
            "submission will be refused until they are fixed."
        ),
    )


# Pieces -------------------------------------------------------------------------------------------------


class PieceSerializer(serializers.ModelSerializer):
    piece_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    piece_type_label = serializers.CharField(source="piece_type.label", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Piece
        fields = [
            "id",
            "dossier",
            "piece_type",
            "piece_type_label",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "is_checked",
            "checked_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, piece) -> str:
        """The file, from `GET /api/v1/dossiers/{dossier_pk}/pieces/{id}/download/`."""
        return absolute(self.context, reverse("api:dossier-piece-download", args=[piece.dossier_id, piece.pk]))


class PieceFileSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=gettext_lazy(
            "The file: a PDF, PNG or JPEG document, recognised by its content (never its name), within the size limit."
        )
    )


class PieceUploadSerializer(PieceFileSerializer):
    piece_type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PieceType.objects.none(),
        help_text=gettext_lazy(
            "The type of piece (its code), among those of the checklist of the sponsor's legal form."
        ),
    )

    def __init__(self, *args, legal_form: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        applicable = [piece_type.pk for piece_type in piece_types_for(legal_form)] if legal_form else []
        self.fields["piece_type"].queryset = PieceType.objects.filter(pk__in=applicable)


class PieceTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = PieceType
        fields = ["code", "label", "help_text", "legal_forms", "is_mandatory", "position"]
        read_only_fields = fields


# Organisations -----------------------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="insee", read_only=True)
    is_member = serializers.SerializerMethodField()
    # Not an EmailField: the address is optional, and the empty string is not an e-mail address.
    email = serializers.CharField(read_only=True, label=gettext_lazy("Contact e-mail (empty when none)"))

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "legal_form",
            "siret",
            "siren",
            "rna",
            "address",
            "commune",
            "email",
            "is_public_law",
            "created_at",
            "is_member",
        ]
        read_only_fields = fields

    def get_is_member(self, organisation) -> bool:
        """Whether you are a member of it (and may file dossiers in its name)."""
        return organisation.pk in self.context.get("member_of", frozenset())


class OrganisationCreateSerializer(serializers.Serializer):
    """The portal's registration of an organisation (`portal.views.organisations.organisation_new`)."""

    name = serializers.CharField(max_length=200, help_text=gettext_lazy("Name of the organisation."))
    legal_form = serializers.ChoiceField(choices=LegalForm.choices, help_text=gettext_lazy("Legal form."))
    siret = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy(
            "14 digits. Only associations may register without one, with their RNA number (codes siret_*, "
            "siret_required, siret_taken)."
        ),
    )
    rna = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("RNA number of an association: W followed by 9 digits (codes rna_format, rna_taken)."),
    )
    address = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    commune = serializers.SlugRelatedField(
        slug_field="insee",
        queryset=Commune.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("INSEE code of the commune of the registered office."),
    )
    email = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("Contact e-mail.")
    )


class MembershipRequestSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    requester_name = serializers.SerializerMethodField()

    class Meta:
        model = MembershipRequest
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "user",
            "requester_name",
            "message",
            "status",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    def get_requester_name(self, membership_request) -> str:
        user = membership_request.user
        return user.get_full_name() or user.get_username()


class MembershipRequestCreateSerializer(serializers.Serializer):
    identifier = serializers.CharField(
        max_length=20,
        help_text=gettext_lazy("SIRET or RNA number of an organisation already registered."),
    )
    message = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("Message to its members: who you are and why you join."),
    )
