# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _endpoint: URLs that parsers read differently are refused before any request (no network)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from urllib3.util import parse_url

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._client import ClientConfigError, build_client
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._endpoint import EndpointRefused, checked_endpoint, is_loopback

TOKEN = "endpoint-test-token-0123456789"

# (endpoint, what the message must say). Why each is refused:
REFUSED = [
    # urllib.parse sees 127.0.0.1, urllib3 (which sends) sees 2130706433:18802 or evil.example: the bypass of the check.
    (r"http://2130706433:18802\@127.0.0.1/v1", "a backslash"),
    (r"http://evil.example\@127.0.0.1/v1", "a backslash"),
    (r"https://evil.example\@api.hetzner.cloud/v1", "a backslash"),
    (r"http://127.0.0.1\evil/v1", "a backslash"),
    # User info: nothing of ours goes there, and hosts after it are where parsers disagree.
    ("http://user:pw@127.0.0.1/v1", "an '@'"),
    ("http://127.0.0.1%2F@evil/v1", "an '@'"),
    ("https://api.hetzner.cloud@evil.example/v1", "an '@'"),
    # Ports: out of range, doubled, signed, empty, zero (requests drops a zero port and connects to 80).
    ("http://127.0.0.1:99999/v1", "not a number from 1 to 65535"),
    ("http://127.0.0.1:80:80/v1", "not a number from 1 to 65535"),
    ("http://127.0.0.1:+80/v1", "not a number from 1 to 65535"),
    ("http://127.0.0.1:/v1", "not a number from 1 to 65535"),
    ("http://127.0.0.1:0/v1", "not a number from 1 to 65535"),
    ("http://127.0.0.1:8a/v1", "not a number from 1 to 65535"),
    ("http://[::1]:/v1", "not a number from 1 to 65535"),
    # Whitespace and control characters inside: urllib.parse drops a tab or a newline, urllib3 refuses or encodes them.
    ("http://127.0.0.1 /v1", "whitespace or a control character"),
    ("http://127.0.0.1\t/v1", "whitespace or a control character"),
    ("http://127.0.\n0.1/v1", "whitespace or a control character"),
    ("http://127.0.0.1/v\r1", "whitespace or a control character"),
    ("http://127.0.0.1/v1\x00", "whitespace or a control character"),
    # Percent-encoded hosts: urllib3 decodes %31%32%37 to 127, urllib.parse does not.
    ("http://%31%32%37.0.0.1/v1", "percent-encoded host"),
    ("http://[::1%25eth0]/v1", "percent-encoded host"),
    # IPv4 in the forms inet_aton reads and ipaddress does not: which machine is that?
    ("http://0x7f000001/v1", "short, octal or hexadecimal form"),
    ("http://2130706433/v1", "short, octal or hexadecimal form"),
    ("http://127.1/v1", "short, octal or hexadecimal form"),
    ("http://0177.0.0.1/v1", "short, octal or hexadecimal form"),
    # Not loopback: plain http would carry the token across the network.
    ("http://127.0.0.1.evil.example/v1", "cross the network in clear"),
    ("http://localhost.evil.example/v1", "cross the network in clear"),
    ("http://api.hetzner.cloud/v1", "cross the network in clear"),
    ("http://10.0.0.5:8765/v1", "cross the network in clear"),
    ("http://[2001:db8::1]/v1", "cross the network in clear"),
    # A trailing dot: a resolver may ask the DNS for localhost., not the hosts file.
    ("http://localhost./v1", "ends with a dot"),
    # Hosts that are no host.
    ("http:///v1", "no host"),
    ("https://:443/v1", "no host"),
    ("http://127.0.0.1;evil/v1", "neither a host name nor an IP address"),
    ("https://a..b/v1", "neither a host name nor an IP address"),
    ("http://[zz]/v1", "not an IPv6 address"),
    ("http://[::1]x/v1", "text after the IPv6 address"),
    # Non-ASCII: fullwidth digits, circled digits, IDN hosts (write the xn-- form).
    ("http://127.0.0.1:\uff18\uff10/v1", "a non-ASCII character"),
    ("http://\u2460\u2461\u2466.0.0.1/v1", "a non-ASCII character"),
    ("https://b\u00fccher.example/v1", "a non-ASCII character"),
    # A base URL takes no query or fragment: the client appends /servers after it.
    ("http://127.0.0.1:8765/v1?x=1", "a query"),
    ("https://api.hetzner.cloud/v1#frag", "a fragment"),
    # Dot segments: urllib3 removes them, so the path sent is not the one given.
    ("http://127.0.0.1/v1/../x", "'.' or '..' in its path"),
    # Not http(s).
    ("ftp://127.0.0.1/v1", "must be an http:// or https:// URL"),
    ("127.0.0.1:8765/v1", "must be an http:// or https:// URL"),
]

