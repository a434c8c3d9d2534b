"""Small helpers every app's views share: the dossier a user may see (or a 404), a safe `next`
address, the client's IP for the audit trail, an uploaded file sent back as a download."""

from django.http import FileResponse, Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from dossiers.models import Dossier
from dossiers.selectors import dossier_get_for_user


def dossier_or_404(request, pk) -> Dossier:
    """The dossier if the user may see it; a 404 (not a 403) otherwise, so that references outside
    one's scope are not revealed."""
    try:
        return dossier_get_for_user(request.user, pk)
    except Dossier.DoesNotExist:
        raise Http404(_("No such dossier, or it is outside your scope.")) from None


def safe_next(request, default: str) -> str:
    """The `next` URL sent with the request if it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def attachment_response(record) -> FileResponse:
    """An uploaded file (a model with `file`, `original_name` and `content_type`: pieces, attachments,
    signed conventions, RIBs, invoices) as a download the browser never renders; a 404 if the file is
    missing from storage."""
    try:
        handle = record.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("This file is missing from the storage.")) from None
    response = FileResponse(handle, as_attachment=True, filename=record.original_name, content_type=record.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def error_text(error) -> str:
    """A service's refusal (ValidationError, PermissionDenied) as one sentence for a message."""
    return " ".join(getattr(error, "messages", None) or [str(error)])


def form_errors(form) -> list[str]:
    """A form's errors as sentences for messages, each prefixed by its field's label."""
    return [
        f"{form[name].label}: {error}" if name in form.fields else error
        for name, errors in form.errors.items()
        for error in errors
    ]
