"""The extension of a deadline: the sponsor asks for it, the territory's officer grants or refuses it. Both
are POSTs from the dossier pages (panels of `payments.templatetags.payments_deadlines`), answered by a
redirect back with a message."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dossiers.http import error_text
from dossiers.models import Dossier
from payments import deadlines
from payments.models import ExtensionRequest
from portal.views.common import sponsor_required


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why the extension is needed"), max_length=5000, required=False)


class ExtensionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "grant"), ("refuse", "refuse")])
    comment = forms.CharField(max_length=5000, required=False)


@sponsor_required
@require_POST
def extension_ask(request, pk):
    try:
        dossier = deadlines.sponsor_dossier_for_extension(request.user, pk)
    except Dossier.DoesNotExist:
        raise Http404(_("No such dossier among your organisations' dossiers.")) from None
    form = ExtensionRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    else:
        try:
            extension = deadlines.extension_request(
                dossier=dossier, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Your request for an extension of %(months)s months is sent to the territorial officer.")
                % {"months": extension.months},
            )
    return redirect("portal:dossier_detail", pk=dossier.pk)


@login_required
@require_POST
def extension_decide(request, pk):
    try:
        dossier = deadlines.staff_dossier_for_extension(request.user, pk)
        extension = ExtensionRequest.objects.get(dossier=dossier)
    except (Dossier.DoesNotExist, ExtensionRequest.DoesNotExist):
        raise Http404(_("No such extension request, or it is outside your scope.")) from None
    form = ExtensionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to grant or to refuse the extension."))
    else:
        grant = form.cleaned_data["decision"] == "grant"
        try:
            deadlines.extension_decide(
                extension=extension, actor=request.user, grant=grant, comment=form.cleaned_data["comment"]
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The extension is granted.") if grant else _("The extension is refused."))
    return redirect("instruction:dossier_page", pk=dossier.pk)
