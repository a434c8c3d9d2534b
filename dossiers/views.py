from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from dossiers.models import Dossier
from dossiers.rules import dossier_financing_plan
from dossiers.selectors import dossier_get_for_user, dossier_list_for_user
from dossiers.services import CHECKABLE_STATES, piece_set_checked
from workflows.enums import DossierState
from workflows.forms import ACTIONS
from workflows.lifecycle import TRANSITIONS
from workflows.permissions import can_fire_transition, is_administrator, officer_territory_ids, user_roles
from workflows.selectors import audit_event_list_for_user
from workflows.services import TransitionRefused

PAGE_SIZE = 50


def _get_dossier(request, pk) -> Dossier:
    try:
        return dossier_get_for_user(request.user, pk)
    except Dossier.DoesNotExist:
        raise Http404(_("No such dossier, or it is outside your scope.")) from None


@login_required
def home(request):
    dossiers = dossier_list_for_user(request.user).order_by("-created_at", "-pk")
    state = request.GET.get("state", "")
    if state in DossierState.values:
        dossiers = dossiers.filter(state=state)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dossiers/home.html",
        {
            "page": page,
            "states": DossierState.choices,
            "state": state,
            "roles": sorted(user_roles(request.user)),
        },
    )


def available_actions(user, dossier):
    return [
        (spec, ACTIONS[name][0]())
        for name, spec in TRANSITIONS.items()
        if can_proceed(getattr(dossier, name)) and can_fire_transition(user, dossier, spec)
    ]


@login_required
def dossier_detail(request, pk):
    dossier = _get_dossier(request, pk)
    context = {
        "dossier": dossier,
        "plan": dossier_financing_plan(dossier),
        "expense_lines": dossier.expense_lines.all(),
        "funding_lines": dossier.funding_lines.all(),
        "pieces": dossier.pieces.select_related("piece_type"),
        "communes": dossier.communes.all(),
        "events": audit_event_list_for_user(request.user).filter(dossier=dossier),
        "actions": available_actions(request.user, dossier),
        "can_check_pieces": dossier.state in CHECKABLE_STATES
        and (is_administrator(request.user) or dossier.territory_id in officer_territory_ids(request.user)),
    }
    return render(request, "dossiers/detail.html", context)


@login_required
@require_POST
def dossier_transition(request, pk, name):
    dossier = _get_dossier(request, pk)
    if name not in ACTIONS:
        raise Http404
    form_class, service = ACTIONS[name]
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("dossier_detail", pk=pk)
    try:
        service(
            dossier=dossier,
            actor=request.user,
            ip_address=request.META.get("REMOTE_ADDR"),
            **form.cleaned_data,
        )
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": TRANSITIONS[name].label})
    return redirect("dossier_detail", pk=pk)


@login_required
@require_POST
def piece_check(request, pk, piece_pk):
    dossier = _get_dossier(request, pk)
    piece = dossier.pieces.filter(pk=piece_pk).first()
    if piece is None:
        raise Http404
    try:
        piece_set_checked(piece=piece, actor=request.user, checked=request.POST.get("checked") == "1")
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return redirect("dossier_detail", pk=pk)
