"""The bank details' pages: the sponsor's form (the panel of the organisation's page posts here), the RIB's
download, and finance's page on the staff site (`workflows.frontend.site`, /region/bank-details/) where
details waiting for validation are validated or refused. The list runs the same number of queries whatever
its length."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from django.views.decorators.http import require_GET
from viewflow.urls import Application

from dossiers.http import attachment_response, error_text, form_errors, safe_next
from dossiers.models import Organisation
from payments.bank import (
    bank_account_current,
    bank_account_latest,
    bank_account_list_for_user,
    bank_account_refuse,
    bank_account_submit,
    bank_account_validate,
    can_manage_bank_details,
)
from payments.models import BankAccountStatus
from portal import selectors as portal_selectors
from portal.views.common import add_errors, posted, sponsor_required

PAGE_SIZE = 50


class BankDetailsForm(forms.Form):
    holder = forms.CharField(label=gettext_lazy("Account holder"), max_length=200)
    iban = forms.CharField(
        label=gettext_lazy("IBAN"), max_length=50, help_text=gettext_lazy("As on the RIB; spaces do not matter.")
    )
    bic = forms.CharField(label=gettext_lazy("BIC"), max_length=20)
    uploaded = forms.FileField(
        label=gettext_lazy("RIB (bank details statement)"),
        help_text=gettext_lazy("The bank's statement of these details: a PDF, PNG or JPEG file."),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason of the refusal"), max_length=5000)


# The sponsor -------------------------------------------------------------------------------------------


def bank_panel_context(organisation: Organisation) -> dict:
    """What the organisation's page and the form's page show of its bank details."""
    latest = bank_account_latest(organisation)
    refused = latest if latest is not None and latest.status == BankAccountStatus.REFUSED else None
    return {"organisation": organisation, "current": bank_account_current(organisation), "refused": refused}


@sponsor_required
def bank_details_edit(request, pk):
    """The organisation's bank details sent (or changed) by one of its members."""
    try:
        organisation = portal_selectors.sponsor_organisation_get(request.user, pk)
    except Organisation.DoesNotExist:
        raise Http404 from None
    form = BankDetailsForm(posted(request), request.FILES or None, initial={"holder": organisation.name})
    if request.method == "POST" and form.is_valid():
        try:
            bank_account_submit(organisation=organisation, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(error, form)
        except PermissionDenied as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("Your bank details were sent; finance validates them before the next payment."))
            return redirect(f"{reverse('portal:organisation_detail', args=[organisation.pk])}#bank-details")
    return render(
        request, "payments/bank/bank_form.html", {"form": form, "forms": [form], **bank_panel_context(organisation)}
    )


@login_required
@require_GET
def rib_download(request, pk):
    """The RIB, to finance, administrators and the organisation's members."""
    account = bank_account_list_for_user(request.user).filter(pk=pk).first()
    if account is None:
        raise Http404(_("No such file, or it is outside your scope."))
    return attachment_response(account)


# Finance ----------------------------------------------------------------------------------------------


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=BankAccountStatus.choices,
        required=False,
        initial=BankAccountStatus.PENDING,
    )

    def status_value(self) -> str:
        """The chosen status; the details waiting for finance when none (or an unknown one) is chosen."""
        if self.is_valid() and self.cleaned_data["status"]:
            return self.cleaned_data["status"]
        return BankAccountStatus.PENDING


class FinanceAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_manage_bank_details(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class BankAccountListView(FinanceAccessMixin, generic.ListView):
    """The details waiting for validation, the oldest first; or the validated, refused or replaced ones,
    the latest first."""

    template_name = "payments/bank/account_list.html"
    context_object_name = "accounts"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.filter_form = StatusFilterForm(self.request.GET)
        self.status = self.filter_form.status_value()
        accounts = bank_account_list_for_user(self.request.user).filter(status=self.status)
        if self.status == BankAccountStatus.PENDING:
            return accounts.order_by("submitted_at", "id")
        return accounts.order_by("-submitted_at", "-id")

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter_form=self.filter_form,
            status=self.status,
            is_pending=self.status == BankAccountStatus.PENDING,
            **kwargs,
        )


class BankAccountDecisionMixin(FinanceAccessMixin):
    def get_account(self):
        account = bank_account_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if account is None:
            raise Http404(_("No such bank details."))
        return account

    def back(self):
        return redirect(safe_next(self.request, reverse("bank_details:index")))


class BankAccountValidateView(BankAccountDecisionMixin, generic.View):
    def post(self, request, pk):
        account = self.get_account()
        try:
            bank_account_validate(account=account, actor=request.user)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request, _("The bank details of %(name)s are validated.") % {"name": account.organisation.name}
            )
        return self.back()


class BankAccountRefuseView(BankAccountDecisionMixin, generic.View):
    def post(self, request, pk):
        account = self.get_account()
        form = RefuseForm(request.POST)
        if not form.is_valid():
            for problem in form_errors(form):
                messages.error(request, problem)
            return self.back()
        try:
            bank_account_refuse(account=account, actor=request.user, reason=form.cleaned_data["reason"])
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request, _("The bank details of %(name)s are refused.") % {"name": account.organisation.name}
            )
        return self.back()


class BankDetailsViewset(Application):
    """Finance's bank details in the staff site's menu, at /region/bank-details/ (URL names
    `bank_details:…`)."""

    title = gettext_lazy("Bank details")
    icon = "account_balance_wallet"
    # The URL's prefix is the app name; the namespace keeps the Python spelling.
    app_name = "bank-details"
    namespace = "bank_details"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_manage_bank_details(user)

    @property
    def index_path(self):
        return path("", BankAccountListView.as_view(), name="index")

    validate_path = path("<int:pk>/validate/", BankAccountValidateView.as_view(), name="validate")
    refuse_path = path("<int:pk>/refuse/", BankAccountRefuseView.as_view(), name="refuse")
