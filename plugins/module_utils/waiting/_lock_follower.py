# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Following the locks of a fleet's servers: one listing of every server's running actions, then the action poller.

Beside the action poller (``_action_poller``), which it hands the locking actions to: a lock's end is seen by
polling the action that holds it (``GET /actions?id=``, 25 a request, shared with every other wait), not by listing
every server's running actions again.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import PER_PAGE, HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import ActionPoller
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock


class LockFollower:
    """The running actions of each server of a fleet, as last seen; thread-safe.

    The running actions of all servers are listed once (every page paid from the budget); from then on a server's
    lock is followed by polling the actions that lock it with the action poller, and a server found locked by
    sending (``forget``) has its own running actions read again.
    """

    def __init__(self, api: HcloudApi, poller: ActionPoller, budget: RequestBudget, clock: Clock) -> None:
        self._api = api
        self._poller = poller
        self._budget = budget
        self._clock = clock
        self._lock = threading.Lock()
        self._listing: dict | None = None  # server ID -> the actions locking it, as last seen
        self._listed_at = 0.0  # when the running actions of all servers were listed
        self._relist: set = set()  # servers whose running actions are read again (found locked by sending)
        self._listed_at_of: dict = {}  # server ID -> when its own running actions were read again
        self._followed: set = set()  # servers whose running actions a task has looked at (later looks poll them)

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions running on a server (what locks it): as listed at first, polled once a task waits for them."""
        with self._lock:
            listing = self._list_once()
            relist = server_id in self._relist
            self._relist.discard(server_id)
            if relist:
                self._followed.discard(server_id)
        if relist:
            self._budget.spend(1)
            listed_at, listed = self._clock(), self._api.running_actions(server_id)
            with self._lock:
                self._listed_at_of[server_id] = listed_at
                listing[server_id] = listed
        with self._lock:
            blocking = list(listing.get(server_id, []))
            read_at = self._listed_at_of.get(server_id, self._listed_at)
            first_look = server_id not in self._followed
            self._followed.add(server_id)
        if first_look or not blocking:
            return blocking  # as listed: polled only once a task waits for them (a skipped server's are not)
        for action in blocking:
            self._poller.watch(action, read_at)
        current = [self._poller.action(action["id"]) for action in blocking]
        still = [action for action in current if action["status"] == "running"]
        with self._lock:
            listing[server_id] = still
        return still

    def forget(self, server_id: int) -> None:
        """Read this server's running actions anew on the next look (a ``locked`` answer showed they are stale)."""
        with self._lock:
            self._relist.add(server_id)

    def _list_once(self) -> dict:
        """Under the lock: every server's running actions, listed on the first call."""
        if self._listing is None:
            self._listed_at = self._clock()
            running = self._api.get_all_concurrently("/servers/actions", "actions", params={"status": "running"})
            self._budget.spend(pages_of(len(running)))
            self._listing = {}
            for action in running:
                for locked in _servers_of(action):
                    self._listing.setdefault(locked, []).append(action)
        return self._listing


def pages_of(count: int) -> int:
    """The pages a listing of ``count`` items took (at least one)."""
    return max(1, -(-count // PER_PAGE))


def _servers_of(action: dict) -> list[int]:
    return [resource.get("id") for resource in action.get("resources") or [] if resource.get("type") == "server"]
