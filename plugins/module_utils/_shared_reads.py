# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads that the snapshot tasks of one fleet run share, so that one request serves every server.

A fleet of hundreds of servers would otherwise spend most of the project's request budget (3600 an hour) on
looking up each server, listing the snapshots once per server and polling each action on its own. Here the
servers and snapshots are listed once, the running actions of all servers are fetched together, and the actions
being waited for are polled together (``GET /actions?id=..&id=..``), at most once per ``interval`` seconds.
Writes, and reads that must be fresh (finding a request of unknown outcome), still go to each task's own client.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
import time

from ansible_collections.lockaware.hcloud.plugins.module_utils._api import PER_PAGE, ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code

SHARED_POLL_INTERVAL = 1.0


class SharedReads:
    """Caches and batches reads for many tasks; thread-safe."""

    def __init__(self, api, interval=SHARED_POLL_INTERVAL, clock=time.monotonic):
        self._api = api
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._servers = None
        self._snapshots = {}
        self._running = None
        self._running_at = None
        self._actions = {}
        self._actions_at = None

    def server(self, name_or_id):
        """A server from one listing of all servers (made on first use)."""
        with self._lock:
            if self._servers is None:
                servers = self._api.get_all_concurrently("/servers", "servers")
                self._servers = {server["name"]: server for server in servers}
                self._servers.update({str(server["id"]): server for server in servers})
        server = self._servers.get(str(name_or_id))
        if server is None:
            raise ServerNotFound(str(name_or_id))
        return server

    def snapshots(self, label_selector=None):
        """The project's snapshots carrying the selector's labels, listed again at most every ``interval`` seconds.

        Refreshing keeps a task that starts late in a long run from missing a snapshot another client made
        meanwhile (a task that finds the server busy reads the snapshots fresh anyway before creating).
        """
        with self._lock:
            fetched_at, images = self._snapshots.get(label_selector, (None, None))
            if self._stale(fetched_at):
                params = {"type": "snapshot", **({"label_selector": label_selector} if label_selector else {})}
                images = self._api.get_all_concurrently("/images", "images", params=params)
                self._snapshots[label_selector] = (self._clock(), images)
            return list(images)

    def running_actions(self, server_id):
        """The actions running on a server, from one listing of every server's running actions."""
        with self._lock:
            if self._stale(self._running_at):
                self._running = self._api.get_all_concurrently("/servers/actions", "actions", params={"status": "running"})
                self._running_at = self._clock()
            running = self._running
        return [action for action in running if _concerns(action, server_id)]

    def forget_running(self):
        """Fetch the running actions anew on the next call (after a ``locked`` answer showed the list is stale)."""
        with self._lock:
            self._running_at = None

    def action(self, action_id):
        """An action, polled together with every other action some task waits for."""
        with self._lock:
            # An action not seen yet was running when its task got it; it is fetched with the next batch.
            self._actions.setdefault(action_id, {"id": action_id, "command": None, "status": "running", "progress": 0})
            if self._actions[action_id]["status"] == "running" and self._stale(self._actions_at):
                self._refresh_actions()
            return dict(self._actions[action_id])

    def _refresh_actions(self):
        waiting = sorted(action_id for action_id, action in self._actions.items() if action["status"] == "running")
        for start in range(0, len(waiting), PER_PAGE):
            chunk = waiting[start : start + PER_PAGE]
            body = self._api.get("/actions", params={"id": chunk, "per_page": PER_PAGE})
            self._actions.update({action["id"]: action for action in body["actions"]})
        self._actions_at = self._clock()

    def _stale(self, fetched_at):
        return fetched_at is None or self._clock() - fetched_at >= self._interval


def _concerns(action, server_id):
    return any(resource.get("type") == "server" and resource.get("id") == server_id for resource in action.get("resources") or [])


class FleetTaskApi:
    """What one task of a fleet run sees as its API: shared reads, its own client for writes and fresh reads."""

    def __init__(self, own, shared):
        self._own = own
        self._shared = shared
        self.rate_limit = own.rate_limit

    def server(self, name_or_id):
        """Shared."""
        return self._shared.server(name_or_id)

    def current_server(self, server_id):
        """Own, fresh (the power steps follow the server's status)."""
        return self._own.current_server(server_id)

    def snapshots(self, label_selector=None, fresh=False):
        """Shared, unless the caller must see the API as it is now (``fresh``)."""
        if fresh:
            return self._own.snapshots(label_selector)
        return self._shared.snapshots(label_selector)

    def running_actions(self, server_id, deadline=None):  # pylint: disable=unused-argument
        """Shared, refreshed at most every few seconds."""
        return self._shared.running_actions(server_id)

    def action(self, action_id):
        """Shared, polled in batches."""
        return self._shared.action(action_id)

    def image(self, image_id):
        """Own, fresh."""
        return self._own.image(image_id)

    def create_snapshot(self, server_id, description, labels):
        """Own; a ``locked`` answer means the shared list of running actions is stale."""
        try:
            return self._own.create_snapshot(server_id, description, labels)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._shared.forget_running()
            raise

    def delete_image(self, image_id):
        """Own."""
        self._own.delete_image(image_id)

    def protect_image(self, image_id):
        """Own."""
        return self._own.protect_image(image_id)

    def server_action(self, server_id, command):
        """Own."""
        return self._own.server_action(server_id, command)
