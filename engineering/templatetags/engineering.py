"""Panels of territorial engineering: `{% engineering_post_panel dossier %}` on both dossier pages
(nothing for a project) and `{% contract_engineering contract %}` (the contract's engineering dossiers).
A fixed number of queries each."""

from django import template

from engineering import selectors, services
from engineering.enums import REPORTING_STATES, ReportStatus
from engineering.forms import ActivityReportForm
from workflows.enums import DossierState
from workflows.permissions import organisation_ids

register = template.Library()


@register.inclusion_tag("engineering/_post_panel.html", takes_context=True)
def engineering_post_panel(context, dossier):
    """The post, its figures and its yearly reports. On the sponsor's page (the portal), its members
    also get the link to change the post while a draft and the form to send a report once notified."""
    post = selectors.post_for_dossier(dossier)
    if post is None:
        return {"post": None}
    request = context["request"]
    user = request.user
    on_portal = request.resolver_match is not None and "portal" in request.resolver_match.namespaces
    is_sponsor = dossier.organisation_id in organisation_ids(user)
    expected = services.reports_expected(post)
    missing_years = [row.year for row in expected if row.status != ReportStatus.RECEIVED]
    can_send = on_portal and is_sponsor and dossier.state in REPORTING_STATES and bool(missing_years)
    return {
        "post": post,
        "dossier": dossier,
        "expected": expected,
        "on_portal": on_portal,
        "can_download": selectors.can_read_reports(user, dossier),
        "can_edit": on_portal and is_sponsor and dossier.state == DossierState.DRAFT,
        "out_of_step": dossier.state == DossierState.DRAFT and dossier.requested_amount != post.regional_amount,
        "report_form": ActivityReportForm(years=missing_years, prefix="report") if can_send else None,
    }


@register.inclusion_tag("engineering/_contract_engineering.html")
def contract_engineering(contract):
    """The engineering dossiers of the contract (submitted or later): post, holder, period, amounts,
    state and reports received."""
    rows = []
    for post in selectors.contract_post_list(contract):
        rows.append({"post": post, "dossier": post.dossier, "reports": len(post.activity_reports.all())})
    return {"rows": rows, "contract": contract}
