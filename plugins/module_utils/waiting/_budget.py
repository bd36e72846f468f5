# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The request budget of a run's waits: how many requests a second all its polls together may spend.

Every wait of a run (lock polls, action polls, image polls) draws from one ``RequestBudget``: a token bucket that
refills at ``poll_budget`` times the project's rate (``RateLimit-Limit`` per hour, 3600 when not known yet) divided
by the crowd (``_crowd.CrowdEstimate``: how many runs, AWX job slices or other clients, spend from the project's
bucket, as its ``RateLimit-Remaining`` shows; the runs together keep to one budget without talking), holds
at most ``BURST`` requests (so that the end of many actions at once is seen at once; divided by the crowd too: the
runs together hold one burst), and refills more slowly as
``RateLimit-Remaining`` (the last one seen, plus the API's refill since) runs low: below ``LOW_WATER`` of the
project's budget in proportion, and below ``RESERVE`` only a trickle, one request a minute on a 3600-an-hour
project (a sixtieth of the API's refill, so the project's other clients get the rest), none when none is left.
A wait never stops asking for good: a run whose waits stopped would never see the requests come back.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK, Clock

DEFAULT_POLL_BUDGET = 0.25
DEFAULT_HOURLY_LIMIT = 3600
BURST = 20.0
# Below this share of the project's budget left, the waits slow down in proportion; below RESERVE they stop asking.
LOW_WATER = 0.5
RESERVE = 0.05
TRICKLE = 1 / 60  # the share of the API's refill the waits may spend below RESERVE


class RequestBudget:
    """A token bucket shared by every wait of one run; thread-safe."""

    def __init__(self, share: float = DEFAULT_POLL_BUDGET, rate_limit: Any = None, clock: Clock = SYSTEM_CLOCK, burst: float = BURST) -> None:
        if not 0 < share <= 1:
            raise ValueError("the poll budget is a share of the project's rate limit: more than 0, at most 1")
        self.share = share
        self._rate_limit = rate_limit
        self._clock = clock
        self._burst = burst
        self._tokens = burst
        self._at = clock()
        self._lock = threading.Lock()

    def rate(self) -> float:
        """Requests a second the waits may spend now: the share of the project's rate, less when it runs low."""
        limit = _known(self._rate_limit, "limit") or DEFAULT_HOURLY_LIMIT
        full = self.share * limit / 3600.0 / _crowd(self._rate_limit)
        trickle = min(full, TRICKLE * limit / 3600.0)
        remaining = _remaining(self._rate_limit)
        if remaining is None:
            return full
        if remaining < 1:
            return 0.0
        left = remaining / limit
        if left >= LOW_WATER:
            return full
        return max(trickle, full * (left - RESERVE) / (LOW_WATER - RESERVE))

    def _refill(self) -> float:
        now = self._clock()
        rate = self.rate()
        limit = _known(self._rate_limit, "limit") or DEFAULT_HOURLY_LIMIT
        # A budget running low, or shared by a crowd, also holds fewer requests at once: a crowd of N holds BURST
        # together, and no burst of polls goes into a nearly empty project.
        cap = max(1.0, self._burst * rate / (self.share * limit / 3600.0))
        self._tokens = min(cap, self._tokens + (now - self._at) * rate)
        self._at = now
        return now

    def take(self, requests: float = 1.0) -> bool:
        """Spend ``requests`` if the budget has them now; False (nothing spent) if not."""
        with self._lock:
            self._refill()
            if self._tokens < requests or self.rate() <= 0:  # the project's last requests are never spent on waiting
                return False
            self._tokens -= requests
            return True

    def spend(self, requests: float = 1.0) -> None:
        """Spend ``requests`` that had to be made (a first read, an id missing from an answer), even past empty."""
        with self._lock:
            self._refill()
            self._tokens -= requests

    def reserve(self, requests: float) -> float:
        """Spend ``requests`` now, even past empty; returns how long to wait before sending them (0 if paid for).

        For requests that will be sent in any case, only later (a create_image sent again after ``locked``): the
        wait lets the budget refill what they cost first.
        """
        with self._lock:
            self._refill()
            self._tokens -= requests
            if self._tokens >= 0:
                return 0.0
            rate = self.rate()
            return -self._tokens / rate if rate > 0 else 5.0

    def seconds_until(self, requests: float = 1.0) -> float:
        """How long until ``requests`` can be spent (at least a second when the project's budget is nearly empty)."""
        with self._lock:
            self._refill()
            missing = requests - self._tokens
            if missing <= 0:
                return 0.0
            rate = self.rate()
            return missing / rate if rate > 0 else 5.0  # the project's bucket refills: look again soon


def _crowd(rate_limit: Any) -> float:
    """How many runs share the project's budget (``_crowd.CrowdEstimate``, through the observer): 1 when not known."""
    crowd = getattr(rate_limit, "crowd", None)
    value = crowd() if callable(crowd) else 1.0
    return value if isinstance(value, (int, float)) and value >= 1 else 1.0


def _remaining(rate_limit: Any) -> int | None:
    """The project's remaining requests now: projected from the last headers where the observer can."""
    projected = getattr(rate_limit, "projected_remaining", None)
    return projected() if callable(projected) else _known(rate_limit, "remaining")


def _known(rate_limit: Any, name: str) -> int | None:
    value = getattr(rate_limit, name, None)
    return value if (isinstance(value, int) and value > 0) or (name == "remaining" and isinstance(value, int)) else None
