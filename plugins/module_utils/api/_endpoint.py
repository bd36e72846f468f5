# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which API endpoints the collection sends the token to: read once, with the parser that sends, before any request.

A URL that parsers read differently is a way around a check: ``http://evil.example\\@127.0.0.1/v1`` is a loopback
address to ``urllib.parse`` and ``evil.example`` to urllib3, which requests (and so the ``hcloud`` library) uses to
send. So the endpoint is refused, with what was wrong and what to do, when it has anything parsers disagree on or
a base URL has no use for: user info, a backslash, whitespace or a control character, a non-ASCII character, a
query or a fragment, a percent-encoded host, an IPv4 address in a short or numeric form, a port that is not a number
from 1 to 65535, no host, ``.`` or ``..`` in the path. What is left is read by urllib3's ``parse_url`` (what
``requests.PreparedRequest.prepare_url`` calls), rebuilt from that reading, and checked to read the same with
``urllib.parse`` (what requests' connection pools use): the client is given that rebuilt URL, the one checked.

Plain ``http://`` is accepted only for a loopback address (127.0.0.0/8, ``::1``, ``localhost``), since the token
would cross the network in clear.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

try:
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url
except ImportError:  # reported as the missing hcloud library, which needs urllib3, before any endpoint is read
    parse_url = LocationParseError = None  # type: ignore[assignment,misc]

DEFAULT_API_ENDPOINT = "https://api.hetzner.cloud/v1"
# A host name: labels of letters, digits, '-' and '_', separated by dots.
_HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$", re.IGNORECASE)
# What inet_aton reads as an IPv4 address: one to four parts, decimal, octal (leading 0) or hexadecimal (0x).
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)
_PORT = re.compile(r"^[0-9]{1,5}$")
# Characters after which parsers disagree on where the host ends, or that a base URL cannot carry.
_AMBIGUOUS = {
    "\\": "a backslash: parsers disagree on whether it ends the host; write forward slashes only",
    "@": "an '@' (user info, user:password@): parsers disagree on where a host with it ends; give the URL without it (the token goes in api_token)",
    "?": "a query ('?'): the API's paths are appended to the base URL; give scheme, host, port and path only",
    "#": "a fragment ('#'): the API's paths are appended to the base URL; give scheme, host, port and path only",
}


class EndpointRefused(ValueError):
    """The endpoint is refused before any request; the message says what was wrong and what to do."""


def checked_endpoint(value: Any) -> str:
    """The URL the client is to be given for ``value`` (whitespace around it dropped, no trailing slash); refuses the rest."""
    endpoint = "" if value is None else str(value).strip()
    scheme, separator, rest = endpoint.partition("://")
    if not separator or scheme.lower() not in ("http", "https"):
        raise EndpointRefused(f"api_endpoint must be an http:// or https:// URL such as {DEFAULT_API_ENDPOINT}, got {shown(endpoint)}")
    refuse_if(character_problem(endpoint), endpoint)
    authority, _slash, path = rest.partition("/")
    host, port = split_authority(authority, endpoint)
    if {".", ".."} & set(path.split("/")):
        refuse_if("'.' or '..' in its path; give the path itself, such as /v1", endpoint)
    url = rebuilt(endpoint, scheme.lower(), host, port)
    if scheme.lower() == "http" and not is_loopback(host):
        raise EndpointRefused(
            f"api_endpoint {shown(endpoint)} is plain http:// to another machine: the API token would cross the network in clear; "
            "use https:// (plain http:// is only accepted for a loopback address: 127.0.0.1, ::1, localhost)"
        )
    return url


def refuse_if(problem: str | None, endpoint: str) -> None:
    """Raise ``EndpointRefused`` naming ``problem``, if there is one."""
    if problem:
        raise EndpointRefused(f"api_endpoint {shown(endpoint)} is refused before any request: it has {problem}")


def character_problem(endpoint: str) -> str | None:
    """What in the URL's characters parsers may read differently, or ``None``."""
    for position, char in enumerate(endpoint, start=1):
        if char.isspace() or not char.isprintable():
            return f"whitespace or a control character inside it (character {position}); remove it"
        if not char.isascii():
            return f"a non-ASCII character (character {position}); write the host in its ASCII (xn--) form and percent-encode the path"
        if char in _AMBIGUOUS:
            return _AMBIGUOUS[char]
    return None


