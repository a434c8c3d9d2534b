from django.contrib import admin

from diagnostics.models import Indicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    """The indicators' reference table; their values, the methods and the classifications are written
    on the staff site (/region/diagnostics/), through the services that version them."""

    list_display = ("code", "label", "dimension", "unit", "direction", "position")
    list_filter = ("dimension", "direction")
    search_fields = ("code", "label")
