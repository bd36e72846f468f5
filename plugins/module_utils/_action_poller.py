# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action poller: every action the tasks of a run wait for, polled in requests of at most 25 ids."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from collections.abc import Callable

from ansible_collections.lockaware.hcloud.plugins.module_utils._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import poll_backoff

# GET /actions?id= answers at most this many actions (the real API; hcloud-go chunks by 25 too).
ACTIONS_PER_REQUEST = 25
# How often a waiter looks at the shared answers (no request: the poller decides when to ask the API).
POLL_TICK = 0.5


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
