import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import _no_language_left_active, api, api_client  # noqa: F401  (fixtures)
from tests.payments.conftest import granted, sponsor  # noqa: F401  (fixtures)
from webhooks.models import Subscription
from webhooks.signing import secret_generate

PUBLIC_ADDRESS = "93.184.215.14"  # a public address: never connected to (see `public_dns`)


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1, in a thread. `answers` are used one per request (then 200): a status,
    or a callable `answer(handler)` that writes the whole answer itself."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: list = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def to(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def receiver():
    def handler_class(state: Receiver):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                answer = state.answers.pop(0) if state.answers else 200
                try:
                    if callable(answer):
                        answer(self)
                    else:
                        self.send_response(answer)
                        self.send_header("Content-Length", "2")
                        self.end_headers()
                        self.wfile.write(b"ok")
                except OSError:  # the client went away (a capped read, a timeout)
                    pass

            def log_message(self, *args):
                pass

        return Handler

    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Receiver(server)
    server.RequestHandlerClass = handler_class(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback(settings):
    """Receivers on 127.0.0.1 allowed (local development and tests only)."""
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    settings.WEBHOOKS_CONNECT_TIMEOUT = 2
    settings.WEBHOOKS_READ_TIMEOUT = 2


@pytest.fixture
def dns(monkeypatch):
    """`dns["name"] = ["1.2.3.4", ...]`: what `socket.getaddrinfo` answers for these names (IP literals and
    other names resolve as usual). Records every name asked in `dns.asked`."""

    class Zone(dict):
        asked: list

    zone = Zone()
    zone.asked = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        zone.asked.append(host)
        if host in zone:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in zone[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return zone


@pytest.fixture
def public_dns(dns):
    """hooks.example.org resolves to a public address."""
    dns["hooks.example.org"] = [PUBLIC_ADDRESS]
    return dns


@pytest.fixture
def connections(monkeypatch):
    """Every attempt at opening a connection, recorded and refused: the tests assert there was none."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def subscribe(*, url, organisation=None, territory=None, events=None, **fields):
    """A subscription written directly (its URL unchecked: the delivery must check it again)."""
    from webhooks.enums import EventType

    return Subscription.objects.create(
        organisation=organisation,
        territory=territory,
        url=url,
        events=list(events or EventType.values),
        secret=secret_generate(),
        **fields,
    )
