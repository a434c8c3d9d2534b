"""Every error of the API has the same body: `{"code", "detail", "errors"}` — a machine-readable code, a
sentence for people and the field errors (empty when none). An unexpected error answers 500 with a
correlation id, written to the logs with the traceback; nothing of the internals is sent."""

import logging
import uuid
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("api")

NON_FIELD_ERRORS = "non_field_errors"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The dossier's state does not allow this action now.")
    default_code = "conflict"


# The codes of the services' refusals (Django's ValidationError) that are about the state of an object, not
# the payload: 409; any other code is 400. One registry for the whole API: a code means the same everywhere.
STATE_CONFLICT_CODES = frozenset(
    {
        # committees: sessions, agendas, votes, scenarios, interests
        "invalid_status",
        "close_with_results",
        "invalid_session_status",
        "closing",
        "agenda_closed",
        "already_applied",
        "quorum_not_reached",
        "empty_block",
        "empty_agenda",
        "items_without_vote",
        "session_closed_for_agenda",
        "envelope_closed",
        "already_turned",
        "envelope_changed",
        "duplicate_interest",
        "session_held",
        # payments: signed conventions, bank details, payment orders
        "invalid_state",
        "convention_not_required",
        "copy_exists",
        "already_decided",
        "nothing_to_order",
        "already_paid",
        "request_not_validated",
        # roadmaps
        "settled",
        "already_linked",
        "dossier_linked",
        "status_locked",
        "minutes_pending",
        # engineering posts and their activity reports
        "not_draft",
        "not_notified",
        "report_exists",
    }
)


def service_refusal_exception(
    error: DjangoValidationError | PermissionDenied,
    *,
    conflicts: frozenset[str] = STATE_CONFLICT_CODES,
    fields: dict | None = None,
) -> exceptions.APIException:
    """A refusal of a service that raises Django's errors: PermissionDenied → 403 `forbidden`; a
    ValidationError whose code is one of `conflicts` (`STATE_CONFLICT_CODES` unless a call says otherwise)
    → 409, any other → 400 with its field errors (the service's field names renamed by `fields`)."""
    if isinstance(error, PermissionDenied):
        return exceptions.PermissionDenied(str(error), code="forbidden")
    by_field = getattr(error, "error_dict", None)
    items = [item for field_items in by_field.values() for item in field_items] if by_field else error.error_list
    codes = [item.code for item in items if item.code]
    message = " ".join(error.messages)
    conflict = next((code for code in codes if code in conflicts), None)
    if conflict is not None:
        return Conflict(message, code=conflict)
    if by_field:
        renamed = {
            (fields or {}).get(name, name): [
                exceptions.ErrorDetail(message, code=item.code or "invalid")
                for item in items
                for message in item.messages
            ]
            for name, items in by_field.items()
        }
        return exceptions.ValidationError(renamed)
    return exceptions.ValidationError(message, code=codes[0] if codes else "invalid")


@contextmanager
def service_refusals(*, fields: dict | None = None):
    """Within the block, a service's refusal (Django's PermissionDenied or ValidationError) is raised as the
    API's error (`service_refusal_exception`)."""
    try:
        yield
    except (DjangoValidationError, PermissionDenied) as error:
        raise service_refusal_exception(error, fields=fields) from None


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(get_error_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return server_error_response(exc)
    response.data = error_body(exc)
    return response


def server_error_response(exc: Exception) -> Response:
    correlation_id = uuid.uuid4().hex
    logger.exception("api error %s", correlation_id, exc_info=exc)
    set_rollback()
    body = {
        "code": "server_error",
        "detail": _("An unexpected error occurred. Give this correlation id to the support: %(id)s.")
        % {"id": correlation_id},
        "correlation_id": correlation_id,
    }
    return Response(body, status=500)


def error_body(exc: exceptions.APIException) -> dict:
    """The body of an error DRF handles."""
    detail = exc.detail
    if isinstance(detail, dict):
        errors = detail
        code, message = exc.default_code, str(exc.default_detail)
        general = detail.get(NON_FIELD_ERRORS)
        if len(detail) == 1 and isinstance(general, list) and general:
            code, message = _code(general[0], code), " ".join(str(item) for item in general)
    elif isinstance(detail, list):
        errors = {}
        code = _code(detail[0], exc.default_code) if detail else exc.default_code
        message = " ".join(str(item) for item in detail) or str(exc.default_detail)
    else:
        errors = {}
        code, message = _code(detail, exc.default_code), str(detail)
    return {"code": code, "detail": message, "errors": errors}


def _code(item, default: str) -> str:
    return getattr(item, "code", None) or default


@csrf_exempt  # a write to no address is a 404, not a CSRF refusal (the API's own views are exempt too)
def not_found_view(request, *args, **kwargs):
    """Any address under `/api/` that is not one of the API's: the API's 404, in JSON (not a web page)."""
    from django.http import JsonResponse

    body = {"code": "not_found", "detail": str(exceptions.NotFound.default_detail), "errors": {}}
    return JsonResponse(body, status=404)
