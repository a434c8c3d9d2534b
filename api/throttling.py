"""Rate limits of the API (rates in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`): writes per token (per user
for a browser session) and per address, and failed token authentications per address. DRF answers 429
with `Retry-After`."""

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken


class _RateThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read at each request (DRF reads its rates once, at import), so that a settings change applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def _key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class _WriteThrottle(_RateThrottle):
    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class WriteUserThrottle(_WriteThrottle):
    """Writes per API token, or per user when the request comes with a browser session."""

    scope = "api_write_user"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            return self._key(f"token-{request.auth.pk}")
        if request.user is not None and request.user.is_authenticated:
            return self._key(f"user-{request.user.pk}")
        return None


class WriteIPThrottle(_WriteThrottle):
    """Writes per client address, whoever makes them."""

    scope = "api_write_ip"

    def get_cache_key(self, request, view):
        return self._key(self.get_ident(request))


class AuthFailureThrottle(_RateThrottle):
    """Failed token authentications per client address: past the rate, the address's token attempts are
    refused until the oldest failure is out of the window. Only failures count."""

    scope = "api_auth_ip"

    def get_cache_key(self, request, view=None):
        return self._key(self.get_ident(request))

    def allow_request(self, request, view=None):
        if self.rate is None:
            return True
        self._load(request)
        return len(self.history) < self.num_requests

    def record_failure(self, request) -> None:
        if self.rate is None:
            return
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)

    def _load(self, request) -> None:
        self.key = self.get_cache_key(request)
        self.now = self.timer()
        self.history = [moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration]
