from django.contrib import admin

from api.models import ApiToken, ServiceAccount


class ReadOnlyAdmin(admin.ModelAdmin):
    """For inspection only: tokens and service accounts are created and revoked by their owners' pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "last_used_ip", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    list_select_related = ["user"]
    exclude = ["digest"]


@admin.register(ServiceAccount)
class ServiceAccountAdmin(ReadOnlyAdmin):
    list_display = ["user", "organisation", "created_at"]
    search_fields = ["user__username", "organisation__name", "organisation__siret"]
    list_select_related = ["user", "organisation"]
