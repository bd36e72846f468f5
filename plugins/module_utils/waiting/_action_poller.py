# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action poller: every action the tasks of a run wait for, polled in requests of at most 25 ids."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock, poll_backoff, remaining_time

# GET /actions?id= answers at most this many actions (the real API; hcloud-go chunks by 25 too).
ACTIONS_PER_REQUEST = 25
# How often a waiter looks at the shared answers (no request: the poller decides when to ask the API).
POLL_TICK = 0.5


# An action whose end its progress predicts is read again at that end, but at least this often (progress may turn).
ESTIMATE_CAP = 60.0
# An action is read again at this share of the time to its estimated end: early readings of a percentage are
# coarse, so the estimate is refined on the way and the end is seen within a poll or two of it.
ESTIMATE_SHARE = 0.8
# A whole-percent progress that rose by R points since the first reading estimates the rate to about 1/R: the next
# reading then goes at 1 - ROUNDING_MARGIN/R of the time to the end (0.96 after 50 points), not 0.8, when later.
ROUNDING_MARGIN = 2.0
# A new action joins the next poll if it is due within this many seconds (the backoff's cap); else it is read at once.
FIRST_READ = 10.0
# A new action is first read at this share of the shortest duration of the actions this poller saw begin (ended, or
# as their progress predicts): read earlier, its progress is still 0 and tells nothing. At most FIRST_READ.
FIRST_SHARE = 0.25


def gone_action(action: dict) -> dict:
    """The action as last known, ended in error: the API answered 404 for it."""
    error = {"code": "not_found", "message": f"the API no longer knows action {action['id']} (404 while waiting for it)"}
    return dict(action, command=action.get("command") or "unknown", status="error", error=error)


