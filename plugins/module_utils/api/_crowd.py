# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How many of us share the project's rate limit, as the API's headers show it: the crowd a run's budget divides by.

Several runs on one project (AWX job slices on different nodes, two playbooks at once) do not talk to each other; the
one truth they share is the project's bucket, whose ``RateLimit-Remaining`` every response carries. Between two
responses of this process the project spent ``remaining before + refill since - remaining now`` requests (valid while
the bucket stayed below full: a full bucket throws its refill away), of which this process spent one (the second
response's request). The crowd is the project's consumption over this process's own, both smoothed over about a
minute: 1 alone, N for N runs alike, more when another client spends too. A run whose budget is its share divided
by its crowd takes ``share x rate x own / project`` a second; summed over every run that is at most
``share x rate`` (the runs' own requests are a part of the project's), whatever each run's mix of polls and writes.
When the API counts per token instead of per project, each token's headers show its own bucket, and the same holds
for every bucket.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import math
import threading

# Two smoothings: a crowd that changes is seen within about a minute, and a run's own bursts of writes (its next
# servers' creates, its rotation) do not make it look alone for long: the crowd is the larger of the two estimates.
SMOOTHING = (60.0, 600.0)  # s: a sample this old weighs 1/e as much as a new one
SETTLED = 3  # samples (pairs of own responses) before the estimate counts: before that, the run counts as alone


class CrowdEstimate:
    """The project's requests per request of this process, from each response's ``RateLimit-Remaining``; thread-safe."""

    def __init__(self, smoothing: tuple[float, ...] = SMOOTHING) -> None:
        self._ratios = [_SmoothedRatio(seconds) for seconds in smoothing]
        self._samples = 0
        self._last: tuple[float, int] | None = None  # (time, remaining) of the last response
        self._lock = threading.Lock()

    def observe(self, at: float, limit: int, remaining: int) -> None:
        """One response to this process, received at ``at`` (seconds of the run's clock), the bucket at ``remaining``."""
        with self._lock:
            last, self._last = self._last, (at, remaining)
            if last is None:
                return
            then, before = last
            elapsed = max(0.0, at - then)
            refilled = before + elapsed * limit / 3600.0
            if refilled >= limit:  # the bucket may have been full meanwhile: how much refill it threw away is unknown
                return
            # Answers of concurrent requests may arrive out of order (a sample below 0): the sums still add up.
            for ratio in self._ratios:
                ratio.add(elapsed, refilled - remaining)
            self._samples += 1

    def crowd(self) -> float:
        """The project's consumption over this process's own: at least 1, 1 until enough was seen."""
        with self._lock:
            if self._samples < SETTLED:
                return 1.0
            return max(1.0, *(ratio.value() for ratio in self._ratios))


class _SmoothedRatio:
    """The project's requests over this process's, each an exponentially weighted sum over ``smoothing`` seconds."""

    def __init__(self, smoothing: float) -> None:
        self._smoothing = smoothing
        self._project = 0.0
        self._own = 0.0

    def add(self, elapsed: float, project: float) -> None:
        decay = math.exp(-elapsed / self._smoothing)
        self._project = self._project * decay + project
        self._own = self._own * decay + 1.0

    def value(self) -> float:
        return self._project / self._own if self._own > 0 else 1.0
