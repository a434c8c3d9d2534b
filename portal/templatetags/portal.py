"""Amounts and rates in French format, from `dossiers.money`."""

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from dossiers.money import format_eur, format_rate
from workflows.enums import Role
from workflows.permissions import user_roles

register = template.Library()


@register.filter
def eur(value) -> str:
    return "" if value is None or value == "" else format_eur(Decimal(value))


@register.filter
def rate(value) -> str:
    return "" if value is None or value == "" else format_rate(Decimal(value))


@register.filter
def is_sponsor(user) -> bool:
    return Role.SPONSOR in user_roles(user)


@register.simple_tag
def error_items(forms) -> list[tuple[str, str, str]]:
    """Every error of `forms` as (id of the field, its label, message), for the summary at the top of
    a page; the id is empty for errors of a whole form."""
    items = []
    for form in forms or []:
        if not form.is_bound:
            continue
        items += [("", "", error) for error in form.non_field_errors()]
        for field in form:
            items += [(field.id_for_label or field.auto_id, field.label, error) for error in field.errors]
    return items


@register.filter
def get(mapping, key):
    return mapping.get(key, "")


@register.simple_tag
def portal_js_messages() -> dict[str, str]:
    """The sentences of portal.js, translated here (it reads them from the page)."""
    return {
        "communes_list": _("Matching communes"),
        "no_commune": _("No commune found."),
        "one_commune": _("1 commune found: press Enter to choose it."),
        "communes_found": _("%(count)s communes found: use the up and down arrows, then Enter."),
        "commune_added": _("%(commune)s added to the communes of the project."),
    }
