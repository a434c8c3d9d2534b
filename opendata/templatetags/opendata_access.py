from django import template

from opendata import services

register = template.Library()


@register.filter
def can_view_publications(user) -> bool:
    """Whether the staff's menu shows the open-data publications (see `opendata.services`)."""
    return services.can_view_publications(user)
