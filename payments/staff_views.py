"""The staff's pages of the payment requests (`workflows.frontend.site`, /region/payment-requests/): the
queue of each role (the territory's officers check the submitted requests, finance validates the
checked ones), and a request's page with its statement, its calculation and the actions the user may
take. Requests outside the user's scope are a 404."""

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import generic
from viewflow.urls import Application

from payments import selectors, services
from payments.forms import CheckForm, ReasonForm
from payments.models import PaymentRequest, RequestState
from payments.permissions import is_finance, is_territory_officer
from payments.presentation import calculation_steps
from workflows.enums import Role
from workflows.permissions import user_roles


class PaymentStaffMixin:
    def dispatch(self, request, *args, **kwargs):
        if not selectors.can_view_payment_requests(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_request(self) -> PaymentRequest:
        try:
            return selectors.payment_request_get_for_user(self.request.user, self.kwargs["pk"], staff_only=True)
        except PaymentRequest.DoesNotExist:
            raise Http404 from None


QUEUE_FILTERS = {
    "todo": None,
    "submitted": Q(state=RequestState.SUBMITTED),
    "checked": Q(state=RequestState.CHECKED),
    "validated": Q(state=RequestState.VALIDATED),
    "paid": Q(state=RequestState.PAID),
    "closed": Q(state__in=[RequestState.RETURNED, RequestState.REJECTED]),
}


class PaymentRequestListView(PaymentStaffMixin, generic.ListView):
    template_name = "payments/requests/staff_list.html"
    context_object_name = "payment_requests"
    paginate_by = 50

    def todo(self) -> Q:
        """What the user has to act on: officers check submitted requests, finance validates checked ones."""
        roles = user_roles(self.request.user)
        wanted = Q(pk__in=[])
        if roles & {Role.OFFICER, Role.ADMINISTRATOR}:
            wanted |= Q(state=RequestState.SUBMITTED)
        if roles & {Role.FINANCE, Role.ADMINISTRATOR}:
            wanted |= Q(state=RequestState.CHECKED)
        return wanted

    def get_queryset(self):
        self.current = self.request.GET.get("show", "todo")
        if self.current not in QUEUE_FILTERS:
            self.current = "todo"
        condition = QUEUE_FILTERS[self.current] or self.todo()
        return (
            selectors.payment_request_list_for_user(self.request.user, staff_only=True)
            .filter(condition)
            .order_by("submitted_at", "pk")
        )

    def get_context_data(self, **kwargs):
        labels = {
            "todo": _("To handle"),
            "submitted": _("Submitted"),
            "checked": _("Checked"),
            "validated": _("Validated"),
            "paid": pgettext("payment request", "Paid"),
            "closed": _("Returned or rejected"),
        }
        return super().get_context_data(filters=labels.items(), current=self.current, **kwargs)


class PaymentRequestPageView(PaymentStaffMixin, generic.TemplateView):
    template_name = "payments/requests/staff_page.html"

    def get_context_data(self, **kwargs):
        payment = self.get_request()
        user = self.request.user
        lines = list(payment.lines.all())
        may_check = payment.state == RequestState.SUBMITTED and is_territory_officer(user, payment.dossier)
        may_validate = payment.state == RequestState.CHECKED and is_finance(user)
        may_decide = payment.state in (RequestState.SUBMITTED, RequestState.CHECKED) and (
            is_territory_officer(user, payment.dossier) or (is_finance(user) and payment.state == RequestState.CHECKED)
        )
        steps = calculation_steps(payment)
        return super().get_context_data(
            payment=payment,
            dossier=payment.dossier,
            lines=lines,
            steps=steps,
            check_form=kwargs.pop("check_form", None) or (CheckForm(lines=lines) if may_check else None),
            may_validate=may_validate,
            reason_form=ReasonForm() if may_decide else None,
            **kwargs,
        )


class PaymentRequestActionView(PaymentStaffMixin, generic.View):
    """POST only: check, validate, send back or reject; each calls its service and comes back to the
    request's page with the outcome."""

    action = ""

    def post(self, request, pk):
        payment, action = self.get_request(), self.action
        try:
            if action == "check":
                form = CheckForm(request.POST, lines=payment.lines.all())
                if not form.is_valid():
                    raise services.PaymentRefused(
                        "invalid_form", " ".join(form.errors.get("__all__", [])) or _("Check the form.")
                    )
                services.payment_request_check(
                    request=payment,
                    actor=request.user,
                    exclusions=form.exclusions(),
                    comment=form.cleaned_data["comment"],
                )
                messages.success(request, _("The request is checked; finance will validate it."))
            elif action == "validate":
                services.payment_request_validate(request=payment, actor=request.user)
                messages.success(request, _("The payment is validated; its certificate is being issued."))
            elif action in ("send_back", "reject"):
                form = ReasonForm(request.POST)
                reason = form.data.get("reason", "")
                service = (
                    services.payment_request_send_back if action == "send_back" else services.payment_request_reject
                )
                service(request=payment, actor=request.user, reason=reason)
                messages.success(request, _("The sponsor is told, with your reason."))
            else:
                raise Http404
        except services.PaymentRefused as refusal:
            messages.error(request, refusal.message)
        return redirect("payment_requests:request_page", pk=payment.pk)


class PaymentRequestViewset(Application):
    """The payment requests in the staff site's menu (officers, finance, administrators)."""

    title = gettext_lazy("Payment requests")
    icon = "request_quote"
    # The URL's prefix is the app name; the namespace keeps the Python spelling.
    app_name = "payment-requests"
    namespace = "payment_requests"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return selectors.can_view_payment_requests(user)

    @property
    def index_path(self):
        return path("", PaymentRequestListView.as_view(), name="index")

    request_page_path = path("<int:pk>/", PaymentRequestPageView.as_view(), name="request_page")
    request_check_path = path("<int:pk>/check/", PaymentRequestActionView.as_view(action="check"), name="request_check")
    request_validate_path = path(
        "<int:pk>/validate/", PaymentRequestActionView.as_view(action="validate"), name="request_validate"
    )
    request_send_back_path = path(
        "<int:pk>/send-back/", PaymentRequestActionView.as_view(action="send_back"), name="request_send_back"
    )
    request_reject_path = path(
        "<int:pk>/reject/", PaymentRequestActionView.as_view(action="reject"), name="request_reject"
    )
