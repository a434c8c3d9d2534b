from django.contrib import admin

from workflows.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: visible in full, never editable."""

    list_display = [
        "created_at",
        "dossier",
        "kind",
        "transition",
        "from_state",
        "to_state",
        "actor_name",
        "ip_address",
    ]
    list_filter = ["kind", "transition", "to_state"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__reference", "actor_name", "comment", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
