"""The sponsor's pages of the payments: ask for a payment (with the expense statement and the files),
follow a request and its calculation, download its files. Dossiers and requests are reached through the
sponsor's scope only (404 otherwise)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dossiers.http import attachment_response
from payments import selectors, services
from payments.forms import PaymentRequestForm, StatementFormSet, statement_lines
from payments.models import PaymentFile, PaymentRequest
from payments.presentation import calculation_steps, payment_summary
from portal.views.common import get_dossier, posted, sponsor_required


@sponsor_required
def payment_request_new(request, pk):
    dossier = get_dossier(request, pk)
    summary = payment_summary(dossier, selectors.dossier_payment_requests(dossier))
    form = PaymentRequestForm(posted(request), request.FILES or None)
    formset = StatementFormSet(posted(request), prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            created = services.payment_request_submit(
                dossier=dossier,
                actor=request.user,
                kind=data["kind"],
                idempotency_key=data["idempotency_key"],
                lines=statement_lines(formset),
                invoices=data["invoices"],
                completion_statement=data["completion_statement"],
                requested_amount=data["requested_amount"],
                comment=data["comment"],
            )
        except services.PaymentRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Your payment request was sent to the territorial officer."))
            return redirect("payments:sponsor_request", pk=dossier.pk, request_pk=created.pk)
    return render(
        request,
        "payments/requests/sponsor_form.html",
        {"dossier": dossier, "form": form, "formset": formset, "summary": summary},
    )


def _sponsor_request(request, pk, request_pk) -> PaymentRequest:
    try:
        found = selectors.payment_request_get_for_user(request.user, request_pk)
    except PaymentRequest.DoesNotExist:
        raise Http404 from None
    if found.dossier_id != int(pk):
        raise Http404
    return found


@sponsor_required
@require_GET
def payment_request_detail(request, pk, request_pk):
    payment = _sponsor_request(request, pk, request_pk)
    return render(
        request,
        "payments/requests/sponsor_detail.html",
        {"dossier": payment.dossier, "payment": payment, "steps": calculation_steps(payment)},
    )


@login_required
@require_GET
def payment_file_download(request, request_pk, file_pk):
    """A request's invoice or completion statement: for the sponsor's members and the staff who handle
    payments of the dossier; anyone else gets a 404."""
    try:
        payment = selectors.payment_request_get_for_user(request.user, request_pk)
        document = payment.files.get(pk=file_pk)
    except (PaymentRequest.DoesNotExist, PaymentFile.DoesNotExist):
        raise Http404 from None
    return attachment_response(document)