# (endpoint, the URL the client is given). Why each is accepted:
ACCEPTED = [
    ("https://api.hetzner.cloud/v1", "https://api.hetzner.cloud/v1"),
    ("https://api.hetzner.cloud/v1/", "https://api.hetzner.cloud/v1"),  # the client appends /servers
    ("https://API.Hetzner.Cloud:443/v1", "https://api.hetzner.cloud:443/v1"),  # host names are case-insensitive
    ("https://evil.example/v1", "https://evil.example/v1"),  # https to anyone: TLS protects the token, the name is the user's choice
    ("https://[2001:db8::1]:8443/api/v1", "https://[2001:db8::1]:8443/api/v1"),
    ("http://127.0.0.1:8765/v1", "http://127.0.0.1:8765/v1"),
    ("http://127.3.4.5/v1", "http://127.3.4.5/v1"),  # all of 127.0.0.0/8 is loopback
    ("http://[::1]:8765/v1", "http://[::1]:8765/v1"),
    ("http://[::ffff:127.0.0.1]/v1", "http://[::ffff:127.0.0.1]/v1"),  # IPv4-mapped loopback
    ("http://localhost:8765/v1", "http://localhost:8765/v1"),
    ("HTTP://LOCALHOST/v1", "http://localhost/v1"),
    ("http://127.0.0.1", "http://127.0.0.1"),
    ("  http://127.0.0.1:8765/v1\n", "http://127.0.0.1:8765/v1"),  # whitespace around it, as an env var or a vault may add
    ("https://proxy.example/hetzner%20api/v1", "https://proxy.example/hetzner%20api/v1"),
]


@pytest.fixture(name="no_request")
def no_request_fixture(monkeypatch):
    """Fail the test if anything is sent."""
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: pytest.fail("a request was sent"))


@pytest.mark.parametrize(("endpoint", "needle"), REFUSED)
def test_hostile_or_ambiguous_endpoints_are_refused_before_any_request(endpoint, needle, no_request):  # pylint: disable=unused-argument
    with pytest.raises(ClientConfigError) as raised:
        build_client(TOKEN, endpoint)
    message = str(raised.value)
    assert needle in message
    assert TOKEN not in message


@pytest.mark.parametrize(("endpoint", "url"), ACCEPTED)
def test_accepted_endpoints_are_rebuilt_and_given_to_the_client_as_checked(endpoint, url):
    assert checked_endpoint(endpoint) == url
    client = build_client(TOKEN, endpoint)
    assert client._client._endpoint == url  # pylint: disable=protected-access


@pytest.mark.parametrize(("endpoint", "url"), ACCEPTED)
def test_the_request_goes_to_the_host_that_was_checked(endpoint, url):
    """Every parser on the way (urllib3 in prepare_url, urllib.parse in the connection pool) reads the checked host."""
    sent = []

    def record(session, request, **kwargs):  # pylint: disable=unused-argument
        sent.append(request.url)
        raise requests.exceptions.ConnectionError("recorded, not sent")

    client = build_client(TOKEN, endpoint)
    session = client._client._session  # pylint: disable=protected-access
    session.send = record.__get__(session)
    with pytest.raises(requests.exceptions.ConnectionError):
        client.request("GET", "/servers")
    (prepared,) = sent
    checked = urlsplit(url)
    assert urlsplit(prepared).hostname == checked.hostname
    assert urlsplit(prepared).port == checked.port
    assert (parse_url(prepared).host or "").strip("[]") == checked.hostname
    assert prepared == f"{url}/servers"


def test_user_info_is_not_shown_in_the_message():
    with pytest.raises(EndpointRefused) as raised:
        checked_endpoint("https://admin:hunter2@api.hetzner.cloud/v1")
    assert "hunter2" not in str(raised.value)
    assert "admin" not in str(raised.value)


def test_control_characters_are_shown_escaped():
    with pytest.raises(EndpointRefused) as raised:
        checked_endpoint("http://127.0.0.1/v1\x1b[2J")
    assert "\x1b" not in str(raised.value)
    assert "\\x1b" in str(raised.value)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("localhost", True), ("LocalHost", True), ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("::ffff:127.0.0.1", True)],
        *[("localhost.", False), ("128.0.0.1", False), ("127.1", False), ("0x7f000001", False), ("localhost.example.test", False), ("::2", False)],
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback
