"""The bank details' panel of the sponsor's organisation page:
`{% load payments_bank %}{% bank_details_panel organisation request.user %}`."""

from django import template

from payments import bank
from payments.bank_views import BankDetailsForm, bank_panel_context
from payments.permissions import is_organisation_member

register = template.Library()


@register.inclusion_tag("payments/bank/panel.html")
def bank_details_panel(organisation, user):
    """The current details (IBAN masked) and their status, a refusal's reason, and the form to send or
    change them for the organisation's members."""
    can_submit = is_organisation_member(user, organisation)
    return {
        **bank_panel_context(organisation),
        "form": BankDetailsForm(initial={"holder": organisation.name}, auto_id="bank_%s") if can_submit else None,
    }


@register.filter
def can_manage_bank_details(user) -> bool:
    """For the staff site's tabs: `{% if request.user|can_manage_bank_details %}`."""
    return bank.can_manage_bank_details(user)
