from django.contrib import admin

from committees.models import AgendaItem, CommitteeSession
from dossiers.admin import ReadOnlyMixin

ITEM_FIELDS = [
    "position",
    "dossier",
    "added_at",
    "proposed_amount",
    "eligible_base",
    "result",
    "voted_amount",
    "decided_at",
    "deliberation_number",
]


class AgendaItemInline(ReadOnlyMixin, admin.TabularInline):
    model = AgendaItem
    fields = ITEM_FIELDS
    readonly_fields = ITEM_FIELDS
    extra = 0


@admin.register(CommitteeSession)
class CommitteeSessionAdmin(admin.ModelAdmin):
    """Date, place and members are editable here; the status moves on from the staff's session page
    only (forward, through `session_set_status`)."""

    list_display = ["sits_on", "body", "place", "status"]
    list_filter = ["body", "status"]
    date_hierarchy = "sits_on"
    readonly_fields = ["status", "created_at"]
    filter_horizontal = ["members"]
    inlines = [AgendaItemInline]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj is not None else []


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["session", "position", "dossier", "result", "voted_amount", "deliberation_number"]
    list_filter = ["result", "session__body"]
    list_select_related = ["session", "dossier"]
    search_fields = ["dossier__reference", "deliberation_number"]
    raw_id_fields = ["dossier"]
