from django import template

from diagnostics import selectors

register = template.Library()


@register.filter
def sees_diagnostics(user) -> bool:
    """Whether the staff's menu shows the diagnostics (see `diagnostics.selectors`)."""
    return selectors.sees_diagnostics(user)
