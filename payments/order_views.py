"""Finance's payment orders on the staff site (`workflows.frontend.site`, /region/payment-orders/, URL names
`payment_orders:…`): the validated requests waiting for an order, exported as a new payment order; the
orders, each with its requests, its CSV for the accounting system and the record of its payment; the
recovery orders to issue and their CSV.

Finance and administrators only: anyone else gets a 404, as for an object outside their scope. Each page
runs the same number of queries whatever the number of requests and orders."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic
from viewflow.urls import Application

from dossiers.http import error_text, form_errors
from dossiers.money import ZERO
from payments.orders import (
    can_manage_payment_orders,
    payment_order_create,
    payment_order_csv,
    payment_order_list_for_user,
    payment_order_mark_paid,
    payment_order_requests,
    recovery_order_record,
    recovery_orders_csv,
    recovery_orders_to_issue,
    requests_to_order,
)


class MarkPaidForm(forms.Form):
    paid_on = forms.DateField(
        label=gettext_lazy("Paid on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The date the accounting system paid the order."),
    )


def csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class PaymentOrderAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not can_manage_payment_orders(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_order(self):
        order = payment_order_list_for_user(self.request.user).filter(pk=self.kwargs["pk"]).first()
        if order is None:
            raise Http404(_("No such payment order."))
        return order


class PaymentOrderIndexView(PaymentOrderAccessMixin, generic.TemplateView):
    """The requests waiting for an order (ticked, to be exported together), the orders, the recovery
    orders to issue."""

    template_name = "payments/orders/index.html"

    def get_context_data(self, **kwargs):
        waiting = list(requests_to_order())
        recoveries = list(recovery_orders_to_issue())
        return super().get_context_data(
            waiting=waiting,
            waiting_total=sum((request.payable for request in waiting), ZERO),
            orders=list(payment_order_list_for_user(self.request.user)),
            recoveries=recoveries,
            recovery_total=sum((request.recovery for request in recoveries), ZERO),
            recovery_form=RecoveryOrderForm(initial={"issued_on": timezone.localdate()}),
            **kwargs,
        )


class PaymentOrderCreateView(PaymentOrderAccessMixin, generic.View):
    """Exports the ticked requests as a new payment order, then shows it."""

    def post(self, request):
        ids = [int(value) for value in request.POST.getlist("requests") if value.isdigit()]
        try:
            order = payment_order_create(actor=request.user, request_ids=ids)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
            return redirect("payment_orders:index")
        messages.success(request, _("The payment order %(number)s was created.") % {"number": order.number})
        return redirect("payment_orders:detail", pk=order.pk)


class PaymentOrderDetailView(PaymentOrderAccessMixin, generic.TemplateView):
    """An order: its requests, its CSV, and the form recording its payment until it is paid."""

    template_name = "payments/orders/detail.html"

    def get_context_data(self, **kwargs):
        order = self.get_order()
        return super().get_context_data(
            order=order,
            requests=list(payment_order_requests(order)),
            form=MarkPaidForm(initial={"paid_on": timezone.localdate()}),
            **kwargs,
        )


class PaymentOrderExportView(PaymentOrderAccessMixin, generic.View):
    def get(self, request, pk):
        order = self.get_order()
        return csv_response(payment_order_csv(order), f"{order.number}.csv")


class PaymentOrderMarkPaidView(PaymentOrderAccessMixin, generic.View):
    def post(self, request, pk):
        order = self.get_order()
        form = MarkPaidForm(request.POST)
        if not form.is_valid():
            for problem in form_errors(form):
                messages.error(request, problem)
            return redirect("payment_orders:detail", pk=order.pk)
        try:
            payment_order_mark_paid(order=order, actor=request.user, paid_on=form.cleaned_data["paid_on"])
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The payment order %(number)s is recorded paid.") % {"number": order.number})
        return redirect("payment_orders:detail", pk=order.pk)


class RecoveryOrderForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Recovery order number"), max_length=50)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))


class RecoveryOrderRecordView(PaymentOrderAccessMixin, generic.View):
    """Records the recovery order the accounting system issued for a balance (its number and date)."""

    def post(self, request, pk):
        recovery = recovery_orders_to_issue().filter(pk=pk).first()
        if recovery is None:
            raise Http404(_("No such recovery order to issue."))
        form = RecoveryOrderForm(request.POST)
        if not form.is_valid():
            for problem in form_errors(form):
                messages.error(request, problem)
            return redirect("payment_orders:index")
        try:
            recovery_order_record(request=recovery, actor=request.user, **form.cleaned_data)
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("The recovery order %(reference)s of dossier %(dossier)s is recorded.")
                % {"reference": form.cleaned_data["reference"], "dossier": recovery.dossier.reference},
            )
        return redirect("payment_orders:index")


class RecoveryOrdersExportView(PaymentOrderAccessMixin, generic.View):
    def get(self, request):
        return csv_response(recovery_orders_csv(), f"titres-de-recette-{timezone.localdate():%Y-%m-%d}.csv")


class PaymentOrderViewset(Application):
    """Finance's payment orders in the staff site's menu, at /region/payment-orders/ (URL names
    `payment_orders:…`)."""

    title = gettext_lazy("Payment orders")
    icon = "payments"
    # The URL's prefix is the app name; the namespace keeps the Python spelling.
    app_name = "payment-orders"
    namespace = "payment_orders"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return can_manage_payment_orders(user)

    def _get_resolver_extra(self):
        # Without "app" here, viewflow's SiteMiddleware leaves the role check to the views, whose answer
        # to other roles is a 404 (the middleware's would be a 403); the menu still hides the app.
        return {"viewset": self}

    @property
    def index_path(self):
        return path("", PaymentOrderIndexView.as_view(), name="index")

    create_path = path("new/", PaymentOrderCreateView.as_view(), name="create")
    recoveries_export_path = path("recoveries.csv", RecoveryOrdersExportView.as_view(), name="recoveries_export")
    recovery_record_path = path("recoveries/<int:pk>/", RecoveryOrderRecordView.as_view(), name="recovery_record")
    detail_path = path("<int:pk>/", PaymentOrderDetailView.as_view(), name="detail")
    export_path = path("<int:pk>/export.csv", PaymentOrderExportView.as_view(), name="export")
    mark_paid_path = path("<int:pk>/paid/", PaymentOrderMarkPaidView.as_view(), name="mark_paid")
