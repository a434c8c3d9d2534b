"""The sponsor's home, their organisations and the requests to join them."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dossiers.http import safe_next
from dossiers.models import Organisation
from dossiers.services import organisation_create
from portal import selectors, services
from portal.enums import STATE_EXPLANATIONS, MembershipRequestStatus
from portal.forms import (
    JoinRequestForm,
    OrganisationForm,
)
from portal.models import MembershipRequest
from portal.views.common import add_errors, posted, sponsor_required

PAGE_SIZE = 50


@sponsor_required
def home(request):
    dossiers = selectors.sponsor_dossier_list(request.user).order_by("-created_at", "-pk")
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/home.html",
        {
            "page": page,
            "explanations": STATE_EXPLANATIONS,
            "organisations": selectors.sponsor_organisation_list(request.user),
            "requests_to_decide": selectors.membership_requests_to_decide(request.user),
            "my_requests": selectors.membership_request_list_of(request.user).filter(
                status=MembershipRequestStatus.PENDING
            ),
        },
    )


@sponsor_required
def organisation_new(request):
    next_url = safe_next(request, reverse("portal:home"))
    initial = {"legal_form": request.GET.get("legal_form", ""), "commune": request.GET.get("commune", "")}
    form = OrganisationForm(posted(request), initial=initial)
    join_url = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = organisation_create(
                creator=request.user,
                name=data["name"],
                legal_form=data["legal_form"],
                siret=data["siret"] or None,
                rna=data["rna"] or None,
                address=data["address"],
                commune=data["commune"],
                email=data["email"],
            )
        except ValidationError as error:
            if error.code in ("siret_taken", "rna_taken"):
                identifier = data["siret"] if error.code == "siret_taken" else data["rna"]
                join_url = f"{reverse('portal:organisation_join')}?{urlencode({'identifier': identifier})}"
            add_errors(error, form, field=form.error_field(error.code))
        else:
            messages.success(
                request,
                _("The organisation “%(name)s” is registered; you are its first member.") % {"name": organisation.name},
            )
            return redirect(next_url)
    return render(
        request, "portal/organisation_new.html", {"form": form, "forms": [form], "next": next_url, "join_url": join_url}
    )


@sponsor_required
def organisation_join(request):
    form = JoinRequestForm(posted(request), initial={"identifier": request.GET.get("identifier", "")})
    if request.method == "POST" and form.is_valid():
        organisation = selectors.organisation_find(**form.cleaned_data["identifier"])
        if organisation is None:
            form.add_error(
                "identifier",
                _("No organisation is registered with this number: register it yourself."),
            )
        else:
            try:
                services.membership_request_create(
                    user=request.user, organisation=organisation, message=form.cleaned_data["message"]
                )
            except ValidationError as error:
                add_errors(error, form, field="identifier")
            else:
                messages.success(
                    request,
                    _(
                        "Your request was sent to the members of “%(name)s”; you will be able to file dossiers "
                        "once one of them accepts it."
                    )
                    % {"name": organisation.name},
                )
                return redirect("portal:home")
    return render(request, "portal/organisation_join.html", {"form": form, "forms": [form]})


@sponsor_required
def organisation_detail(request, pk):
    try:
        organisation = selectors.sponsor_organisation_get(request.user, pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "portal/organisation_detail.html",
        {
            "organisation": organisation,
            "members": organisation.members.order_by("last_name", "first_name", "username"),
            "requests": selectors.membership_requests_to_decide(request.user).filter(organisation=organisation),
        },
    )


@sponsor_required
@require_POST
def membership_request_decide(request, pk, decision):
    try:
        membership_request = selectors.membership_requests_to_decide(request.user).get(pk=pk)
    except MembershipRequest.DoesNotExist:
        raise Http404 from None
    service = {"accepter": services.membership_request_accept, "refuser": services.membership_request_refuse}.get(
        decision
    )
    if service is None:
        raise Http404
    try:
        decided = service(membership_request=membership_request, actor=request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        name = decided.user.get_full_name() or decided.user.get_username()
        if decided.status == MembershipRequestStatus.ACCEPTED:
            messages.success(request, _("%(name)s is now a member of the organisation.") % {"name": name})
        else:
            messages.success(request, _("The request of %(name)s was refused.") % {"name": name})
    return redirect("portal:organisation_detail", pk=membership_request.organisation_id)
