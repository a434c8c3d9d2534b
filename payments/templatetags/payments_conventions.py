"""The signed convention's panels of the dossier pages:
`{% load payments_conventions %}{% convention_sponsor_panel dossier request.user %}` on the sponsor's page,
`{% convention_staff_panel dossier request.user %}` on the staff's. Both render nothing when the grant
needs no convention."""

from django import template

from documents.models import DocumentKind, IssuedDocument
from payments.convention_views import ConventionRefuseForm, ConventionUploadForm
from payments.conventions import (
    convention_is_required,
    is_sponsor_member,
    live_copy,
    signed_convention_list,
)
from payments.models import ConventionStatus
from payments.permissions import is_territory_officer
from workflows.enums import DossierState

register = template.Library()


@register.inclusion_tag("payments/conventions/sponsor_panel.html")
def convention_sponsor_panel(dossier, user):
    """What to do (sign the convention issued with the notification and send it back), the upload form,
    the copy's status and a refusal's reason."""
    if not convention_is_required(dossier):
        return {"required": False}
    copies = signed_convention_list(dossier)
    live = live_copy(copies)
    can_upload = dossier.state == DossierState.NOTIFIED and live is None and is_sponsor_member(user, dossier)
    return {
        "required": True,
        "dossier": dossier,
        "copies": copies,
        "live": live,
        "refused": copies[0] if copies and live is None else None,
        "convention_document": IssuedDocument.objects.filter(dossier=dossier, kind=DocumentKind.CONVENTION)
        .order_by("-issued_at", "-id")
        .first(),
        "form": ConventionUploadForm(auto_id="convention_%s") if can_upload else None,
    }


@register.inclusion_tag("payments/conventions/staff_panel.html", takes_context=True)
def convention_staff_panel(context, dossier, user):
    """The copies sent, their downloads, and for the territory's officer the countersignature or the
    refusal of the copy waiting."""
    if not convention_is_required(dossier):
        return {"required": False}
    copies = signed_convention_list(dossier)
    live = live_copy(copies)
    can_decide = (
        live is not None
        and live.status == ConventionStatus.SUBMITTED
        and dossier.state == DossierState.NOTIFIED
        and is_territory_officer(user, dossier)
    )
    request = context.get("request")
    return {
        "required": True,
        "dossier": dossier,
        "copies": copies,
        "live": live,
        "can_decide": can_decide,
        "refuse_form": ConventionRefuseForm(auto_id="convention_%s") if can_decide else None,
        "next": request.get_full_path() if request is not None else "",
    }
