"""Sponsor pages of territorial engineering (apply for a post, change it while a draft, send the yearly
activity report) and the download of a report. Outside the user's scope: a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dossiers.http import attachment_response, error_text, form_errors
from engineering import selectors, services
from engineering.forms import ActivityReportForm, EngineeringPostForm, NewEngineeringPostForm
from engineering.models import ActivityReport, EngineeringPost
from portal.selectors import signed_contract_for, sponsor_organisation_list
from portal.views.common import add_errors, posted, sponsor_required
from workflows.enums import DossierState


def _post_or_404(request, pk) -> EngineeringPost:
    try:
        return selectors.sponsor_post_get(request.user, pk)
    except EngineeringPost.DoesNotExist:
        raise Http404(_("No such engineering post among your organisations' dossiers.")) from None


def _initial_contract(organisations):
    for organisation in organisations:
        commune = organisation.commune
        if commune is not None and commune.epci_id and commune.epci.territory_id:
            contract = signed_contract_for(commune.epci.territory)
            if contract is not None:
                return organisation, contract
    return organisations[0], None


@sponsor_required
def post_new(request):
    """Apply for an engineering post: the draft dossier is created, then completed on its page."""
    organisations = list(sponsor_organisation_list(request.user).select_related("commune__epci__territory"))
    if not organisations:
        messages.info(
            request, _("Register your organisation first (or ask to join it): dossiers are filed in its name.")
        )
        return redirect("portal:organisation_new")
    organisation, contract = _initial_contract(organisations)
    initial = {"organisation": organisation.pk, "contract": contract.pk if contract else None}
    form = NewEngineeringPostForm(posted(request), user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.engineering_dossier_create(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                contract=form.cleaned_data["contract"],
                post=form.post_data(),
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(error if isinstance(error, ValidationError) else ValidationError(str(error)), form)
        else:
            messages.success(
                request,
                _("Draft %(reference)s saved. Next: the pieces, then submit the dossier.")
                % {"reference": post.dossier.reference},
            )
            return redirect("portal:dossier_detail", pk=post.dossier_id)
    return render(request, "engineering/post_form.html", {"form": form, "forms": [form], "post": None})


@login_required
def post_edit(request, pk):
    """Change the post while its dossier is a draft; the draft's amount and financing plan follow."""
    post = _post_or_404(request, pk)
    if post.dossier.state != DossierState.DRAFT:
        messages.info(request, _("The post can only be changed while its dossier is a draft."))
        return redirect("portal:dossier_detail", pk=post.dossier_id)
    form = EngineeringPostForm(posted(request), initial=EngineeringPostForm.initial_for(post))
    if request.method == "POST" and form.is_valid():
        try:
            services.engineering_post_update(actor=request.user, post=post, data=form.post_data())
        except (ValidationError, PermissionDenied) as error:
            add_errors(error if isinstance(error, ValidationError) else ValidationError(str(error)), form)
        else:
            messages.success(request, _("The post is saved; the amount requested and the financing plan follow it."))
            return redirect("portal:dossier_detail", pk=post.dossier_id)
    return render(request, "engineering/post_form.html", {"form": form, "forms": [form], "post": post})


@login_required
@require_POST
def report_upload(request, pk):
    """The yearly activity report, sent from the dossier's page once the grant is notified."""
    post = _post_or_404(request, pk)
    form = ActivityReportForm(request.POST, request.FILES, years=services.report_years(post), prefix="report")
    if not form.is_valid():
        for error in form_errors(form):
            messages.error(request, error)
    else:
        try:
            report = services.activity_report_submit(
                actor=request.user, post=post, year=form.cleaned_data["year"], upload=form.cleaned_data["file"]
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The activity report of %(year)s is received.") % {"year": report.year})
    return redirect("portal:dossier_detail", pk=post.dossier_id)


@login_required
@require_GET
def report_download(request, pk):
    """A report's file, to the sponsor's members, the territory's officers and representatives, and
    administrators."""
    try:
        report = selectors.activity_report_get_for_user(request.user, pk)
    except ActivityReport.DoesNotExist:
        raise Http404 from None
    return attachment_response(report)
