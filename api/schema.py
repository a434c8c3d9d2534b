"""The OpenAPI schema's common parts: the error body every error shares (`api.exceptions`) and the error
answers any operation can give, added to every operation by a postprocessing hook of drf-spectacular so
that each response of the API, errors included, is documented and checked (schemathesis in CI).

An operation that documents an error itself (`OpenApiResponse(description=…)` in its `extend_schema`)
keeps its description; the hook gives it the error body when it has none."""

from django.utils.translation import gettext as _

ERROR_COMPONENT = "Error"


def _error_schema() -> dict:
    return {
        "type": "object",
        "description": _("The body of every error of the API."),
        "properties": {
            "code": {
                "type": "string",
                "description": _(
                    "A machine-readable code: the reason of the refusal (invalid_state, forbidden, not_found, "
                    "invalid, throttled, server_error…)."
                ),
            },
            "detail": {"type": "string", "description": _("The reason, in a sentence for people.")},
            "errors": {
                "type": "object",
                "additionalProperties": {},
                "description": _(
                    "The errors by field (a list of messages, or an object for a nested field); empty when the "
                    "error is not about a field."
                ),
            },
            "correlation_id": {
                "type": "string",
                "description": _("For an unexpected error (500) only: the id under which it is in the logs."),
            },
        },
        "required": ["code", "detail"],
    }


def _common_errors(method: str) -> dict[str, str]:
    """The errors any operation of this method can answer, with their description."""
    errors = {
        "400": _("Invalid parameters or payload (code invalid, or the rule's code); errors by field."),
        "401": _("Not authenticated: no session, or a missing, unknown, revoked or malformed API token."),
        "403": _("Authenticated, but your role does not allow this (code forbidden or permission_denied)."),
        "404": _("Not found, or outside your scope (the API never says which), or no such page of the list."),
        "429": _("Too many requests (code throttled): wait the seconds of the Retry-After header."),
        "500": _("Unexpected error (code server_error): nothing of it is sent but its correlation id."),
    }
    if method in ("post", "put", "patch", "delete"):
        errors["409"] = _("The state of the object does not allow it now (code invalid_state or the rule's code).")
    return errors


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error component and each operation's error answers."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_COMPONENT] = _error_schema()
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in _common_errors(method).items():
                response = responses.setdefault(status, {"description": description})
                response.setdefault("content", {"application/json": {"schema": reference}})
                if status == "429":
                    response.setdefault("headers", {})["Retry-After"] = {
                        "schema": {"type": "integer"},
                        "description": _("Seconds to wait before trying again."),
                    }
    return result


def uploaded_file_responses(description) -> dict:
    """The 200 answers of a download of an uploaded file: one per content type the uploads accept
    (`documents.uploads.SIGNATURES`: the file is served with the type its content was recognised as)."""
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import OpenApiResponse

    from documents.uploads import SIGNATURES

    return {
        (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
        for _signature, content_type, _extension in SIGNATURES
    }
