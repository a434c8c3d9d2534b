from django import template

from committees import envelopes, permissions

register = template.Library()


@register.filter
def can_view_sessions(user) -> bool:
    """`{% if request.user|can_view_sessions %}`: whether the committee's pages are open to the user."""
    return permissions.can_view_sessions(user)


@register.filter
def can_view_envelopes(user) -> bool:
    """`{% if request.user|can_view_envelopes %}`: whether the envelopes' page is open to the user."""
    return envelopes.can_view_envelopes(user)


@register.filter
def can_view_scenarios(user) -> bool:
    """`{% if request.user|can_view_scenarios %}`: whether the scenarios' pages are open to the user."""
    from committees.scenarios import can_view_scenarios

    return can_view_scenarios(user)


@register.filter
def is_committee_member(user) -> bool:
    """`{% if request.user|is_committee_member %}`: whether "My sessions" is open to the user."""
    return permissions.is_committee_member(user)
