"""The pages where a user manages their API tokens, and a sponsor those of their organisations' service
accounts. A raw token appears once, in the answer to its creation."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from api.models import ApiToken
from api.tokens import (
    organisations_with_service_account_for,
    service_token_create,
    token_create,
    token_revoke,
    tokens_manageable_by,
)
from dossiers.views import is_staff_member


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("What the token is for, e.g. “accounting export”."),
    )


def _base_template(user) -> str:
    return "api/_staff_base.html" if is_staff_member(user) else "api/_portal_base.html"


def _organisation_form(pk: int, data=None) -> TokenForm:
    return TokenForm(data, prefix=f"organisation-{pk}")


def _list_context(request, *, form=None, organisation_forms=None) -> dict:
    user = request.user
    organisations = list(organisations_with_service_account_for(user))
    tokens = tokens_manageable_by(user).annotate(organisation_id=F("user__service_account__organisation_id"))
    by_organisation: dict[int, list[ApiToken]] = {organisation.pk: [] for organisation in organisations}
    personal = []
    for token in tokens:
        if token.user_id == user.pk:
            personal.append(token)
        elif token.organisation_id in by_organisation:
            by_organisation[token.organisation_id].append(token)
    organisation_forms = organisation_forms or {}
    return {
        "base_template": _base_template(user),
        "tokens": personal,
        "form": form or TokenForm(),
        "organisations": [
            (
                organisation,
                by_organisation[organisation.pk],
                organisation_forms.get(organisation.pk) or _organisation_form(organisation.pk),
            )
            for organisation in organisations
        ],
    }


@login_required
@require_safe
def token_list(request):
    return render(request, "api/token_list.html", _list_context(request))


def _created(request, token: ApiToken, raw: str, organisation=None):
    context = {"base_template": _base_template(request.user), "token": token, "raw": raw, "organisation": organisation}
    return render(request, "api/token_created.html", context)


@never_cache
@login_required
@require_POST
def token_new(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", error)
        else:
            return _created(request, token, raw)
    return render(request, "api/token_list.html", _list_context(request, form=form))


@never_cache
@login_required
@require_POST
def service_token_new(request, pk):
    organisation = organisations_with_service_account_for(request.user).filter(pk=pk).first()
    if organisation is None:
        raise Http404(_("No such organisation."))
    form = _organisation_form(organisation.pk, request.POST)
    if form.is_valid():
        try:
            token, raw = service_token_create(
                organisation=organisation, actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            return _created(request, token, raw, organisation)
    context = _list_context(request, organisation_forms={organisation.pk: form})
    return render(request, "api/token_list.html", context)


@login_required
@require_POST
def token_revoke_view(request, pk):
    token = tokens_manageable_by(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404(_("No such token."))
    try:
        token_revoke(token=token, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api_tokens:token_list")
