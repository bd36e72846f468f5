# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time, in one vocabulary: a clock, deadlines, capped jittered backoff, progress pacing, and the named presets.

Every wait of the collection runs on a ``Clock`` (the real one, or the tests' fake) and ends at a ``Deadline``.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable

# The deadline of one read (its retries included) and of a short write action (protection, power).
READ_PATIENCE = 120
ACTION_PATIENCE = 120


def utc_now() -> datetime.datetime:
    """Now, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


class Clock:
    """Monotonic seconds (call it), ``sleep(seconds)`` and the wall clock ``now()``: what every wait runs on."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self._now = now

    def __call__(self) -> float:
        return self._monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        self._sleep(seconds)

    def now(self) -> datetime.datetime:
        """The wall clock, aware, in UTC."""
        return self._now()

    def checkpoint(self) -> None:
        """Before something new is started: a clock whose run was cancelled raises here (``_cancel``)."""

    def shielded(self) -> Clock:
        """The clock for putting things back after a cancellation: its sleeps always sleep (this one's do)."""
        return self


SYSTEM_CLOCK = Clock()


class Deadline:
    """A point in time after which a wait gives up; ``seconds=None`` never expires."""

    def __init__(self, seconds: float | None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.started = clock()
        self.seconds = seconds
        self._end = None if seconds is None else self.started + seconds

    def remaining(self) -> float | None:
        """Seconds left (never negative); ``None`` for a deadline that never expires."""
        if self._end is None:
            return None
        return max(0.0, self._end - self.clock())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self._end is not None and self.clock() >= self._end

    def elapsed(self) -> float:
        """Seconds since the deadline was set."""
        return self.clock() - self.started

    def now(self) -> float:
        """The deadline's clock, for measuring against it."""
        return self.clock()

    def clamp(self, delay: float) -> float:
        """``delay`` shortened so that it ends no later than the deadline."""
        remaining = self.remaining()
        return delay if remaining is None else min(delay, remaining)


class Backoff:
    """Delays that start at ``initial``, grow by ``factor`` up to ``cap``, each spread by +/- ``jitter`` (a fraction)."""

    def __init__(self, initial: float = 1.0, factor: float = 1.5, cap: float = 10.0, jitter: float = 0.2, rng: random.Random | None = None) -> None:
        if initial <= 0 or factor < 1 or cap < initial or not 0 <= jitter < 1:
            raise ValueError("backoff needs 0 < initial <= cap, factor >= 1 and 0 <= jitter < 1")
        self.initial = initial
        self.factor = factor
        self.cap = cap
        self.jitter = jitter
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_delay(self) -> float:
        """The next delay in seconds (the unjittered value never exceeds ``cap``)."""
        base = min(self.cap, self.initial * self.factor**self._attempt)
        if base < self.cap:  # once at the cap, stay there (and never overflow the exponent)
            self._attempt += 1
        spread = base * self.jitter
        return max(0.0, base + self._rng.uniform(-spread, spread))


# The named presets ------------------------------------------------------------------------------------------


def poll_backoff() -> Backoff:
    """Polling an action, a snapshot or a lock: about 1 s at first, growing to about 10 s (kind to the rate limit)."""
    return Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.2)


def read_retry_backoff() -> Backoff:
    """Retrying a read that failed transiently: 0.5 s, doubling up to 8 s."""
    return Backoff(initial=0.5, factor=2.0, cap=8.0)


def create_retry_backoff() -> Backoff:
    """Sending create_image again after a refusal that may pass (locked, rate limited, outcome unknown): 1 s, doubling up to 10 s."""
    return Backoff(initial=1.0, factor=2.0, cap=10.0)


# Sleeping within a deadline --------------------------------------------------------------------------------


def sleep_until_next(backoff: Backoff, deadline: Deadline, sleep: Callable[[float], None] = time.sleep, at_least: float = 0.0) -> bool:
    """Sleep for the next backoff delay (or ``at_least``), never past the deadline; False if no time was left."""
    return sleep_within(deadline, max(at_least, backoff.next_delay()), sleep)


def sleep_within(deadline: Deadline, delay: float, sleep: Callable[[float], None] = time.sleep) -> bool:
    """Sleep ``delay`` seconds, never past the deadline; False if no time was left."""
    if deadline.expired():
        return False
    sleep(deadline.clamp(delay))
    return True


class ProgressPacer:
    """When to look at a running action again: when its progress says it should be done, within the backoff.

    Actions report a progress in percent. From two readings the remaining time is estimated, and the next poll
    is due then (at least the backoff's first delay, at most its cap); with no progress to go by, the backoff's
    own rhythm is used. A long snapshot is then polled a handful of times, and its end is seen soon after.
    """

    def __init__(self, backoff: Backoff, clock: Clock) -> None:
        self._backoff = backoff
        self._clock = clock
        self._first: tuple[float, float] | None = None

    def next_delay(self, progress: float | None) -> float:
        """Seconds until the next poll, given the latest progress reading (None if unknown)."""
        now = self._clock()
        if progress is None or progress >= 100:
            return self._backoff.next_delay()
        if self._first is None or progress < self._first[1]:
            self._first = (now, progress)
        remaining = remaining_time(self._first, now, progress)
        if remaining is None:
            return self._backoff.next_delay()
        return min(self._backoff.cap, max(self._backoff.initial, remaining))


def remaining_time(first: tuple[float, float] | None, now: float, progress: float) -> float | None:
    """Seconds until an action ends by its progress: the rate since ``first`` (the time and progress of the first
    reading of its current rise) carried on to 100 %; None when the readings tell nothing (no rise, no time passed,
    or already at 100 %)."""
    if first is None or progress >= 100 or progress <= first[1] or now <= first[0]:
        return None
    return (100 - progress) * (now - first[0]) / (progress - first[1])
