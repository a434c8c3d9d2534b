from django import template

from roadmaps.services import follows_roadmaps

register = template.Library()


@register.filter
def can_follow_roadmaps(user) -> bool:
    """The staff tab bar's Roadmaps and Follow-up meetings tabs: administrators, and the officers and
    elected representatives of a territory."""
    return follows_roadmaps(user)
