# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build an ``hcloud.Client`` from the options every plugin of the collection shares."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import math
import traceback
from typing import Any

from ansible.module_utils.basic import env_fallback

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._endpoint import DEFAULT_API_ENDPOINT, EndpointRefused, checked_endpoint
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._token import remember, stripped_token, token_problem
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._version import COLLECTION_NAME, COLLECTION_VERSION

HCLOUD_IMPORT_ERROR: str | None
try:
    import hcloud
except ImportError:
    hcloud = None  # type: ignore[assignment]
    HCLOUD_IMPORT_ERROR = traceback.format_exc()
else:
    HCLOUD_IMPORT_ERROR = None

# The lowest version tested is 2.10.0 (tests/utils/matrix.py); 2.10 gave the client the layout disable_library_retries relies on.
HCLOUD_REQUIREMENT = "hcloud>=2.10.0,<3"
MISSING_HCLOUD_MESSAGE = f"the Python library hcloud is required on the controller: pip install '{HCLOUD_REQUIREMENT}'"
DEFAULT_REQUEST_TIMEOUT = 30
# One request waiting longer than an hour is a hung connection, not a slow API (and larger values overflow the socket's timer).
MAX_REQUEST_TIMEOUT = 3600


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

    The token is used without the whitespace around it, the endpoint as ``_endpoint.checked_endpoint`` rebuilt it;
    both are refused before any request when they break the rules (``_token``, ``_endpoint``). The library retries
    POST requests on timeouts, 502, 504 and ``conflict``, which can apply a write twice; the collection retries
    itself, after reconciling with the API's state.
    """
    remember(api_token)
    if hcloud is None:
        raise ClientConfigError(MISSING_HCLOUD_MESSAGE)
    token, endpoint = checked_options(api_token, api_endpoint, request_timeout)
    client = hcloud.Client(
        token=token,
        api_endpoint=endpoint,
        application_name=COLLECTION_NAME,
        application_version=COLLECTION_VERSION,
        timeout=request_timeout,
    )
    disable_library_retries(client)
    if endpoint.startswith("http://"):
        reach_directly(client)
    return client


def reach_directly(client: Any) -> None:
    """Ignore the environment's proxies (and ``~/.netrc``) for a plain ``http://`` endpoint, which is only accepted on
    this machine: a proxy from ``http_proxy`` would carry the token in clear across the network."""
    session = getattr(getattr(client, "_client", None), "_session", None)
    if session is not None:
        session.trust_env = False


def disable_library_retries(client: Any) -> None:
    """Stop the library from repeating requests by itself (covered by a test that fails if this stops working)."""
    # pylint: disable-next=protected-access
    client._client._retry_max_retries = 0


def checked_options(api_token: Any, api_endpoint: Any, request_timeout: float | None) -> tuple[str, str]:
    """The token and the endpoint to use; ``ClientConfigError`` saying what to fix (never showing the token)."""
    token = stripped_token(api_token)
    if not token:
        raise ClientConfigError("no API token given: set the api_token option or the HCLOUD_TOKEN environment variable")
    problem = token_problem(token)
    if problem:
        raise ClientConfigError(problem)
    try:
        endpoint = checked_endpoint(api_endpoint)
    except EndpointRefused as exc:
        raise ClientConfigError(str(exc)) from None
    if request_timeout is not None and not (math.isfinite(request_timeout) and 0 < request_timeout <= MAX_REQUEST_TIMEOUT):
        raise ClientConfigError(f"request_timeout must be a positive number of seconds, at most {MAX_REQUEST_TIMEOUT} (an hour), got {request_timeout}")
    return token, endpoint
