"""Creating a draft, the dossier's page, withdrawal, and the pieces' files."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dossiers.http import attachment_response, client_ip
from dossiers.models import Commune, Dossier, Piece, Theme
from dossiers.rules import dossier_financing_plan
from dossiers.services import EDITABLE_STATES
from portal import selectors, services
from portal.enums import STATE_EXPLANATIONS, Step
from portal.forms import (
    DatesForm,
    NewProjectForm,
    PlaceForm,
)
from portal.views.common import add_errors, get_dossier, posted, sponsor_required
from portal.views.steps import adding_commune, steps_nav, with_commune_added
from workflows.enums import WITHDRAWABLE_STATES
from workflows.forms import OptionalReasonForm
from workflows.services import TransitionRefused, dossier_withdraw


@sponsor_required
def dossier_new(request):
    """Steps (a), (b) and (c) on one page: a draft needs them all to exist."""
    organisations = list(selectors.sponsor_organisation_list(request.user))
    if not organisations:
        messages.info(
            request, _("Register your organisation first (or ask to join it): dossiers are filed in its name.")
        )
        query = {"next": request.get_full_path()}
        for name in ("legal_form", "commune"):
            if request.GET.get(name):
                query[name] = request.GET[name]
        return redirect(f"{reverse('portal:organisation_new')}?{urlencode(query)}")
    legal_form = request.GET.get("legal_form", "")
    preferred = next((o for o in organisations if o.legal_form == legal_form), organisations[0])
    theme = Theme.objects.filter(code=request.GET.get("theme", "")).first()
    commune = request.GET.get("commune", "")
    initial = {"organisation": preferred.pk, "theme": theme.pk if theme else None}
    project = NewProjectForm(posted(request), user=request.user, initial=initial)
    place = PlaceForm(posted(request), initial={"communes": [commune] if commune else []})
    dates = DatesForm(posted(request))
    if request.method == "POST" and adding_commune(request):
        # Without JavaScript, "add this commune" comes back here with the commune ticked and what was
        # typed elsewhere kept, not yet checked.
        typed = request.POST.dict()
        project = NewProjectForm(user=request.user, initial={**initial, **typed})
        dates = DatesForm(initial=typed)
        if place.is_valid():
            place = with_commune_added(place)
    elif request.method == "POST" and all([project.is_valid(), place.is_valid(), dates.is_valid()]):
        try:
            dossier = services.dossier_start(
                actor=request.user,
                communes=place.cleaned_data["communes"],
                **project.cleaned_data,
                **dates.cleaned_data,
            )
        except ValidationError as error:
            add_errors(error, place, project, dates, field="communes")
        else:
            messages.success(
                request,
                _("Draft %(reference)s saved. Next: the financing plan.") % {"reference": dossier.reference},
            )
            return redirect("portal:dossier_step", pk=dossier.pk, step=Step.FINANCING.value)
    if place.is_bound:
        chosen = place.cleaned_data.get("communes", []) if place.is_valid() else []
    else:
        chosen = list(Commune.objects.filter(pk=commune)) if commune else []
    return render(
        request,
        "portal/dossier_new.html",
        {
            "project": project,
            "place": place,
            "dates": dates,
            "forms": [project, place, dates],
            "place_preview": _place_preview(chosen),
        },
    )


def _place_preview(communes) -> selectors.Place | None:
    """The territory and contract the communes chosen so far lead to, shown before the draft exists."""
    if not communes:
        return None
    try:
        return selectors.place_for_communes(list(communes))
    except ValidationError:
        return None


@sponsor_required
def dossier_detail(request, pk):
    dossier = get_dossier(request, pk)
    editable = dossier.state in EDITABLE_STATES
    context = {
        "dossier": dossier,
        "explanation": STATE_EXPLANATIONS[dossier.state],
        "editable": editable,
        "plan": dossier_financing_plan(dossier),
        "expense_lines": dossier.expense_lines.all(),
        "funding_lines": dossier.funding_lines.all(),
        "pieces": dossier.pieces.select_related("piece_type"),
        "communes": dossier.communes.all(),
        "timeline": selectors.dossier_timeline(request.user, dossier),
        "incomplete_request": selectors.incomplete_request(request.user, dossier),
        "steps": steps_nav(dossier, None) if editable else [],
        "can_withdraw": dossier.state in WITHDRAWABLE_STATES,
    }
    return render(request, "portal/dossier_detail.html", context)


@sponsor_required
@require_POST
def piece_remove(request, pk, piece_pk):
    dossier = get_dossier(request, pk)
    piece = dossier.pieces.filter(pk=piece_pk).select_related("dossier").first()
    if piece is None:
        raise Http404
    try:
        services.piece_remove(piece=piece, actor=request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, _("The file “%(name)s” is removed.") % {"name": piece.original_name})
    return redirect("portal:dossier_step", pk=dossier.pk, step=Step.PIECES.value)


@sponsor_required
def dossier_withdraw_confirm(request, pk):
    dossier = get_dossier(request, pk)
    form = OptionalReasonForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            dossier_withdraw(
                dossier=dossier, actor=request.user, reason=form.cleaned_data["reason"], ip_address=client_ip(request)
            )
        except TransitionRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Dossier %(reference)s withdrawn.") % {"reference": dossier.reference})
            return redirect("portal:dossier_detail", pk=dossier.pk)
    return render(
        request,
        "portal/dossier_withdraw.html",
        {"dossier": dossier, "form": form, "forms": [form], "can_withdraw": dossier.state in WITHDRAWABLE_STATES},
    )


@login_required
@require_GET
def piece_download(request, pk, piece_pk):
    """The file of a piece, to whoever may see its dossier (its sponsor, the territory's officers...)."""
    try:
        piece = selectors.dossier_piece_get(request.user, dossier_pk=pk, piece_pk=piece_pk)
    except (Dossier.DoesNotExist, Piece.DoesNotExist):
        raise Http404 from None
    return attachment_response(piece)
