"""Pages before any account: orientation, its communes' autocomplete, sign-up."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dossiers.enums import LegalForm
from dossiers.http import safe_next
from portal import selectors, services
from portal.forms import (
    OrientationForm,
    SignUpForm,
)
from portal.views.common import posted


def _escaped_json(data) -> HttpResponse:
    """JSON whose text never carries <, > or & as such, whoever reads it and however."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return HttpResponse(text, content_type="application/json; charset=utf-8")


@require_GET
def commune_autocomplete(request):
    """At most 20 communes whose name or postcode starts with `q` (2 characters at least)."""
    query = request.GET.get("q", "").strip()[:100]
    communes = selectors.commune_search(query) if len(query) >= 2 else []
    response = _escaped_json(
        {
            "results": [
                {
                    "insee": commune.insee,
                    "name": commune.name,
                    "postcodes": commune.postcodes,
                    "department": commune.department_id,
                    "label": selectors.commune_label(commune),
                }
                for commune in communes
            ]
        }
    )
    # Public reference data, the same for everyone: browsers may keep it for an hour.
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def orientation(request):
    bound = any(name in request.GET for name in ("commune", "commune_insee", "theme", "legal_form"))
    form = OrientationForm(request.GET if bound else None)
    context = {"form": form, "forms": [form], "result": None}
    if bound and form.is_valid():
        commune, theme, legal_form = (form.cleaned_data[name] for name in ("commune", "theme", "legal_form"))
        result = selectors.orientation_get(commune=commune, legal_form=legal_form)
        query = {"commune": commune.insee, "legal_form": legal_form}
        if theme:
            query["theme"] = theme.code
        start_url = f"{reverse('portal:dossier_new')}?{urlencode(query)}"
        context.update(
            {
                "result": result,
                "theme": theme,
                "legal_form_label": LegalForm(legal_form).label,
                "start_url": start_url,
                "signup_url": f"{reverse('portal:signup')}?{urlencode({'next': start_url})}",
                "login_url": f"{reverse('login')}?{urlencode({'next': start_url})}",
            }
        )
    return render(request, "portal/orientation.html", context)


def signup(request):
    next_url = safe_next(request, reverse("portal:home"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = SignUpForm(posted(request))
    if request.method == "POST" and form.is_valid():
        user = services.sponsor_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your account is created and you are logged in."))
        return redirect(next_url)
    login_url = f"{reverse('login')}?{urlencode({'next': next_url})}"
    return render(
        request, "portal/signup.html", {"form": form, "forms": [form], "next": next_url, "login_url": login_url}
    )
