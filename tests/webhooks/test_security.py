"""Webhook URLs cannot be turned against the Region's network: non-public addresses are refused before any
connection, at subscription and at every delivery; the request goes to the address that was checked, with
no redirect followed, a capped answer and timeouts."""

import time

import pytest

from webhooks import security
from webhooks.security import UnsafeURL, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service (link-local)
        "http://10.0.0.1/",
        "http://192.168.1.10/",
        "http://172.16.0.1/",
        "http://127.0.0.1/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # shared address space (not global)
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
        "http://[::ffff:10.0.0.1]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    ],
)
def test_non_public_addresses_are_refused_before_any_connection(url, connections):
    with pytest.raises(UnsafeURL) as refusal:
        check_url(url)
    assert refusal.value.code == "unsafe_url"
    with pytest.raises(UnsafeURL):
        security.post(url, b"{}", {})
    assert connections == []


def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_not_allowed(dns, connections):
    dns["innocent.example.org"] = ["127.0.0.1"]
    with pytest.raises(UnsafeURL):
        security.post("http://innocent.example.org/hook", b"{}", {})
    assert dns.asked == ["innocent.example.org"]
    assert connections == []


def test_one_non_public_address_among_public_ones_is_enough_to_refuse(dns, connections):
    dns["mixed.example.org"] = ["93.184.215.14", "10.0.0.1"]
    with pytest.raises(UnsafeURL):
        check_url("https://mixed.example.org/")
    assert connections == []


def test_loopback_allowed_for_tests_never_opens_private_or_link_local(loopback, dns, connections):
    assert check_url("http://127.0.0.1:8080/hook").addresses[0][4][0] == "127.0.0.1"
    dns["local.example.org"] = ["127.0.0.1"]
    check_url("http://local.example.org/")
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[::ffff:192.168.0.1]/"):
        with pytest.raises(UnsafeURL):
            check_url(url)
    assert connections == []


def test_production_takes_https_only(settings, public_dns):
    settings.WEBHOOKS_HTTPS_ONLY = True
    with pytest.raises(UnsafeURL):
        check_url("http://hooks.example.org/")
    assert check_url("https://hooks.example.org/x?y=1").path == "/x?y=1"
    settings.WEBHOOKS_HTTPS_ONLY = False
    assert check_url("http://hooks.example.org/").port == 80


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/",
        "file:///etc/passwd",
        "https://user:secret@hooks.example.org/",
        "https:///x",
        "nonsense",
    ],
)
def test_other_schemes_credentials_and_malformed_urls_are_refused(url, public_dns, connections):
    with pytest.raises(UnsafeURL):
        check_url(url)
    assert connections == []


def test_an_unresolvable_host_is_refused(dns):
    def fail(*args, **kwargs):
        raise OSError("no such host")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(security.socket, "getaddrinfo", fail)
        with pytest.raises(UnsafeURL):
            check_url("https://nowhere.example.org/")


def test_the_request_goes_to_the_checked_address_with_the_hosts_name(loopback, dns, receiver):
    """The name is resolved once; a different answer afterwards (DNS rebinding) cannot redirect the request."""
    port = receiver.server.server_address[1]
    dns["hooks.example.org"] = ["127.0.0.1"]
    target = check_url(f"http://hooks.example.org:{port}/hook")
    dns["hooks.example.org"] = ["10.0.0.1"]
    response = security._PinnedHTTPConnection(target, connect_timeout=2, read_timeout=2)
    response.request("POST", target.path, body=b"{}")
    assert response.getresponse().status == 200
    response.close()
    assert dns.asked == ["hooks.example.org"]
    assert receiver.received[0].headers["host"] == f"hooks.example.org:{port}"


def test_a_redirect_is_not_followed(loopback, receiver):
    def redirect(handler):
        handler.send_response(302)
        handler.send_header("Location", receiver.to("/elsewhere"))
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    receiver.answers.append(redirect)
    assert security.post(receiver.url, b"{}", {}).status == 302
    assert [request.path for request in receiver.received] == ["/hook"]


def test_an_endless_answer_is_read_up_to_the_cap(loopback, settings, receiver):
    settings.WEBHOOKS_MAX_RESPONSE_BYTES = 1024

    def endless(handler):
        handler.send_response(200)
        handler.end_headers()  # no length: the body runs until the connection closes
        while not receiver.release.is_set():
            handler.wfile.write(b"x" * 65536)

    receiver.answers.append(endless)
    started = time.monotonic()
    response = security.post(receiver.url, b"{}", {})
    assert (response.status, len(response.body), response.truncated) == (200, 1024, True)
    assert time.monotonic() - started < 2


def test_a_receiver_that_does_not_answer_times_out(loopback, settings, receiver):
    settings.WEBHOOKS_READ_TIMEOUT = 0.3
    receiver.answers.append(lambda handler: receiver.release.wait(5))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        security.post(receiver.url, b"{}", {})
    assert time.monotonic() - started < 2


def test_a_slow_drip_answer_hits_the_deadline(loopback, settings, receiver):
    settings.WEBHOOKS_CONNECT_TIMEOUT = 0.2
    settings.WEBHOOKS_READ_TIMEOUT = 0.3

    def drip(handler):
        handler.send_response(200)
        handler.end_headers()
        while not receiver.release.is_set():
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.05)

    receiver.answers.append(drip)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        security.post(receiver.url, b"{}", {})
    assert time.monotonic() - started < 2
