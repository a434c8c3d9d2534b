"""Webhook URLs cannot be turned against the Region's own network (SSRF).

Checked when a subscription is saved and again at every delivery:
- `http` or `https` only, and `https` only when `WEBHOOKS_HTTPS_ONLY` (on in production); no user name or
  password in the URL;
- the host is resolved (`socket.getaddrinfo`) and refused when ANY of its addresses is loopback, private,
  link-local, multicast, reserved, unspecified or otherwise not global (`ipaddress`), IPv4 addresses
  mapped, 6to4 or Teredo in IPv6 included; `WEBHOOKS_ALLOW_LOOPBACK` (local development and tests, refused in
  production) lets loopback addresses through, never the others.

The request is then sent to the very address that was checked (`post`): the connection is opened to that
IP without resolving the name again (a DNS answer that changes between the check and the connection, "DNS
rebinding", cannot redirect it), with the URL's host name in the `Host` header and, for https, as the TLS
server name whose certificate is verified. Redirects are never followed (a 3xx is a failed attempt); the
connection and each read have timeouts, the whole exchange a deadline, and at most
`WEBHOOKS_MAX_RESPONSE_BYTES` of the answer are read.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UNSAFE_URL = "unsafe_url"
URL_MAX_LENGTH = 500
USER_AGENT = "contrats-de-territoire-webhooks/1"


class UnsafeURL(ValidationError):
    """A URL the webhooks refuse to call; its code is always `unsafe_url`."""

    def __init__(self, message: str):
        super().__init__(message, code=UNSAFE_URL)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (`addresses`, each a `getaddrinfo` tuple) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    truncated: bool


def _non_public_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` may not be called (None when it is a public address, or loopback when allowed)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo and address.teredo[1])
        if embedded is not None:
            return _non_public_reason(embedded)
    if address.is_loopback:
        return None if settings.WEBHOOKS_ALLOW_LOOPBACK else _("a loopback address")
    checks = [
        (address.is_private, _("a private address")),
        (address.is_link_local, _("a link-local address")),
        (address.is_multicast, _("a multicast address")),
        (address.is_reserved, _("a reserved address")),
        (address.is_unspecified, _("an unspecified address")),
        (not address.is_global, _("an address that is not public")),
    ]
    return next((reason for refused, reason in checks if refused), None)


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL; raises `UnsafeURL` otherwise. Does not
    resolve the host."""
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise UnsafeURL(_("The URL is too long (at most %(max)d characters).") % {"max": URL_MAX_LENGTH})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL(_("This is not a valid URL.")) from None
    allowed = ("https",) if settings.WEBHOOKS_HTTPS_ONLY else ("http", "https")
    if parts.scheme not in allowed:
        raise UnsafeURL(
            _("The URL must start with %(schemes)s.") % {"schemes": " or ".join(f"{s}://" for s in allowed)}
        )
    if not parts.hostname:
        raise UnsafeURL(_("The URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(_("The URL may not contain a user name or a password."))
    if parts.fragment:
        raise UnsafeURL(_("The URL may not contain a fragment (#…)."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def check_url(url: str) -> Target:
    """The checked target of `url`: its host resolved, every address public (see the module's docstring);
    raises `UnsafeURL` otherwise. No connection is made."""
    scheme, host, port, path = parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise UnsafeURL(_("The host name %(host)s cannot be resolved.") % {"host": host}) from None
    if not infos:
        raise UnsafeURL(_("The host name %(host)s cannot be resolved.") % {"host": host})
    for info in infos:
        try:
            address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        except ValueError:
            raise UnsafeURL(_("The host name %(host)s resolves to an invalid address.") % {"host": host}) from None
        reason = _non_public_reason(address)
        if reason is not None:
            raise UnsafeURL(
                _("The host %(host)s resolves to %(address)s, %(reason)s: webhooks are sent to public addresses only.")
                % {"host": host, "address": address, "reason": reason}
            )
    return Target(scheme, host, port, path, tuple(infos))


def _connect(target: Target, timeout: float) -> socket.socket:
    """A socket connected to one of the checked addresses (never resolving the name again)."""
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in target.addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to the checked address; `Host` is the URL's host."""

    def __init__(self, target: Target, *, connect_timeout: float, read_timeout: float):
        super().__init__(target.host, target.port, timeout=read_timeout)
        self._target, self._connect_timeout = target, connect_timeout

    def connect(self):
        self.sock = _connect(self._target, self._connect_timeout)
        self.sock.settimeout(self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """The same over TLS: the URL's host is the server name sent (SNI) and checked in the certificate."""

    default_port = http.client.HTTPS_PORT

    def connect(self):
        super().connect()
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self.sock, server_hostname=self._target.host)


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POSTs `body` to `url` after checking it (`check_url`, which raises `UnsafeURL`), without following
    redirects; raises `OSError` (timeouts included) or `http.client.HTTPException` when the exchange fails.
    Reads at most `WEBHOOKS_MAX_RESPONSE_BYTES` of the answer."""
    target = check_url(url)
    connect_timeout = settings.WEBHOOKS_CONNECT_TIMEOUT
    read_timeout = settings.WEBHOOKS_READ_TIMEOUT
    limit = settings.WEBHOOKS_MAX_RESPONSE_BYTES
    deadline = time.monotonic() + connect_timeout + 2 * read_timeout
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, connect_timeout=connect_timeout, read_timeout=read_timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers, "Connection": "close"},
        )
        response = connection.getresponse()
        chunks, size = [], 0
        while size <= limit:
            if time.monotonic() > deadline:
                raise TimeoutError(_("the answer took too long"))
            chunk = response.read1(min(16384, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        content = b"".join(chunks)
        return Response(status=response.status, body=content[:limit], truncated=len(content) > limit)
    finally:
        connection.close()
