from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from dossiers import models
from dossiers.services import RULE_FIELDS, ruleset_publish


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Department)
class DepartmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(models.Epci)
class EpciAdmin(admin.ModelAdmin):
    list_display = ["name", "siren", "kind", "department", "territory", "population"]
    list_filter = ["kind", "department"]
    list_select_related = ["department", "territory"]
    search_fields = ["name", "siren"]
    readonly_fields = [
        "siren",
        "name",
        "kind",
        "department",
        "communes_in_region",
        "communes_total",
        "population",
    ]


@admin.register(models.Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["name", "insee", "department", "epci", "population"]
    list_filter = ["department"]
    list_select_related = ["department", "epci"]
    search_fields = ["name", "insee", "postcodes"]


@admin.register(models.Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "position"]


class ContractInline(admin.TabularInline):
    model = models.Contract
    extra = 0


@admin.register(models.Territory)
class TerritoryAdmin(GuardedModelAdmin):
    list_display = ["name", "department", "lead_body", "name_is_demo"]
    list_filter = ["department", "name_is_demo"]
    list_select_related = ["department"]
    search_fields = ["name", "code"]
    readonly_fields = ["officers_group"]
    inlines = [ContractInline]


class EnvelopeInline(admin.TabularInline):
    model = models.Envelope
    extra = 0


@admin.register(models.Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["name", "territory", "contract_type", "generation", "status", "signed_on"]
    list_filter = ["generation", "contract_type", "status"]
    list_select_related = ["territory"]
    search_fields = ["name", "territory__name"]
    inlines = [EnvelopeInline]


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    raw_id_fields = ["user"]


class DeMinimisInline(admin.TabularInline):
    model = models.DeMinimisDeclaration
    extra = 0


@admin.register(models.Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "legal_form", "siret", "rna", "commune"]
    list_filter = ["legal_form", "is_demo"]
    list_select_related = ["commune"]
    search_fields = ["name", "siret", "rna"]
    raw_id_fields = ["commune"]
    inlines = [MembershipInline, DeMinimisInline]


class ExpenseLineInline(admin.TabularInline):
    model = models.ExpenseLine
    extra = 0


class FundingLineInline(admin.TabularInline):
    model = models.FundingLine
    extra = 0


class PieceInline(admin.TabularInline):
    model = models.Piece
    extra = 0
    fields = ["piece_type", "original_name", "content_type", "size", "is_checked", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(models.Dossier)
class DossierAdmin(admin.ModelAdmin):
    """State and lifecycle data are read-only: they change only through the lifecycle services."""

    list_display = [
        "reference",
        "title",
        "organisation",
        "territory",
        "state",
        "requested_amount",
        "created_at",
    ]
    list_filter = ["state", "territory__department", "theme"]
    list_select_related = ["organisation", "territory"]
    search_fields = ["reference", "title", "organisation__name"]
    date_hierarchy = "created_at"
    raw_id_fields = ["organisation", "communes"]
    readonly_fields = [
        "reference",
        "state",
        "state_changed_at",
        "territory",
        "created_by",
        "created_at",
        "rule_set",
        "submitted_at",
        "resubmitted_at",
        "completeness_decided_on",
        "eligible_base",
        "proposed_amount",
        "convention_decided",
        "decided_at",
        "granted_amount",
        "envelope",
        "notified_on",
        "agreement_signed_on",
        "closed_at",
    ]
    inlines = [ExpenseLineInline, FundingLineInline, PieceInline]

    def has_add_permission(self, request):
        # Dossiers are opened by their sponsor (dossiers.services.dossier_create), which gives them a reference.
        return False


@admin.register(models.PieceType)
class PieceTypeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "is_mandatory", "legal_forms", "position"]


@admin.register(models.RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    """Publishing is adding: the form starts from the current version, and saving creates the next one."""

    list_display = ["version", "published_at", "published_by", "note"]
    fields = ["note", *RULE_FIELDS]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changeform_initial_data(self, request):
        current = models.RuleSet.objects.current()
        return {name: getattr(current, name) for name in RULE_FIELDS} if current else {}

    def save_model(self, request, obj, form, change):
        published = ruleset_publish(
            actor=request.user,
            note=form.cleaned_data["note"],
            **{name: form.cleaned_data[name] for name in RULE_FIELDS},
        )
        obj.pk, obj.version = published.pk, published.version
        obj._state.adding = False


admin.site.site_header = _("Territorial contracts — administration")
admin.site.site_title = _("Territorial contracts")
