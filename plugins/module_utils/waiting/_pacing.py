# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waiting policy of a run: how its waits spend time and the project's requests, beside the API.

The API seam (``_protocol.SnapshotApi``) makes API calls and nothing else; how long to wait, and what a wait may
spend, is a ``Pacing``, built once per run (``_fleet.FleetRun``; a single ``server`` is a fleet of one and takes
the same path) and handed to every task beside its API: the run's request budget (``_budget.RequestBudget``), the
tick at which waits look at shared answers, the reservation of a create_image resent after ``locked``, the wait
after ``rate_limit_exceeded``. A task on its own (``Pacing()``) has no budget and no tick: its waits keep to their
own backoff, and a resend to the create protocol's.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._protocol import RateLimit
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget

# Requests of one resend of create_image after ``locked``: the running actions, the look for a match, the POST.
RESEND_ROUND = 3
# The wait after ``rate_limit_exceeded`` when no rate limit headers are known (as ``RateLimitObserver`` says then).
UNKNOWN_RATE_LIMIT_WAIT = 1.0


class Pacing:
    """How the waits of one run spend time and requests; thread-safe.

    ``budget``: the run's request budget (None: the waits spend nothing from one). ``tick``: how often a wait looks
    at answers that others read (the fleet's action poller alone decides when to ask the API; None: as the wait's
    own backoff says). ``rate_limit``: the observer of the API's rate limit headers.
    """

    def __init__(self, rate_limit: RateLimit | None = None, budget: RequestBudget | None = None, tick: float | None = None) -> None:
        self.budget = budget
        self.tick = tick
        self._rate_limit = rate_limit
        self._lock = threading.Lock()
        self._images_read: set = set()  # images a task has read once (a read again is a poll, paid from the budget)

    def poll_delay(self, delay: float) -> float:
        """The wait before looking at an action again: ``delay`` (its backoff), or the tick if sooner."""
        return delay if self.tick is None else min(delay, self.tick)

    def resend_delay(self) -> float:
        """Seconds to wait before create_image goes again after ``locked``.

        The run's budget pays for a round of a resend first: the look at the running actions, the look for a
        matching snapshot, the create_image; this is how long until it has (a lock found by sending is waited on
        within the budget, like a lock the API lists). Without a budget, 0: the create protocol's backoff paces.
        """
        return 0.0 if self.budget is None else self.budget.reserve(RESEND_ROUND)

    def rate_limit_wait(self) -> float:
        """Seconds to wait before a request goes again after ``rate_limit_exceeded``, by the last headers."""
        return UNKNOWN_RATE_LIMIT_WAIT if self._rate_limit is None else self._rate_limit.seconds_until_next_request()

    def pay_image_read(self, image_id: int) -> None:
        """Before ``GET /images/{id}``: a read of this image again (the snapshot still creating) is a poll, paid from
        the budget; the first is the one a task needs (its action ended: is it available?), paid by the fleet's reads
        that make it (``_new_snapshot_reads``: a snapshot the task created) or not at all (an adopted one)."""
        if self.budget is None:
            return
        with self._lock:
            repeat = image_id in self._images_read
            self._images_read.add(image_id)
        if repeat:
            self.budget.spend(1)


UNPACED = Pacing()
