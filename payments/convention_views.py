"""The signed convention's pages: the sponsor's upload (posted from the dossier's page), the download of
a copy, and the officer's countersignature or refusal (posted from the staff's dossier page)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dossiers.http import attachment_response, client_ip, error_text, form_errors, safe_next
from payments.conventions import (
    convention_countersign,
    convention_refuse,
    convention_submit,
    signed_convention_list_for_user,
    signed_convention_list_to_decide,
)
from portal.forms import DATE_WIDGET
from portal.views.common import get_dossier, sponsor_required
from workflows.services import TransitionRefused


class ConventionUploadForm(forms.Form):
    uploaded = forms.FileField(
        label=gettext_lazy("Signed convention (PDF)"),
        help_text=gettext_lazy("The convention sent with the notification, signed and scanned as one PDF file."),
    )
    signed_on = forms.DateField(label=gettext_lazy("Date of your signature"), widget=DATE_WIDGET)


class ConventionRefuseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason of the refusal (sent to the sponsor)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@sponsor_required
@require_POST
def convention_submit_view(request, pk):
    dossier = get_dossier(request, pk)
    form = ConventionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for problem in form_errors(form):
            messages.error(request, _("The convention was not sent: %(reason)s") % {"reason": problem})
    else:
        try:
            convention_submit(dossier=dossier, actor=request.user, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _("The convention was not sent: %(reason)s") % {"reason": error_text(error)})
        else:
            messages.success(
                request, _("The signed convention was sent: the territory's officer will check and countersign it.")
            )
    return redirect(f"{reverse('portal:dossier_detail', args=[dossier.pk])}#convention")


@login_required
@require_GET
def convention_download(request, pk):
    """A signed copy, to the members of the dossier's organisation and the staff who see the dossier."""
    copy = signed_convention_list_for_user(request.user).filter(pk=pk).first()
    if copy is None:
        raise Http404(_("No such file, or it is outside your scope."))
    return attachment_response(copy)


def _copy_to_decide(request, pk):
    copy = signed_convention_list_to_decide(request.user).filter(pk=pk).first()
    if copy is None:
        raise Http404(_("No such signed convention, or it is outside your scope."))
    return copy


def _back(request, copy):
    return redirect(safe_next(request, reverse("dossier_detail", args=[copy.dossier_id])))


@login_required
@require_POST
def convention_countersign_view(request, pk):
    copy = _copy_to_decide(request, pk)
    try:
        convention_countersign(copy=copy, actor=request.user, ip_address=client_ip(request))
    except TransitionRefused as refusal:
        messages.error(request, refusal.message)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The convention is countersigned: the dossier is under convention."))
    return _back(request, copy)


@login_required
@require_POST
def convention_refuse_view(request, pk):
    copy = _copy_to_decide(request, pk)
    form = ConventionRefuseForm(request.POST)
    if not form.is_valid():
        for problem in form_errors(form):
            messages.error(request, problem)
        return _back(request, copy)
    try:
        convention_refuse(copy=copy, actor=request.user, reason=form.cleaned_data["reason"])
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("The copy is refused; the sponsor is told why and may send a new one."))
    return _back(request, copy)
