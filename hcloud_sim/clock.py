"""The simulator's clock: wall-clock time, and simulated durations scaled by ``--speed``.

Every timestamp the simulator stores or renders is a real UNIX time (seconds, UTC).
Every duration it decides or is given (an action's run time, a lock's ``seconds``) is in
simulated seconds; at speed ``S`` it takes ``seconds / S`` real seconds. Nothing in the
simulator sleeps to make time pass: state is settled from ``now()`` whenever it is read.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Real time, with simulated durations divided by ``speed``."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be greater than 0")
        self.speed = speed

    def now(self) -> float:
        """The current UNIX time in seconds."""
        return time.time()

    def real_seconds(self, simulated_seconds: float) -> float:
        """How many real seconds a simulated duration takes."""
        return simulated_seconds / self.speed

    def after(self, simulated_seconds: float, start: float | None = None) -> float:
        """The UNIX time at which a simulated duration that starts at ``start`` (default now) ends."""
        origin = self.now() if start is None else start
        return origin + self.real_seconds(simulated_seconds)


class FakeClock(Clock):
    """A clock for unit tests: time stands still until ``advance`` moves it."""

    def __init__(self, start: float = 1_795_000_000.0, speed: float = 1.0) -> None:
        super().__init__(speed)
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, real_seconds: float) -> None:
        """Move time forward by ``real_seconds``."""
        self._now += real_seconds


def isoformat(timestamp: float) -> str:
    """Render a UNIX time the way the API does: ``2026-11-23T13:00:00+00:00`` (whole seconds, UTC)."""
    return datetime.fromtimestamp(int(timestamp), tz=UTC).isoformat()
