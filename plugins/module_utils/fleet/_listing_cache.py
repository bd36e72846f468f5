# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot listings the tasks of one fleet run share: by label selector, and the series of several servers.

Each cache owns its state and its lock; nothing is re-listed on a timer. A task that must plan from what is there
now asks for a read made after it asked (``snapshots_now``, ``series``): tasks asking at once share that one read.
For the series, "at once" is a short, bounded moment (``GATHER``): the tasks whose snapshots one poll's answer shows
made look at it within one tick of each other (``_action_poller.POLL_TICK``), so a series read waits that long for
them before it begins, and serves them all.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import MANAGED_LABEL, MANAGED_VALUE, SERVER_LABEL, label_selector
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import POLL_TICK
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# The key of the listing of the project's backups among the cached listings (the others are keyed by label selector).
BACKUPS = ("type", "backup")
# Servers whose series one shared read covers: keep 7, the new one and a protected one each still fit one page of 50.
SERIES_PER_READ = 5
# How long a read waits for more tasks to ask before it begins: the tasks one poll's answer wakes ask within a tick.
GATHER = POLL_TICK
# The tasks one read served come on together: the next read of their look waits this long for them.
FOLLOW_GATHER = 0.1
# Rotation's read waits for a full read (SERIES_PER_READ servers) at most this long while other snapshots are still
# being made: about two polls of a fleet at its budget's rate (0.25 a second), the ends of two polls in one read.
FILL_WAIT = 8.0


class ListingCache:
    """The project's snapshots by label selector, those of earlier versions (no server label), and the project's
    automatic backups; thread-safe."""

    def __init__(self, api: HcloudApi, clock: Clock) -> None:
        self._api = api
        self._clock = clock
        self._lock = threading.Lock()
        self._fresh_lock = threading.Lock()  # one fresh read in flight at a time
        self._listings: dict = {}  # selector (or BACKUPS): (listed at, since, images)
        self._unlabelled: list | None = None

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The snapshots carrying the selector's labels (newest first, back to ``since``), listed once."""
        with self._lock:
            cached = self._listings.get(label_selector)
            if cached is None or not _covers(cached[1], since):
                images = self._api.snapshots(label_selector, since)
                cached = self._listings[label_selector] = (self._clock(), since, images)
            return list(cached[2])

    def read_at(self, key: Any) -> float | None:
        """When the listing under ``key`` (a label selector, or ``BACKUPS``) that is cached now began."""
        with self._lock:
            cached = self._listings.get(key)
        return None if cached is None else cached[0]

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None, gather: float = 0.0) -> list[dict]:
        """The same listing, read after this call began: one read is in flight at a time, and every task that asked
        before it began is served by it (a read waits ``gather`` seconds for more tasks to ask before it begins)."""
        return self._fresh(label_selector, since, lambda: self._api.snapshots(label_selector, since), gather=gather)

    def backups(self, server_id: int, since: datetime | None = None, not_before: float | None = None) -> list[dict]:
        """The server's automatic backups, from one listing of the project's backups begun at ``not_before`` or later
        (when the snapshot listing the task planned from began; default: after this call began). A backups listing
        serves every task whose snapshot listing began before it: a fleet adds no request per server."""
        images = self._fresh(BACKUPS, since, lambda: self._api.backup_images(since), not_before)
        return [image for image in images if image.get("bound_to") == server_id]

    def _fresh(self, key: Any, since: datetime | None, read: Callable[[], list[dict]], not_before: float | None = None, gather: float = 0.0) -> list[dict]:
        """A listing begun after this call began (or at ``not_before`` or later); one read is in flight at a time,
        serving every task that asked before it began, or within ``gather`` seconds after the read was due."""
        asked = self._clock()
        with self._fresh_lock:
            cached = self._listings.get(key)
            fresh = cached is not None and (cached[0] > asked if not_before is None else cached[0] >= not_before)
            if cached is None or not fresh or not _covers(cached[1], since):
                if gather:
                    self._clock.sleep(gather)  # the tasks asking at once join this read
                started = self._clock()
                images = read()
                with self._lock:
                    cached = self._listings[key] = (started, since, images)
            return list(cached[2])

    def unlabelled_managed(self) -> list[dict]:
        """The snapshots of earlier versions that lack the server label: one listing for the whole run."""
        with self._lock:
            if self._unlabelled is None:
                self._unlabelled = self._api.unlabelled_managed()
            return list(self._unlabelled)


