"""Entry points shared by every role: the home page and the dossier's address route each person to
their space (the sponsor portal or the staff's instruction site); the lifecycle's actions outside the
instruction process, and the check of pieces, are posted here from the staff's dossier page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed

from dossiers.http import client_ip, dossier_or_404, safe_next
from dossiers.selectors import dossier_list_for_user
from dossiers.services import piece_set_checked
from workflows.enums import Role
from workflows.forms import ACTIONS
from workflows.lifecycle import TRANSITIONS
from workflows.permissions import can_fire_transition, user_roles
from workflows.services import TransitionRefused


def is_staff_member(user) -> bool:
    return bool(user_roles(user) - {Role.SPONSOR})


@login_required
def home(request):
    """The Region's staff land on the instruction site, everyone else in the sponsor portal."""
    return redirect("instruction:index" if is_staff_member(request.user) else "portal:home")


@login_required
def dossier_detail(request, pk):
    """A dossier's address for everyone (e-mails and notifications link here): the staff's dossier
    page for those who see it as staff, the sponsor's page for its sponsors, 404 otherwise."""
    user = request.user
    if is_staff_member(user) and dossier_list_for_user(user, staff_only=True).filter(pk=pk).exists():
        return redirect("instruction:dossier_page", pk=pk)
    dossier_or_404(request, pk)
    return redirect("portal:dossier_detail", pk=pk)


def _back(request, pk):
    return redirect(safe_next(request, reverse("dossier_detail", args=[pk])))


def available_actions(user, dossier):
    """The lifecycle's actions outside the instruction process that `user` may fire now."""
    return [
        (spec, ACTIONS[name][0]())
        for name, spec in TRANSITIONS.items()
        if name in ACTIONS and can_proceed(getattr(dossier, name)) and can_fire_transition(user, dossier, spec)
    ]


@login_required
@require_POST
def dossier_transition(request, pk, name):
    dossier = dossier_or_404(request, pk)
    if name not in ACTIONS:
        raise Http404
    form_class, service = ACTIONS[name]
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, pk)
    try:
        service(dossier=dossier, actor=request.user, ip_address=client_ip(request), **form.cleaned_data)
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": TRANSITIONS[name].label})
    return _back(request, pk)


@login_required
@require_POST
def piece_check(request, pk, piece_pk):
    dossier = dossier_or_404(request, pk)
    piece = dossier.pieces.filter(pk=piece_pk).first()
    if piece is None:
        raise Http404
    try:
        piece_set_checked(piece=piece, actor=request.user, checked=request.POST.get("checked") == "1")
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    return _back(request, pk)
