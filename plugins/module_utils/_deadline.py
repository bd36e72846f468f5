# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deadlines and capped, jittered backoff: every wait in the collection is bounded by one of these."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import random
import time


class Deadline:
    """A point in time after which a wait gives up; ``seconds=None`` never expires."""

    def __init__(self, seconds, clock=time.monotonic):
        self._clock = clock
        self.started = clock()
        self.seconds = seconds
        self._end = None if seconds is None else self.started + seconds

    def remaining(self):
        """Seconds left (never negative); ``None`` for a deadline that never expires."""
        if self._end is None:
            return None
        return max(0.0, self._end - self._clock())

    def expired(self):
        """Whether the deadline has passed."""
        return self._end is not None and self._clock() >= self._end

    def elapsed(self):
        """Seconds since the deadline was set."""
        return self._clock() - self.started

    def now(self):
        """The deadline's clock, for measuring against it."""
        return self._clock()

    def clamp(self, delay):
        """``delay`` shortened so that it ends no later than the deadline."""
        remaining = self.remaining()
        return delay if remaining is None else min(delay, remaining)


class Backoff:
    """Delays that start at ``initial``, grow by ``factor`` up to ``cap``, each spread by +/- ``jitter`` (a fraction)."""

    def __init__(self, initial=1.0, factor=1.5, cap=10.0, jitter=0.2, rng=None):
        if initial <= 0 or factor < 1 or cap < initial or not 0 <= jitter < 1:
            raise ValueError("backoff needs 0 < initial <= cap, factor >= 1 and 0 <= jitter < 1")
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self):
        """The next delay in seconds (the unjittered value never exceeds ``cap``)."""
        base = min(self.cap, self.initial * self.factor**self._attempt)
        if base < self.cap:  # once at the cap, stay there (and never overflow the exponent)
            self._attempt += 1
        spread = base * self.jitter
        return max(0.0, base + self._rng.uniform(-spread, spread))

    def reset(self):
        """Start again from ``initial`` (after progress was seen)."""
        self._attempt = 0


def sleep_until_next(backoff, deadline, sleep=time.sleep, at_least=0.0):
    """Sleep for the next backoff delay (or ``at_least``), never past the deadline; False if no time was left."""
    return sleep_within(deadline, max(at_least, backoff.next_delay()), sleep)


def sleep_within(deadline, delay, sleep=time.sleep):
    """Sleep ``delay`` seconds, never past the deadline; False if no time was left."""
    if deadline.expired():
        return False
    sleep(deadline.clamp(delay))
    return True