class SeriesCache:
    """The series of the servers asking at once, in label-selected reads of ``SERIES_PER_READ`` servers; thread-safe."""

    def __init__(self, api: HcloudApi, clock: Clock, gather: float = GATHER, coming: Callable[[], bool] | None = None) -> None:
        self._api = api
        self._clock = clock
        self._gather = gather
        # Whether more servers will ask soon (their snapshots are still being made): a read then waits to be full.
        self._coming = coming
        self._lock = threading.Lock()  # guards the servers waiting
        self._fresh_lock = threading.Lock()  # one read in flight at a time
        self._waiting: set = set()
        self._read: dict = {}  # server ID: (read at, its series)

    def series(self, server_id: int, labels: dict, gather: float | None = None) -> list[dict]:
        """A server's series, read after this call began, with the series of every server waiting for one, the
        servers that ask within ``gather`` seconds (default: the cache's) included (``lockaware.hcloud/server in
        (...)``: one page in steady state)."""
        asked = self._clock()
        with self._lock:
            self._waiting.add(server_id)
        with self._fresh_lock:
            read_at, images = self._read.get(server_id, (None, []))
            if read_at is None or read_at <= asked:
                self._wait_for_company(asked, self._gather if gather is None else gather)
                with self._lock:
                    waiting, self._waiting = sorted(self._waiting | {server_id}), set()
                started = self._clock()
                for start in range(0, len(waiting), SERIES_PER_READ):
                    chunk = waiting[start : start + SERIES_PER_READ]
                    found = self._api.snapshots(series_selector(chunk, labels))
                    for member in chunk:
                        self._read[member] = (started, [image for image in found if (image.get("labels") or {}).get(SERVER_LABEL) == str(member)])
                images = self._read[server_id][1]
            return list(images)

    def _wait_for_company(self, asked: float, gather: float) -> None:
        """Wait ``gather`` for the servers asking at once; then, while more servers will ask soon (``coming``), until
        the read is full (``SERIES_PER_READ``), at most ``FILL_WAIT`` from ``asked``: a read that would carry one or two
        servers waits for the ends the next poll sees, and the last servers of a run, with no one coming, do not wait."""
        self._clock.sleep(gather)
        if self._coming is None:
            return
        while self._waiting_count() < SERIES_PER_READ and self._clock() - asked < FILL_WAIT and self._coming():
            self._clock.sleep(max(gather, POLL_TICK))

    def _waiting_count(self) -> int:
        with self._lock:
            return len(self._waiting)


def series_selector(server_ids: list[int], labels: dict) -> str:
    """The label selector of the series of these servers."""
    base = label_selector(dict(labels, **{MANAGED_LABEL: MANAGED_VALUE}))
    return f"{base},{SERVER_LABEL} in ({','.join(str(server_id) for server_id in server_ids)})"


def outside_series_selector(labels: dict) -> str:
    """The label selector of the snapshots carrying ``labels`` that are in no server's series (no server label):
    other clients' and earlier versions' (``_series``)."""
    return ",".join(part for part in (label_selector(labels), f"!{SERVER_LABEL}") if part)


def _covers(listed_since: datetime | None, since: datetime | None) -> bool:
    """Whether a listing back to ``listed_since`` holds every snapshot from ``since`` on."""
    return listed_since is None or (since is not None and listed_since <= since)