class ActionPoller:
    """Polls every action some task waits for, in requests of at most 25 ids, paid from the run's budget.

    Each action has its own due time: when it should end by its progress so far (at least 1 s, at most
    ``ESTIMATE_CAP``; a share of that time, the nearer the end the surer the estimate: ``ROUNDING_MARGIN``), or by
    its own backoff (1 s growing to 10 s) while its progress does not rise; an action just begun is first read at a
    share of the shortest duration seen (``FIRST_SHARE``: before, its progress is still 0 and tells nothing). A poll reads
    the actions that are due, soonest due first, in as few requests of 25 as hold them, the last request filled up
    with the actions due next; so with linear progress a thousand actions cost about one request per 25 ends, not
    rounds over all of them. When the budget cannot pay for every request, the due actions that lock a server go
    first (the end of a lock is on the way to a create; a create's end only to a rotation), then the longest due.
    An id missing from an answer is read on its own (``GET /actions/{id}``). A single action is read on its own too.
    """

    def __init__(self, api: HcloudApi, budget: RequestBudget, clock: Clock) -> None:
        self._api = api
        self._budget = budget
        self._clock = clock
        self._lock = threading.Lock()
        self._actions: dict = {}
        self._first: dict = {}  # id -> (time, progress) of the first reading of its current progress run
        self._next: dict = {}  # id -> when it is due to be read again
        self._backoffs: dict = {}  # id -> its backoff while its progress does not rise
        self._begun: dict = {}  # id -> when a task began waiting for it (its action was just begun)
        self._unread: set = set()  # ids begun in sight whose readings have told nothing yet
        self._locking: set = set()  # ids of the actions that lock a server a task waits to pass (``watch``)
        self._shortest: float | None = None  # the shortest duration of an action begun in sight, ended or predicted
        self._due = clock()  # the earliest due time of a running action (or when the budget has a request again)

    def watch(self, action: dict, read_at: float) -> None:
        """Take an action as read elsewhere at ``read_at`` (a listing of running actions) as its first reading; from
        then on it is polled with the others."""
        with self._lock:
            if action["id"] not in self._actions:
                self._locking.add(action["id"])
                self._actions[action["id"]] = dict(action)
                self._first[action["id"]] = (read_at, action.get("progress") or 0)
                self._schedule(action["id"], read_at)
                # Due already (the listing was a while ago): not read at once, but a tick on, by a poll that the
                # locks watched meanwhile join (its fill), instead of a poll for each as its task looks again.
                self._next[action["id"]] = max(self._next[action["id"]], self._clock() + POLL_TICK)
                self._due = self._earliest_due(self._clock())

    def action(self, action_id: int) -> dict:
        """The action as last read; read now if a poll is due and the budget has requests for it."""
        with self._lock:
            if action_id not in self._actions:
                # Running when its task got it (just begun): read with the next poll if one is due soon, else now.
                now = self._clock()
                earliest = now + self._first_wait()
                self._actions[action_id] = {"id": action_id, "command": None, "status": "running", "progress": 0}
                self._first[action_id] = self._begun[action_id] = (now, 0)
                self._unread.add(action_id)
                soon = [at for other, at in self._next.items() if self._actions[other]["status"] == "running" and at >= earliest]
                self._next[action_id] = min(soon) if soon and min(soon) <= earliest + FIRST_READ else earliest
                self._due = min(self._due, self._next[action_id])
            if self._actions[action_id]["status"] == "running" and self._clock() >= self._due:
                self._poll()
            return dict(self._actions[action_id])

    def running(self) -> bool:
        """Whether some action a task waits for is still running (as last read)."""
        with self._lock:
            return any(action["status"] == "running" for action in self._actions.values())

    def _first_wait(self) -> float:
        """Seconds from an action's begin to its first reading: a share of the shortest duration seen; without one,
        ``FIRST_READ`` while other actions are being polled (their progress will tell sooner: ``_learn``), else
        none (alone: read at once)."""
        if self._shortest is not None:
            return min(FIRST_READ, FIRST_SHARE * self._shortest)
        return FIRST_READ if any(action["status"] == "running" for action in self._actions.values()) else 0.0

    def _learn(self, action_id: int, now: float, remaining: float | None) -> None:
        """The duration of an action begun in sight: ended now, or predicted by its progress (``remaining``)."""
        begun = self._begun.get(action_id)
        if begun is None or (remaining is None and self._actions[action_id]["status"] == "running"):
            return
        duration = now - begun[0] + (remaining or 0.0)
        self._shortest = duration if self._shortest is None else min(self._shortest, duration)
        for unread in self._unread:  # actions not read yet are due at their share of the shortest duration now known
            self._next[unread] = min(self._next[unread], self._begun[unread][0] + min(FIRST_READ, FIRST_SHARE * self._shortest))
            self._due = min(self._due, self._next[unread])

    def _poll(self) -> None:
        now = self._clock()
        running = sorted((self._next[action_id], action_id) for action_id, action in self._actions.items() if action["status"] == "running")
        due = [action_id for at, action_id in running if at <= now]
        if not due:
            self._due = running[0][0] if running else now + POLL_TICK
            return
        requests = -(-len(due) // ACTIONS_PER_REQUEST)
        locks = [action_id for action_id in due if action_id in self._locking]  # on the way to a create: read first
        ids = [*locks, *(action_id for _at, action_id in running if action_id not in set(locks))][: requests * ACTIONS_PER_REQUEST]
        chunks = [ids[start : start + ACTIONS_PER_REQUEST] for start in range(0, len(ids), ACTIONS_PER_REQUEST)]
        paid = [chunk for chunk in chunks if self._budget.take()]
        if not paid:
            self._due = now + max(POLL_TICK, self._budget.seconds_until())
            return
        seen = {}
        for chunk in paid:
            if len(chunk) == 1:
                seen[chunk[0]] = self._read_one(chunk[0])
                continue
            seen.update({action["id"]: action for action in self._api.get("/actions", params={"id": chunk})["actions"]})
            for missing in (action_id for action_id in chunk if action_id not in seen):
                self._budget.spend(1)
                seen[missing] = self._read_one(missing)
        self._update(seen)

    def _read_one(self, action_id: int) -> dict:
        """``GET /actions/{id}``; an action the API no longer knows ends in error for its own waiter alone (a poll is
        shared: raising here would fail every task that happens to poll)."""
        try:
            return self._api.action(action_id)
        except Exception as exc:
            if error_code(exc) != "not_found":
                raise
            return gone_action(self._actions.get(action_id) or {"id": action_id})

    def _update(self, seen: dict) -> None:
        now = self._clock()
        for action_id, action in seen.items():
            previous = self._first.get(action_id)
            progress = action.get("progress") or 0
            if action["status"] == "running" and (previous is None or progress < previous[1]):
                self._first[action_id] = (now, progress)
            self._actions[action_id] = action
            if action["status"] == "running":
                self._schedule(action_id, now)
            else:
                self._unread.discard(action_id)
                self._learn(action_id, now, None)
        self._due = self._earliest_due(now)

    def _earliest_due(self, now: float) -> float:
        """When the next running action is due (``now`` if none is running)."""
        waiting = [self._next[action_id] for action_id, action in self._actions.items() if action["status"] == "running"]
        return min(waiting) if waiting else now

    def _schedule(self, action_id: int, now: float) -> None:
        """When to read the action again: at its estimated end, or by its backoff when progress tells nothing."""
        action = self._actions[action_id]
        estimate = remaining_time(self._first.get(action_id), self._clock(), action.get("progress") or 0)
        if estimate is None:
            if action_id in self._unread and self._next[action_id] > now:
                # Read before its first reading was due (a poll's fill): 0 % tells nothing, and its backoff would make
                # it due a second later, a poll each second while a fleet's creates begin. It stays due as it was.
                return
            self._unread.discard(action_id)
            backoff = self._backoffs.setdefault(action_id, poll_backoff())
            self._next[action_id] = now + backoff.next_delay()
        else:
            self._unread.discard(action_id)
            self._backoffs.pop(action_id, None)
            rise = (action.get("progress") or 0) - self._first[action_id][1]
            share = max(ESTIMATE_SHARE, 1 - ROUNDING_MARGIN / rise)
            self._next[action_id] = now + min(ESTIMATE_CAP, max(poll_backoff().initial, share * estimate))
            self._learn(action_id, now, estimate)
        self._due = min(self._due, self._next[action_id])
