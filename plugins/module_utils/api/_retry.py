# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which API failures may be retried, and bounded retries for reads.

Writes are never repeated blindly: a write whose outcome is unknown (see ``outcome_unknown``) is first
reconciled with the API's state by the caller.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Deadline, read_retry_backoff, sleep_until_next

try:
    from hcloud import APIException
    from requests.exceptions import RequestException
except ImportError:
    APIException = RequestException = None  # type: ignore[assignment,misc]

T = TypeVar("T")

# Errors after which the API has certainly not applied the request.
NOT_APPLIED_CODES = frozenset(
    {
        "deprecated_api_endpoint",
        "forbidden",
        "invalid_input",
        "json_error",
        "locked",
        "maintenance",
        "not_found",
        "placement_error",
        "protected",
        "rate_limit_exceeded",
        "resource_limit_exceeded",
        "resource_unavailable",
        "token_readonly",
        "unauthorized",
        "uniqueness_error",
        "unsupported_error",
    }
)
# Of those, the ones that a later attempt may get past without anything changing on our side.
PASSING_CODES = frozenset({"rate_limit_exceeded", "locked", "conflict", "maintenance", "resource_unavailable"})


def error_code(exc: BaseException) -> Any:
    """The API's error code of ``exc`` (a string, or an HTTP status for bodies without one), else ``None``."""
    return exc.code if APIException is not None and isinstance(exc, APIException) else None


def is_transport_error(exc: BaseException) -> bool:
    """No answer at all: connection refused or dropped, or the request timed out."""
    return RequestException is not None and isinstance(exc, RequestException)


def is_rate_limited(exc: BaseException) -> bool:
    """The API refused the request because the project's request budget is used up."""
    return error_code(exc) == "rate_limit_exceeded"


def outcome_unknown(exc: BaseException) -> bool:
    """Whether a write that failed this way may have been applied all the same (server errors, lost answers)."""
    if is_transport_error(exc):
        return True
    code = error_code(exc)
    return code is not None and code not in NOT_APPLIED_CODES


def is_retryable_read_error(exc: BaseException) -> bool:
    """Whether a read that failed this way is worth another try."""
    return outcome_unknown(exc) or error_code(exc) in PASSING_CODES


def retry_read(
    call: Callable[[], T],
    deadline: Deadline,
    rate_limit: Any,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = 6,
    backoff: Backoff | None = None,
) -> T:
    """Call ``call()`` until it succeeds; retry transient failures a few times and rate limits until the deadline."""
    backoff = backoff or read_retry_backoff()
    failures = 0
    while True:
        try:
            return call()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not is_retryable_read_error(exc):
                raise
            at_least = 0.0
            if is_rate_limited(exc):
                at_least = rate_limit.seconds_until_next_request()
            else:
                failures += 1
                if failures >= max_attempts:
                    raise
            if not sleep_until_next(backoff, deadline, sleep, at_least=at_least):
                raise
