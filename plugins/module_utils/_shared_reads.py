# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads that the snapshot tasks of one fleet run share, so that one request serves every server.

A fleet of hundreds of servers would otherwise spend most of the project's request budget (3600 an hour) on
looking up each server, listing the snapshots once per server and polling each action on its own. Here the
servers and snapshots are listed once, the running actions of all servers are fetched once, and the actions
being waited for (a create's, and those that lock a server) are polled together (``GET /actions?id=..&id=..``)
when the action poller finds them due, every request paid from the run's budget.
Writes, and reads that must be fresh (finding a request of unknown outcome), still go to each task's own client.

A single ``server`` is a fleet of one and takes the same path; with nobody to share with, its reads go straight
to the API (the server by name, its own running actions, its own action), as cheap as they can be.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from datetime import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils._action_poller import ActionPoller
from ansible_collections.lockaware.hcloud.plugins.module_utils._api import PER_PAGE, HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils._matching import MANAGED_LABEL, MANAGED_VALUE, REQUEST_LABEL, SERVER_LABEL, label_selector
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils._servers import index_servers, pick_server
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import SYSTEM_CLOCK, Clock

SHARED_POLL_INTERVAL = 1.0
# From this many servers on, reads are shared: one listing of all servers is cheaper than looking each one up.
SHARE_FROM = 2
# Servers whose series one shared read covers: keep 7, the new one and a protected one each still fit one page of 50.
SERIES_PER_READ = 5


class SharedReads:
    """Caches and batches reads for many tasks; thread-safe. A fleet of one (``fleet_size=1``) reads directly.

    Every repeated read of a wait (the running actions, the actions being waited for) is paid from ``budget``, the
    run's ``RequestBudget``: when it is spent, the tasks see the last answer until it refills.
    """

    def __init__(
        self,
        api: HcloudApi,
        interval: float = SHARED_POLL_INTERVAL,
        clock: Clock = SYSTEM_CLOCK,
        fleet_size: int | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self.api = api
        self._interval = interval
        self._clock = clock
        self._share = fleet_size is None or fleet_size >= SHARE_FROM
        self.budget = budget or RequestBudget(rate_limit=getattr(api, "rate_limit", None), clock=clock)
        self._lock = threading.Lock()
        self._servers: tuple[dict, dict] | None = None
        self._snapshots: dict = {}  # selector: (listed at, since, images)
        self._fresh_lock = threading.Lock()
        self._unlabelled: list | None = None
        self._series_waiting: set = set()
        self._series_read: dict = {}  # server ID: (read at, its series)
        self._running: dict = {}  # a fleet of one: server ID -> (read at, its running actions)
        self._running_listing: dict | None = None  # a fleet: server ID -> the actions locking it, as last seen
        self._relist: set = set()  # servers whose running actions are read again (found locked by sending)
        self._listed_at = 0.0  # when the running actions of all servers were listed
        self._listed_at_of: dict = {}  # server ID -> when its own running actions were read again
        self._followed: set = set()  # servers whose running actions a task has looked at (later looks poll them)
        self._pricing: tuple | None = None  # (pricing, None) or (None, the exception): one read per run
        self._actions = ActionPoller(api, self.budget, clock)

    def server(self, name_or_id: str) -> dict:
        """The server a value means (``_servers.pick_server``), from one listing of all servers made on first use."""
        text = str(name_or_id)
        if not self._share:
            return self.api.server(text)
        with self._lock:
            if self._servers is None:
                self._servers = index_servers(self.api.get_all_concurrently("/servers", "servers"))
        by_name, by_id = self._servers
        return pick_server(text, by_name.get(text), by_id.get(text))

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The project's snapshots carrying the selector's labels (newest first, back to ``since``), listed once.

        A task about to create reads them again (``snapshots_now``); nothing is re-listed on a timer.
        """
        if not self._share:
            return self.api.snapshots(label_selector, since)
        with self._lock:
            cached = self._snapshots.get(label_selector)
            if cached is None or not _covers(cached[1], since):
                images = self.api.snapshots(label_selector, since)
                cached = self._snapshots[label_selector] = (self._clock(), since, images)
            return list(cached[2])

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The same listing, read after this call began: tasks asking at once share one read.

        One read is in flight at a time; every task that asked before it began is served by it.
        """
        if not self._share:
            return self.api.snapshots_now(label_selector, since)
        asked = self._clock()
        with self._fresh_lock:
            cached = self._snapshots.get(label_selector)
            if cached is None or cached[0] <= asked or not _covers(cached[1], since):
                started = self._clock()
                images = self.api.snapshots(label_selector, since)
                with self._lock:
                    cached = self._snapshots[label_selector] = (started, since, images)
            return list(cached[2])

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """A server's series, read after this call began; the servers asking at once share label-selected reads
        (``lockaware.hcloud/server in (...)``, ``SERIES_PER_READ`` servers a read: one page in steady state)."""
        if not self._share:
            return self.api.series(server_id, labels)
        asked = self._clock()
        with self._lock:
            self._series_waiting.add(server_id)
        with self._fresh_lock:
            read_at, images = self._series_read.get(server_id, (None, []))
            if read_at is None or read_at <= asked:
                with self._lock:
                    waiting, self._series_waiting = sorted(self._series_waiting | {server_id}), set()
                started = self._clock()
                for start in range(0, len(waiting), SERIES_PER_READ):
                    chunk = waiting[start : start + SERIES_PER_READ]
                    found = self.api.snapshots(series_selector(chunk, labels))
                    for member in chunk:
                        self._series_read[member] = (started, [image for image in found if (image.get("labels") or {}).get(SERVER_LABEL) == str(member)])
                images = self._series_read[server_id][1]
            return list(images)

    def unlabelled_managed(self) -> list[dict]:
        """The snapshots of earlier versions that lack the server label: one listing for the whole run."""
        if not self._share:
            return self.api.unlabelled_managed()
        with self._lock:
            if self._unlabelled is None:
                self._unlabelled = self.api.unlabelled_managed()
            return list(self._unlabelled)

    def pricing(self) -> dict:
        """The project's prices: one read for the whole run, also for a fleet of one; a failure is kept too."""
        with self._lock:
            if self._pricing is None:
                try:
                    self._pricing = (self.api.pricing(), None)
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    self._pricing = (None, exc)
            pricing, failure = self._pricing
        if failure is not None:
            raise failure
        return pricing

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions running on a server (what locks it), without re-reading every server's running actions.

        A fleet lists the running actions of all servers once (every page paid from the budget); from then on a
        server's lock is followed by polling the actions that lock it with the action poller (``GET /actions?id=``,
        25 a request, shared with every other wait), and a server found locked by sending (``forget_running``) has
        its own running actions read again. A fleet of one reads its server's own running actions, a repeat once
        the last is ``interval`` old and the budget allows.
        """
        if not self._share:
            return self._own_running(server_id)
        with self._lock:
            if self._running_listing is None:
                self._listed_at = self._clock()
                running = self.api.get_all_concurrently("/servers/actions", "actions", params={"status": "running"})
                self.budget.spend(pages_of(len(running)))
                self._running_listing = {}
                for action in running:
                    for locked in _servers_of(action):
                        self._running_listing.setdefault(locked, []).append(action)
            relist = server_id in self._relist
            self._relist.discard(server_id)
            if relist:
                self._followed.discard(server_id)
        if relist:
            self.budget.spend(1)
            listed_at, listed = self._clock(), self.api.running_actions(server_id)
            with self._lock:
                self._listed_at_of[server_id] = listed_at
                self._running_listing[server_id] = listed
        with self._lock:
            blocking = list(self._running_listing.get(server_id, []))
            read_at = self._listed_at_of.get(server_id, self._listed_at)
            first_look = server_id not in self._followed
            self._followed.add(server_id)
        if first_look or not blocking:
            return blocking  # as listed: polled only once a task waits for them (a skipped server's are not)
        for action in blocking:
            self._actions.watch(action, read_at)
        current = [self._actions.action(action["id"]) for action in blocking]
        still = [action for action in current if action["status"] == "running"]
        with self._lock:
            self._running_listing[server_id] = still
        return still

    def _own_running(self, server_id: int) -> list[dict]:
        with self._lock:
            fetched_at, running = self._running.get(server_id, (None, []))
            if fetched_at is None or (self._stale(fetched_at) and self.budget.take()):
                if fetched_at is None:
                    self.budget.spend(1)
                running = self.api.running_actions(server_id)
                self._running[server_id] = (self._clock(), running)
        return running

    def forget_running(self, server_id: int) -> None:
        """Read this server's running actions anew on the next call (a ``locked`` answer showed they are stale)."""
        with self._lock:
            self._running.pop(server_id, None)
            self._relist.add(server_id)

    def action(self, action_id: int) -> dict:
        """An action, polled together with every other action some task waits for (``ActionPoller``)."""
        return self._actions.action(action_id)

    def _stale(self, fetched_at: float | None) -> bool:
        return fetched_at is None or self._clock() - fetched_at >= self._interval


def series_selector(server_ids: list[int], labels: dict) -> str:
    """The label selector of the series of these servers."""
    base = label_selector(dict(labels, **{MANAGED_LABEL: MANAGED_VALUE}))
    return f"{base},{SERVER_LABEL} in ({','.join(str(server_id) for server_id in server_ids)})"


def _covers(listed_since: datetime | None, since: datetime | None) -> bool:
    """Whether a listing back to ``listed_since`` holds every snapshot from ``since`` on."""
    return listed_since is None or (since is not None and listed_since <= since)


def _servers_of(action: dict) -> list[int]:
    return [resource.get("id") for resource in action.get("resources") or [] if resource.get("type") == "server"]


def pages_of(count: int) -> int:
    """The pages a listing of ``count`` items took (at least one)."""
    return max(1, -(-count // PER_PAGE))


class FleetTaskApi:
    """What one task of a fleet run sees as its API (``_protocol.SnapshotApi``): shared reads, its own client for
    writes and for reads that must be fresh."""

    def __init__(self, own: HcloudApi, shared: SharedReads) -> None:
        self._own = own
        self._shared = shared

    def server(self, name_or_id: str) -> dict:
        """Shared."""
        return self._shared.server(name_or_id)

    def current_server(self, server_id: int) -> dict:
        """Own, fresh (the power steps follow the server's status)."""
        return self._own.current_server(server_id)

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Shared, read after this task asked: the tasks that start together share one read, and a task that starts
        later (``concurrency`` below the fleet's size) does not plan from a listing older than itself, which would
        miss a snapshot another run made and finished meanwhile."""
        return self._shared.snapshots_now(label_selector, since)

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Shared, read after this call began (one read serves every task that asked before it)."""
        if label_selector and REQUEST_LABEL in label_selector:
            return self._own.snapshots_now(label_selector, since)  # one request's own label: nothing to share
        return self._shared.snapshots_now(label_selector, since)

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """Shared, read after this call began (one read serves the series of several servers asking at once)."""
        return self._shared.series(server_id, labels)

    def unlabelled_managed(self) -> list[dict]:
        """Shared, listed once."""
        return self._shared.unlabelled_managed()

    def label_image(self, image_id: int, labels: dict) -> dict:
        """Own."""
        return self._own.label_image(image_id, labels)

    def running_actions(self, server_id: int) -> list[dict]:
        """Shared, refreshed at most every few seconds."""
        return self._shared.running_actions(server_id)

    def pricing(self) -> dict:
        """Shared, read once per run."""
        return self._shared.pricing()

    def action(self, action_id: int) -> dict:
        """Shared, polled in batches."""
        return self._shared.action(action_id)

    def image(self, image_id: int) -> dict | None:
        """Own, fresh (a read again is a poll of a wait: the run's ``Pacing`` pays for it)."""
        return self._own.image(image_id)

    def create_snapshot(self, server_id: int, description: str, labels: dict) -> tuple[dict, dict]:
        """Own; a ``locked`` answer means the shared list of running actions is stale."""
        try:
            return self._own.create_snapshot(server_id, description, labels)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._shared.forget_running(server_id)
            raise

    def delete_image(self, image_id: int) -> None:
        """Own."""
        self._own.delete_image(image_id)

    def protect_image(self, image_id: int) -> dict:
        """Own."""
        return self._own.protect_image(image_id)

    def label_server(self, server_id: int, labels: dict) -> dict:
        """Own."""
        return self._own.label_server(server_id, labels)

    def server_action(self, server_id: int, command: str) -> dict:
        """Own; a ``locked`` answer means the shared list of running actions is stale."""
        try:
            return self._own.server_action(server_id, command)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._shared.forget_running(server_id)
            raise
