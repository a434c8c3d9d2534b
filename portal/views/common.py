"""What every view of the portal shares: the sponsor's role check, form helpers, the dossier
reached through the user's scope."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from dossiers.models import Dossier
from portal import selectors
from workflows.enums import Role
from workflows.permissions import user_roles


def sponsor_required(view):
    """Logged-in users holding the sponsor role; the Region's staff get a 403 here."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if Role.SPONSOR not in user_roles(request.user):
            raise PermissionDenied(_("This space is for project sponsors."))
        return view(request, *args, **kwargs)

    return wrapped


def posted(request):
    """The POST data of a POST (even an empty one), None otherwise: the form is bound only when posted."""
    return request.POST if request.method == "POST" else None


def add_errors(error: ValidationError, *forms, field: str | None = None) -> None:
    """Puts a service's ValidationError on the forms: each error on the form that has the field it
    names; the others on `field` of the first form (None: the first form as a whole)."""
    if not hasattr(error, "error_dict"):
        forms[0].add_error(field, error)
        return
    for name, errors in error.error_dict.items():
        form = next((form for form in forms if name in form.fields), None)
        if form is None:
            forms[0].add_error(field, errors)
        else:
            form.add_error(name, errors)


def get_dossier(request, pk) -> Dossier:
    try:
        return selectors.sponsor_dossier_get(request.user, pk)
    except Dossier.DoesNotExist:
        raise Http404(_("No such dossier among your organisations' dossiers.")) from None
