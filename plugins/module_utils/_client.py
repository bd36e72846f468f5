# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build an ``hcloud.Client`` from the options every plugin of the collection shares."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import ipaddress
import traceback
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.lockaware.hcloud.plugins.module_utils._version import COLLECTION_NAME, COLLECTION_VERSION

HCLOUD_IMPORT_ERROR: str | None
try:
    import hcloud
except ImportError:
    hcloud = None  # type: ignore[assignment]
    HCLOUD_IMPORT_ERROR = traceback.format_exc()
else:
    HCLOUD_IMPORT_ERROR = None

DEFAULT_API_ENDPOINT = "https://api.hetzner.cloud/v1"
# The lowest version tested is 2.10.0 (tests/utils/matrix.py); 2.10 gave the client the layout disable_library_retries relies on.
HCLOUD_REQUIREMENT = "hcloud>=2.10.0,<3"
MISSING_HCLOUD_MESSAGE = f"the Python library hcloud is required on the controller: pip install '{HCLOUD_REQUIREMENT}'"
DEFAULT_REQUEST_TIMEOUT = 30


class ClientConfigError(ValueError):
    """The options given cannot build a client: the message says what to fix."""


def api_argument_spec() -> dict:
    """Argument spec of the options shared by every module (see the ``lockaware.hcloud.api`` doc fragment)."""
    return {
        "api_token": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["HCLOUD_TOKEN"])},
        "api_endpoint": {"type": "str", "default": DEFAULT_API_ENDPOINT, "fallback": (env_fallback, ["HCLOUD_ENDPOINT"])},
        "request_timeout": {"type": "float", "default": DEFAULT_REQUEST_TIMEOUT},
    }


def build_client(api_token: str, api_endpoint: str = DEFAULT_API_ENDPOINT, request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT) -> Any:
    """Return an ``hcloud.Client`` for the given credentials, with the library's own retries turned off.

    The library retries POST requests on timeouts, 502, 504 and ``conflict``, which can apply a write twice;
    the collection retries itself, after reconciling with the API's state.
    """
    if hcloud is None:
        raise ClientConfigError(MISSING_HCLOUD_MESSAGE)
    _check_options(api_token, api_endpoint, request_timeout)
    client = hcloud.Client(
        token=api_token,
        api_endpoint=api_endpoint.rstrip("/"),
        application_name=COLLECTION_NAME,
        application_version=COLLECTION_VERSION,
        timeout=request_timeout,
    )
    disable_library_retries(client)
    return client


def disable_library_retries(client: Any) -> None:
    """Stop the library from repeating requests by itself (covered by a test that fails if this stops working)."""
    # pylint: disable-next=protected-access
    client._client._retry_max_retries = 0


def _check_options(api_token: str, api_endpoint: str, request_timeout: float | None) -> None:
    if not api_token:
        raise ClientConfigError("no API token given: set the api_token option or the HCLOUD_TOKEN environment variable")
    if not api_endpoint or not api_endpoint.startswith(("http://", "https://")):
        raise ClientConfigError(f"api_endpoint must be an http:// or https:// URL such as {DEFAULT_API_ENDPOINT}, got {api_endpoint!r}")
    if api_endpoint.startswith("http://") and not is_loopback(urlsplit(api_endpoint).hostname or ""):
        raise ClientConfigError(
            f"api_endpoint {api_endpoint!r} is plain http:// to another machine: the API token would cross the network in clear; "
            "use https:// (plain http:// is only accepted for a loopback address: 127.0.0.1, ::1, localhost)"
        )
    if request_timeout is not None and request_timeout <= 0:
        raise ClientConfigError(f"request_timeout must be a positive number of seconds, got {request_timeout}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a URL's host name) is this machine: ``localhost``, 127.0.0.0/8 or ::1."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
