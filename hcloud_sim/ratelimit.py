"""The API's rate limit: a token bucket per project.

The bucket holds ``limit`` tokens (requests per hour) and refills continuously at
``limit / 3600`` tokens per second (real time, independent of ``--speed``). Each request
takes one token; an empty bucket answers 429 ``rate_limit_exceeded``. Every response
carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (the UNIX time
at which the bucket will be full again).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class RateLimitState:
    """The outcome of one request against the bucket."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        """The ``RateLimit-*`` response headers."""
        return {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining), "RateLimit-Reset": str(self.reset)}


class TokenBucket:
    """A thread-safe token bucket refilled continuously."""

    def __init__(self, limit: int, clock: Clock) -> None:
        if limit < 1:
            raise ValueError("the rate limit must be at least 1 request per hour")
        self.limit = limit
        self._clock = clock
        self._rate = limit / 3600.0
        self._lock = threading.Lock()
        self._tokens = float(limit)
        self._updated = clock.now()

    def take(self) -> RateLimitState:
        """Take one token if there is one."""
        with self._lock:
            now = self._refill()
            allowed = self._tokens >= 1.0
            if allowed:
                self._tokens -= 1.0
            return self._state(allowed, now)

    def peek(self) -> RateLimitState:
        """The bucket's state without taking a token (for answers that do not count)."""
        with self._lock:
            now = self._refill()
            return self._state(True, now)

    def reset(self) -> None:
        """Fill the bucket."""
        with self._lock:
            self._tokens = float(self.limit)
            self._updated = self._clock.now()

    def _refill(self) -> float:
        now = self._clock.now()
        self._tokens = min(float(self.limit), self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        return now

    def _state(self, allowed: bool, now: float) -> RateLimitState:
        missing = self.limit - self._tokens
        reset = math.ceil(now + missing / self._rate) if missing > 0 else math.ceil(now)
        return RateLimitState(allowed, self.limit, math.floor(self._tokens), reset)
