from django.contrib import admin

from engineering.models import ActivityReport, EngineeringPost


class ActivityReportInline(admin.TabularInline):
    model = ActivityReport
    extra = 0
    fields = ("year", "original_name", "size", "submitted_by", "submitted_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EngineeringPost)
class EngineeringPostAdmin(admin.ModelAdmin):
    """Read-only: posts are created and changed by the sponsor through `engineering.services`."""

    list_display = ("post_title", "holder_name", "dossier", "period_start", "period_end", "regional_amount")
    search_fields = ("post_title", "holder_name", "dossier__reference")
    list_select_related = ("dossier",)
    inlines = [ActivityReportInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