def split_authority(authority: str, endpoint: str) -> tuple[str, int | None]:
    """Host and port of ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``, each checked."""
    if "%" in authority:
        refuse_if("a percent-encoded host (or an IPv6 zone); write the host as it is", endpoint)
    if authority.startswith("["):
        host, _bracket, port_text = authority[1:].partition("]")
        refuse_if(ipv6_problem(host, port_text), endpoint)
        return host, checked_port(port_text[1:], endpoint) if port_text else None
    host, colon, port_text = authority.partition(":")
    refuse_if(host_problem(host), endpoint)
    return host, checked_port(port_text, endpoint) if colon else None


def ipv6_problem(host: str, after: str) -> str | None:
    """What is wrong with ``[host]after``, or ``None``."""
    if not is_ipv6(host):
        return f"the host [{host}], which is not an IPv6 address; write one such as [::1]"
    if after and not after.startswith(":"):
        return f"text after the IPv6 address ({after!r}); give [address] or [address]:port"
    return None


def checked_port(text: str, endpoint: str) -> int:
    """A port: 1 to 5 ASCII digits, from 1 to 65535."""
    if not _PORT.match(text) or not 1 <= int(text) <= 65535:
        refuse_if(f"the port {text!r}, which is not a number from 1 to 65535; give a port such as 8765, or none for the scheme's default", endpoint)
    return int(text)


def host_problem(host: str) -> str | None:
    """What is wrong with a host that is not an IPv6 literal, or ``None``."""
    if not host:
        return "no host; give one, such as api.hetzner.cloud or 127.0.0.1"
    if _NUMERIC_HOST.match(host) and not is_ipv4(host):
        return f"the host {host!r}, an IPv4 address in a short, octal or hexadecimal form; write it as four decimal numbers, such as 127.0.0.1"
    if host.endswith("."):
        return f"the host {host!r}, which ends with a dot; write it without (localhost, not localhost.)"
    if not _HOST_NAME.match(host) or len(host) > 253:
        return f"the host {host!r}, which is neither a host name nor an IP address"
    return None


def rebuilt(endpoint: str, scheme: str, host: str, port: int | None) -> str:
    """The URL as urllib3 reads it, rebuilt; refused unless our reading, urllib3's (of the endpoint and of a request URL
    made from the rebuilt one) and urllib.parse's agree on the host and the port."""
    if parse_url is None:
        raise EndpointRefused("the Python library urllib3 (a requirement of hcloud) is missing")
    try:
        parsed = parse_url(endpoint)
    except LocationParseError as exc:
        raise EndpointRefused(f"api_endpoint {shown(endpoint)} cannot be read as a URL ({exc}); give one such as {DEFAULT_API_ENDPOINT}") from None
    netloc = f"[{host}]" if ":" in host else host
    url = f"{scheme}://{netloc.lower()}{f':{port}' if port else ''}{(parsed.path or '').rstrip('/')}"
    first, second = parse_url(url + "/servers"), urlsplit(url + "/servers")
    readings = {(host.lower(), port), (unbracketed(parsed.host), parsed.port), (unbracketed(first.host), first.port), (second.hostname, second.port)}
    if len(readings) > 1:
        refuse_if(f"a host or port that parsers read differently ({sorted(readings, key=str)})", endpoint)
    return url


def unbracketed(host: str | None) -> str | None:
    """An IPv6 literal without its brackets, lower case."""
    return host.strip("[]").lower() if host else host


def is_ipv4(host: str) -> bool:
    """Whether ``host`` is an IPv4 address in four decimal parts."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def is_ipv6(host: str) -> bool:
    """Whether ``host`` (without brackets) is an IPv6 address."""
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL's host) is this machine: ``localhost``, 127.0.0.0/8 or ::1 (or ::ffff:127.x.x.x)."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def shown(endpoint: str) -> str:
    """The endpoint for a message: quoted, control characters escaped, anything before an '@' in the host hidden."""
    return repr(re.sub(r"(?<=://)[^/]*@", "...@", endpoint))
