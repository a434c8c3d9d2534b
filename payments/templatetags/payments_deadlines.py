"""The deadlines' panels of the dossier pages: `{% deadlines_sponsor_panel dossier user %}` (sponsor) and
`{% deadlines_staff_panel dossier user %}` (staff). A fixed number of queries each."""

from django import template
from django.utils import timezone

from payments import deadlines
from payments.permissions import is_sponsor_member, is_territory_officer
from workflows.enums import LAPSABLE_STATES, DossierState

register = template.Library()


# A withdrawn dossier had deadlines once, but they no longer mean anything.
SHOWN_STATES = LAPSABLE_STATES | {DossierState.PAID, DossierState.CLOSED, DossierState.LAPSED}


def _facts(dossier, today) -> dict:
    facts = deadlines.dossier_deadlines(dossier)
    return {
        "dossier": dossier,
        "deadlines": facts,
        "rows": deadlines.deadline_rows(facts, today) if dossier.state in SHOWN_STATES else [],
        "extension": facts.extension,
    }


@register.inclusion_tag("payments/deadlines/_sponsor_panel.html")
def deadlines_sponsor_panel(dossier, user):
    """Both deadlines, the one that runs, the extension's status and, when it can be asked, its form."""
    today = timezone.localdate()
    context = _facts(dossier, today)
    facts = context["deadlines"]
    context["can_ask"] = is_sponsor_member(user, dossier) and deadlines.extension_problem(dossier, facts, today) is None
    context["extension_months"] = dossier.rule_set.extension_months if dossier.rule_set_id else None
    return context


@register.inclusion_tag("payments/deadlines/_staff_panel.html")
def deadlines_staff_panel(dossier, user):
    """The same facts; for the territory's officer or an administrator, the pending extension's decision."""
    context = _facts(dossier, timezone.localdate())
    context["can_decide"] = context["deadlines"].extension_pending and is_territory_officer(user, dossier)
    return context
