"""Authentication by personal API token: `Authorization: Bearer ct_…` (or `Token ct_…`)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from api.throttling import AuthFailureThrottle
from api.tokens import token_check

KEYWORDS = ("bearer", "token")


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates the token's user, with the token as `request.auth`. A request without an
    `Authorization: Bearer` header is left to the other authentications; a wrong, revoked or malformed
    token is refused with 401 (429 after too many failures from the same address)."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: give “Bearer” followed by the token."), code="invalid_header"
            )
        throttle = AuthFailureThrottle()
        if not throttle.allow_request(request):
            raise exceptions.Throttled(wait=throttle.wait())
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = token_check(raw, ip=throttle.get_ident(request))
        if token is None:
            throttle.record_failure(request)
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."), code="invalid_token")
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer scheme in the OpenAPI schema."""

    target_class = ApiTokenAuthentication
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ct_<prefix>_<secret>",
            "description": str(
                _(
                    "A personal API token, created on the “API tokens” page of your account and shown once: "
                    "`Authorization: Bearer ct_…`."
                )
            ),
        }
