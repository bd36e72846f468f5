# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first read of each new snapshot once its action ended, shared by the tasks of a fleet run asking at once.

A task that created a snapshot reads it once its create action ended (is it available, how large is it). Without
rotation nothing else reads it, and one ``GET /images/{id}`` each, right after the creates, is a request per server
outside the run's budget. Instead the tasks that one action poll woke (they ask within a poll tick) share reads of
``GET /images?label_selector=lockaware.hcloud/request in (...)``: every snapshot this collection creates carries
the label of its create request (``_create``), unique to it, so one read of one page covers up to 50 snapshots.
Each read is paid from the run's budget (``_budget.RequestBudget``), and lets the action polls go first: it waits
(at most ``YIELD_AT_MOST``) until the budget holds a request beyond the next poll, and takes in every snapshot whose
end the polls saw meanwhile, so that when the budget is spent, a poll then a read per 25 ends does not become
the order (each 4 s at 0.25 a second), but the polls, then one read per 50. A snapshot the read does not show
(deleted meanwhile, or not yet listed) is read on its own, paid the same way.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from collections.abc import Iterable

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import REQUEST_LABEL
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import POLL_TICK
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# Snapshots one read covers: one page of the API's listing.
SNAPSHOTS_PER_READ = 50
# The longest a read lets the action polls go first before it takes its request from the budget.
YIELD_AT_MOST = 30.0
_NOT_SHOWN = object()


class NewSnapshotReads:
    """Reads new snapshots by their create requests' labels, up to 50 a read, for the tasks asking at once; thread-safe."""

    def __init__(self, api: HcloudApi, budget: RequestBudget, clock: Clock, gather: float = POLL_TICK) -> None:
        self._api = api
        self._budget = budget
        self._clock = clock
        self._gather = gather
        self._lock = threading.Lock()  # guards the snapshots waiting
        self._read_lock = threading.Lock()  # one read in flight at a time
        self._waiting: dict = {}  # image ID: its create request's label value
        self._read: dict = {}  # image ID: the image as a read begun after its task asked showed it (or _NOT_SHOWN)

    def snapshot(self, image_id: int, request_id: str) -> dict | None:
        """The snapshot as a read begun after this call shows it (None: it no longer exists), read with the snapshots
        of every task that asks within ``gather`` seconds."""
        with self._lock:
            self._waiting[image_id] = request_id
        with self._read_lock:
            if image_id not in self._read:
                self._clock.sleep(self._gather)  # the tasks one poll's answer woke join this read
                self._pay(after_polls=True)  # and those the polls meanwhile wake
                with self._lock:
                    waiting, self._waiting = self._waiting, {}
                self._read_all(waiting)
            found = self._read.pop(image_id)
        if found is not _NOT_SHOWN:
            return found
        self._pay()
        return self._api.image(image_id)

    def _read_all(self, waiting: dict) -> None:
        ids = sorted(waiting)
        for start in range(0, len(ids), SNAPSHOTS_PER_READ):
            chunk = ids[start : start + SNAPSHOTS_PER_READ]
            if start:  # the first read was paid before the snapshots waiting were taken in
                self._pay()
            shown = {image["id"]: image for image in self._api.snapshots(request_selector(waiting[image_id] for image_id in chunk))}
            for image_id in chunk:
                self._read[image_id] = shown.get(image_id, _NOT_SHOWN)

    def _pay(self, after_polls: bool = False) -> None:
        """Wait until the run's budget has paid for one request; ``after_polls``: first, until it holds one beyond the
        next poll (at most ``YIELD_AT_MOST`` seconds)."""
        waited = 0.0
        while after_polls and waited < YIELD_AT_MOST:
            wait = min(self._budget.seconds_until(2), YIELD_AT_MOST - waited)
            if wait <= 0:
                break
            self._clock.sleep(wait)
            waited += wait
        wait = self._budget.reserve(1)
        if wait > 0:
            self._clock.sleep(wait)


def request_selector(request_ids: Iterable[str]) -> str:
    """The label selector of the snapshots of these create requests."""
    return f"{REQUEST_LABEL} in ({','.join(sorted(request_ids))})"
