# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads that the snapshot tasks of a fleet share, so that one request serves every server (``_fleet_reads``).

The servers are listed once, the snapshots are listed by label selector (``_listing_cache``), the running actions
of all servers are listed once and their locks followed (``_lock_follower``), the actions being waited for (a
create's, and those that lock a server) are polled together (``_action_poller``) when the poller finds them due,
every repeated read paid from the run's budget, and the prices are read once (``_pricing``).
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import made_from, newest_first, parse_time
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import index_servers, pick_server
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._listing_cache import (
    FOLLOW_GATHER,
    GATHER,
    ListingCache,
    SeriesCache,
    outside_series_selector,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._new_snapshot_reads import NewSnapshotReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import PricingOnce
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import ActionPoller
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._lock_follower import LockFollower
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock


class SharedReads:
    """Caches and batches the reads of many tasks; thread-safe.

    Every repeated read of a wait (the running actions, the actions being waited for) is paid from ``budget``, the
    run's ``RequestBudget``: when it is spent, the tasks see the last answer until it refills.
    """

    def __init__(self, api: HcloudApi, budget: RequestBudget, clock: Clock) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._servers: tuple[dict, dict] | None = None  # (by name, by ID), from one listing of all servers
        self._listings = ListingCache(api, clock)
        self._actions = ActionPoller(api, budget, clock)
        # Rotation's reads (and snapshot_info's): while snapshots are still being made, a read waits to be full.
        self._series = SeriesCache(api, clock, coming=self._actions.running)
        self._looks = SeriesCache(api, clock)  # the looks before a create, which wait a tick at most
        self._locks = LockFollower(api, self._actions, budget, clock)
        self._pricing = PricingOnce(api)
        self._new_snapshots = NewSnapshotReads(api, budget, clock)

    def server(self, name_or_id: str) -> dict:
        """The server a value means (``_servers.pick_server``), from one listing of all servers made on first use."""
        text = str(name_or_id)
        with self._lock:
            if self._servers is None:
                self._servers = index_servers(self._api.get_all_concurrently("/servers", "servers"))
        by_name, by_id = self._servers
        return pick_server(text, by_name.get(text), by_id.get(text))

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Read after this call began: tasks asking at once share one read (``ListingCache``)."""
        return self._listings.snapshots_now(label_selector, since)

    def read_at(self, key: Any) -> float | None:
        """When the shared listing under ``key`` (a label selector, or ``_listing_cache.BACKUPS``) cached now began."""
        return self._listings.read_at(key)

    def backups(self, server_id: int, since: datetime | None = None, not_before: float | None = None) -> list[dict]:
        """From one listing of the project's backups begun at ``not_before`` or later (``ListingCache``)."""
        return self._listings.backups(server_id, since, not_before)

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """Read after this call began, narrowly: the project's window holds every snapshot the run itself made, pages
        of them, so instead the snapshots outside any series (no server label: other clients', earlier versions'), one
        listing shared by the tasks asking at once, and the server's series, read with the series of the servers
        asking at once (``SeriesCache``). Only a snapshot labelled with a server other than the one it was made from,
        or with a server label but not ``lockaware.hcloud/managed=true``, is in neither."""
        outside = self._listings.snapshots_now(outside_series_selector(labels), since, gather=GATHER)
        images = [*self._looks.series(server_id, labels, FOLLOW_GATHER), *outside]  # those the listing served come on together
        found = {image["id"]: image for image in images if made_from(image, server_id) and (since is None or parse_time(image["created"]) >= since)}
        return newest_first(list(found.values()))

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """Read after this call began: the servers asking at once (within a poll tick) share label-selected reads, and
        while other snapshots are still being made a read waits a little to carry a full read's servers (``SeriesCache``)."""
        return self._series.series(server_id, labels)

    def unlabelled_managed(self) -> list[dict]:
        """One listing for the whole run."""
        return self._listings.unlabelled_managed()

    def running_actions(self, server_id: int) -> list[dict]:
        """From one listing of every server's running actions, then the locking actions polled (``LockFollower``)."""
        return self._locks.running_actions(server_id)

    def forget_running(self, server_id: int) -> None:
        """Read this server's running actions anew on the next call (a ``locked`` answer showed they are stale)."""
        self._locks.forget(server_id)

    def pricing(self) -> dict:
        """One read for the whole run (``PricingOnce``)."""
        return self._pricing.pricing()

    def action(self, action_id: int) -> dict:
        """Polled together with every other action some task waits for (``ActionPoller``)."""
        return self._actions.action(action_id)

    def new_snapshot(self, image_id: int, request_id: str) -> dict | None:
        """Read with the new snapshots of the tasks asking at once, by their requests' labels (``NewSnapshotReads``)."""
        return self._new_snapshots.snapshot(image_id, request_id)
