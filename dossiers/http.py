"""Small helpers every app's views share: the dossier a user may see (or a 404), a safe `next`
address, the client's IP for the audit trail."""

from django.http import Http404
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
