"""The payments' panels of the two dossier pages: the dossier's requests, its figures, and the way to
the next step (ask, check, validate)."""

from django import template

from payments import selectors
from payments.permissions import is_finance, is_territory_officer
from payments.presentation import payment_summary
from workflows.enums import COMMITTED_STATES, FINANCE_STATES

register = template.Library()


@register.inclusion_tag("payments/requests/_sponsor_panel.html")
def payments_sponsor_panel(dossier, user):
    if dossier.state not in COMMITTED_STATES | FINANCE_STATES or not dossier.notified_on:
        return {"shown": False}
    requests = selectors.dossier_payment_requests(dossier)
    return {"shown": True, "dossier": dossier, "requests": requests, "summary": payment_summary(dossier, requests)}


@register.inclusion_tag("payments/requests/_staff_panel.html")
def payments_staff_panel(dossier, user):
    if not selectors.can_view_payment_requests(user) or dossier.granted_amount is None:
        return {"shown": False}
    if not (is_territory_officer(user, dossier) or is_finance(user)):
        return {"shown": False}
    requests = selectors.dossier_payment_requests(dossier)
    return {"shown": True, "dossier": dossier, "requests": requests, "summary": payment_summary(dossier, requests)}


@register.filter
def can_view_payment_requests(user) -> bool:
    return selectors.can_view_payment_requests(user)


@register.filter
def can_manage_payment_orders(user) -> bool:
    from payments.orders import can_manage_payment_orders as allowed

    return allowed(user)
