# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads that the snapshot tasks of one fleet run share, so that one request serves every server.

A fleet of hundreds of servers would otherwise spend most of the project's request budget (3600 an hour) on
looking up each server, listing the snapshots once per server and polling each action on its own. Here the
servers and snapshots are listed once, the running actions of all servers are fetched together, and the actions
being waited for are polled together (``GET /actions?id=..&id=..``), at most once per ``interval`` seconds.
Writes, and reads that must be fresh (finding a request of unknown outcome), still go to each task's own client.

A single ``server`` is a fleet of one and takes the same path; with nobody to share with, its reads go straight
to the API (the server by name, its own running actions, its own action), as cheap as they can be.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils._servers import index_servers, pick_server
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import poll_backoff

SHARED_POLL_INTERVAL = 1.0
# From this many servers on, reads are shared: one listing of all servers is cheaper than looking each one up.
SHARE_FROM = 2
# GET /actions?id= answers at most this many actions (the real API; hcloud-go chunks by 25 too).
ACTIONS_PER_REQUEST = 25
# How often a waiter looks at the shared answers (no request: the poller decides when to ask the API).
POLL_TICK = 0.5


class SharedReads:
    """Caches and batches reads for many tasks; thread-safe. A fleet of one (``fleet_size=1``) reads directly.

    Every repeated read of a wait (the running actions, the actions being waited for) is paid from ``budget``, the
    run's ``RequestBudget``: when it is spent, the tasks see the last answer until it refills.
    """

    def __init__(
        self,
        api: HcloudApi,
        interval: float = SHARED_POLL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
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
        self._snapshots: dict = {}
        self._running: dict = {}
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

    def snapshots(self, label_selector: str | None = None) -> list[dict]:
        """The project's snapshots carrying the selector's labels, listed again at most every ``interval`` seconds.

        Refreshing keeps a task that starts late in a long run from missing a snapshot another client made
        meanwhile (a task that finds the server busy reads the snapshots fresh anyway before creating).
        """
        if not self._share:
            return self.api.snapshots(label_selector)
        with self._lock:
            fetched_at, images = self._snapshots.get(label_selector, (None, None))
            if self._stale(fetched_at):
                params = {"type": "snapshot", **({"label_selector": label_selector} if label_selector else {})}
                images = self.api.get_all_concurrently("/images", "images", params=params)
                self._snapshots[label_selector] = (self._clock(), images)
            return list(images)

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions running on a server: one listing of every server's running actions (a fleet of one: its own).

        The first read is always made; a repeat is made once the last is ``interval`` old and the budget allows.
        """
        key = None if self._share else server_id
        with self._lock:
            fetched_at, running = self._running.get(key, (None, []))
            if fetched_at is None or (self._stale(fetched_at) and self.budget.take()):
                if fetched_at is None:
                    self.budget.spend(1)
                if self._share:
                    running = self.api.get_all_concurrently("/servers/actions", "actions", params={"status": "running"})
                else:
                    running = self.api.running_actions(server_id)
                self._running[key] = (self._clock(), running)
        return running if not self._share else [action for action in running if _concerns(action, server_id)]

    def forget_running(self) -> None:
        """Fetch the running actions anew on the next call (after a ``locked`` answer showed the list is stale)."""
        with self._lock:
            self._running.clear()

    def action(self, action_id: int) -> dict:
        """An action, polled together with every other action some task waits for (``ActionPoller``)."""
        return self._actions.action(action_id)

    def _stale(self, fetched_at: float | None) -> bool:
        return fetched_at is None or self._clock() - fetched_at >= self._interval


class ActionPoller:
    """Polls every action some task waits for, in requests of at most 25 ids, paid from the run's budget.

    The next poll is due when the earliest action should end by its progress so far (at least 1 s, at most the
    backoff's cap), or by a backoff when progress does not rise; an action that ends resets the backoff. An id
    missing from an answer is read on its own (``GET /actions/{id}``). A single action is read on its own too.
    """

    def __init__(self, api: HcloudApi, budget: RequestBudget, clock: Callable[[], float]) -> None:
        self._api = api
        self._budget = budget
        self._clock = clock
        self._lock = threading.Lock()
        self._actions: dict = {}
        self._first: dict = {}  # id -> (time, progress) of the first reading of its current progress run
        self._read_at: dict = {}  # id -> when it was last read
        self._backoff = poll_backoff()
        self._due = clock()

    def action(self, action_id: int) -> dict:
        """The action as last read; read now if a poll is due and the budget has requests for it."""
        with self._lock:
            if action_id not in self._actions:
                # Running when its task got it: it is read with the next poll.
                self._actions[action_id] = {"id": action_id, "command": None, "status": "running", "progress": 0}
                self._first[action_id] = (self._clock(), 0)
            if self._actions[action_id]["status"] == "running" and self._clock() >= self._due:
                self._poll()
            return dict(self._actions[action_id])

    def _poll(self) -> None:
        # The soonest to end first; among equals, the longest unread (a budget that pays for a few chunks starves none).
        running = [action_id for action_id, action in self._actions.items() if action["status"] == "running"]
        ids = sorted(running, key=lambda action_id: (self._estimate(action_id), self._read_at.get(action_id, 0.0), action_id))
        chunks = [ids[start : start + ACTIONS_PER_REQUEST] for start in range(0, len(ids), ACTIONS_PER_REQUEST)]
        paid = [chunk for chunk in chunks if self._budget.take()]
        if not paid:
            self._due = self._clock() + max(POLL_TICK, self._budget.seconds_until())
            return
        seen = {}
        for chunk in paid:
            if len(chunk) == 1:
                seen[chunk[0]] = self._api.action(chunk[0])
                continue
            seen.update({action["id"]: action for action in self._api.get("/actions", params={"id": chunk})["actions"]})
            for missing in (action_id for action_id in chunk if action_id not in seen):
                self._budget.spend(1)
                seen[missing] = self._api.action(missing)
        self._update(seen)

    def _update(self, seen: dict) -> None:
        now, ended = self._clock(), False
        for action_id, action in seen.items():
            self._read_at[action_id] = now
            previous = self._first.get(action_id)
            progress = action.get("progress") or 0
            if action["status"] != "running":
                ended = True
            elif previous is None or progress < previous[1]:
                self._first[action_id] = (now, progress)
            self._actions[action_id] = action
        if ended:
            self._backoff = poll_backoff()
        estimates = [self._estimate(action_id) for action_id, action in self._actions.items() if action["status"] == "running"]
        known = [estimate for estimate in estimates if estimate != float("inf")]
        delay = min(known) if known else self._backoff.next_delay()
        self._due = now + min(self._backoff.cap, max(self._backoff.initial, delay))

    def _estimate(self, action_id: int) -> float:
        """Seconds until the action should end by its progress since its first reading (inf when unknown)."""
        action, first = self._actions[action_id], self._first.get(action_id)
        progress = action.get("progress") or 0
        if first is None or progress <= first[1] or progress >= 100:
            return float("inf")
        elapsed = self._clock() - first[0]
        return (100 - progress) * elapsed / (progress - first[1])


def _concerns(action: dict, server_id: int) -> bool:
    return any(resource.get("type") == "server" and resource.get("id") == server_id for resource in action.get("resources") or [])


class FleetTaskApi:
    """What one task of a fleet run sees as its API (``_protocol.SnapshotApi``): shared reads, its own client for
    writes and for reads that must be fresh."""

    def __init__(self, own: HcloudApi, shared: SharedReads) -> None:
        self._own = own
        self._shared = shared
        self.rate_limit: Any = own.rate_limit
        # The waits look at the shared answers this often; the poller alone decides when to ask the API.
        self.poll_tick = POLL_TICK

    def server(self, name_or_id: str) -> dict:
        """Shared."""
        return self._shared.server(name_or_id)

    def current_server(self, server_id: int) -> dict:
        """Own, fresh (the power steps follow the server's status)."""
        return self._own.current_server(server_id)

    def snapshots(self, label_selector: str | None = None) -> list[dict]:
        """Shared, listed again at most every few seconds."""
        return self._shared.snapshots(label_selector)

    def snapshots_now(self, label_selector: str | None = None) -> list[dict]:
        """Own, fresh."""
        return self._own.snapshots(label_selector)

    def running_actions(self, server_id: int) -> list[dict]:
        """Shared, refreshed at most every few seconds."""
        return self._shared.running_actions(server_id)

    def action(self, action_id: int) -> dict:
        """Shared, polled in batches."""
        return self._shared.action(action_id)

    def image(self, image_id: int) -> dict | None:
        """Own, fresh."""
        return self._own.image(image_id)

    def create_snapshot(self, server_id: int, description: str, labels: dict) -> tuple[dict, dict]:
        """Own; a ``locked`` answer means the shared list of running actions is stale."""
        try:
            return self._own.create_snapshot(server_id, description, labels)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._shared.forget_running()
            raise

    def delete_image(self, image_id: int) -> None:
        """Own."""
        self._own.delete_image(image_id)

    def protect_image(self, image_id: int) -> dict:
        """Own."""
        return self._own.protect_image(image_id)

    def server_action(self, server_id: int, command: str) -> dict:
        """Own."""
        return self._own.server_action(server_id, command)
