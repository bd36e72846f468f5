# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the API's rate limit headers, so waits can honour them, and the crowd that shares them (``_crowd``)."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._crowd import CrowdEstimate
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK, Clock


class RateLimitObserver:
    """Remembers the RateLimit-* headers of the last response the client received, and estimates the crowd from them."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock
        self._crowd = CrowdEstimate()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: int | None = None
        self._observed_at: float | None = None

    def attach(self, client: Any) -> RateLimitObserver:
        """Watch every response of an ``hcloud.Client`` (through its requests session's response hook)."""
        # pylint: disable-next=protected-access
        client._client._session.hooks["response"].append(self.observe)
        return self

    def observe(self, response: Any, *args: Any, **kwargs: Any) -> None:  # pylint: disable=unused-argument
        """requests response hook."""
        headers = response.headers
        limit, remaining = _int_or(headers.get("RateLimit-Limit"), None), _int_or(headers.get("RateLimit-Remaining"), None)
        if limit is not None and limit > 0 and remaining is not None:
            self._crowd.observe(self._clock(), limit, remaining)
        self.limit = _int_or(headers.get("RateLimit-Limit"), self.limit)
        self.remaining = _int_or(headers.get("RateLimit-Remaining"), self.remaining)
        self.reset = _int_or(headers.get("RateLimit-Reset"), self.reset)
        self._observed_at = self._clock()

    def crowd(self) -> float:
        """How many runs like this one share the project's budget, as the headers show it (``_crowd``): at least 1."""
        return self._crowd.crowd()

    def projected_remaining(self) -> int | None:
        """``RateLimit-Remaining`` as it stands now: the last one seen plus the refill since (``limit`` an hour).

        The API refills the bucket gradually (one request a second on a 3600-an-hour project), so a run that stopped
        asking when few requests were left sees them come back without having to ask.
        """
        if self.remaining is None or self.limit is None or self._observed_at is None:
            return self.remaining
        refilled = max(0.0, self._clock() - self._observed_at) * self.limit / 3600.0
        return min(self.limit, self.remaining + int(refilled))

    def seconds_until_next_request(self) -> float:
        """How long to wait before one request is allowed again, from the last headers (1 s when no headers were seen)."""
        if self.reset is None or self.limit is None or self.remaining is None:
            return 1.0
        until_full = max(0.0, self.reset - self._clock.now().timestamp())  # RateLimit-Reset is a UNIX time
        missing = max(1, self.limit - self.remaining)
        return max(1.0, until_full / missing)


def _int_or(value: Any, default: int | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
