from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from guardian.admin import GuardedModelAdmin

from dossiers import models
from dossiers.services import RULE_FIELDS, ruleset_publish, territory_save_new


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


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

    def save_model(self, request, obj, form, change):
        # Officers are assigned by adding them to the territory's group (and to the "officer" role group).
        if change:
            obj.save()
        else:
            territory_save_new(territory=obj)


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


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0


class ExpenseLineInline(ReadOnlyInline):
    model = models.ExpenseLine


class FundingLineInline(ReadOnlyInline):
    model = models.FundingLine


class PieceInline(ReadOnlyInline):
    model = models.Piece
    fields = ["piece_type", "original_name", "content_type", "size", "is_checked", "uploaded_at"]
    readonly_fields = fields


@admin.register(models.Dossier)
class DossierAdmin(ReadOnlyAdmin):
    """Dossiers are shown in full and never edited here: their content is the sponsor's (through
    dossiers.services) and their state the lifecycle's (through workflows.services)."""

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
    inlines = [ExpenseLineInline, FundingLineInline, PieceInline]


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
