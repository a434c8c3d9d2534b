"""Every error of the API has the same body: `{"code", "detail", "errors"}` — a machine-readable code, a
sentence for people and the field errors (empty when none). An unexpected error answers 500 with a
correlation id, written to the logs with the traceback; nothing of the internals is sent."""

import logging
import uuid

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

logger = logging.getLogger("api")

NON_FIELD_ERRORS = "non_field_errors"


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
