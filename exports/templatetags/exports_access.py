from django import template

from exports import views

register = template.Library()


@register.filter
def can_export_dossiers(user) -> bool:
    """Whether the staff's menu shows the user's exports (see `exports.views`)."""
    return views.can_export_dossiers(user)
