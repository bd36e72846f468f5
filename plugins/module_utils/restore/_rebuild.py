# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rebuild protocol: one ``POST /servers/{id}/actions/rebuild`` per request, never two.

The API has no idempotency key for a rebuild, and its action names no image. So before sending, the newest action of
the server is noted (``RebuildHistory.mark``); after an answer that was lost (a timeout, a dropped connection, a 5xx),
the server's actions are read again, and a ``rebuild_server`` action newer than the mark is this request, applied:
it is adopted, never sent again. A ``locked`` answer applied nothing: the lock is waited for as ``on_locked`` says,
and the history is read again before the next send, since the action waited for may be this very restore.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import DATE_WINDOW_SLACK, parse_time
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code, is_rate_limited, outcome_unknown
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_choice import RestoreRefused
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport, LockTimedOut, locked_message, pass_lock
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import READ_PATIENCE, Clock, Deadline, create_retry_backoff, sleep_until_next

# The command of the action a rebuild starts (the OpenAPI document's example; the simulator's too).
REBUILD_COMMAND = "rebuild_server"
# Resends after answers of unknown outcome, at most (each looked for first).
MAX_UNKNOWN_OUTCOMES = 4
PER_PAGE = 50


@dataclass(frozen=True)
class RebuildHistory:
    """What the server's actions say: the newest action's ID (the mark) and the newest ``rebuild_server`` action."""

    mark: int
    rebuild: dict | None


def read_history(api: Any, server_id: int, since: datetime.datetime | None) -> RebuildHistory:
    """Read the server's actions newest first (``sort=id:desc``) until a ``rebuild_server`` action, or one started
    before ``since`` (less clock slack: no rebuild from an image can predate the image), or the end of the listing."""
    mark = 0
    page: int | None = 1
    while page is not None:
        body = api.get(f"/servers/{server_id}/actions", params={"sort": "id:desc", "page": page, "per_page": PER_PAGE})
        for action in body["actions"]:
            mark = max(mark, action["id"])
            if action.get("command") == REBUILD_COMMAND:
                return RebuildHistory(mark, action)
            if since is not None and action.get("started") and parse_time(action["started"]) < since - DATE_WINDOW_SLACK:
                return RebuildHistory(mark, None)
        next_page = ((body.get("meta") or {}).get("pagination") or {}).get("next_page")
        page = int(next_page) if next_page else None
    return RebuildHistory(mark, None)


def send_rebuild(api: Any, server_id: int, image_id: int) -> dict:
    """``POST /servers/{id}/actions/rebuild`` once; returns the action."""
    return api.client.request("POST", f"/servers/{server_id}/actions/rebuild", json={"image": image_id})["action"]


@dataclass(frozen=True)
class Rebuilt:
    """What sending came to: the ``action`` started (``recovered``: found after a lost answer), ``found`` made
    meanwhile by another run, or ``skipped_for`` (locked, on_locked=skip)."""

    action: dict | None = None
    recovered: bool = False
    found: dict | None = None
    skipped_for: list | None = None


class RebuildProtocol:
    """Sends one rebuild until it is accepted, never applying it twice."""

    def __init__(self, api: Any, server: dict, image: dict, on_locked: str, lock_timeout: int, lock: LockReport, clock: Clock) -> None:
        self._api = api
        self._server = server
        self._image = image
        self._on_locked = on_locked
        self._lock_timeout = lock_timeout
        self._lock = lock
        self._clock = clock

    @property
    def _name(self) -> str:
        return self._server["name"]

    def _history(self) -> RebuildHistory:
        with doing(f"reading the actions of server {self._name}"):
            return read_history(self._api, self._server["id"], parse_time(self._image["created"]))

    def _new_rebuild(self, mark: int) -> dict | None:
        """A ``rebuild_server`` action newer than ``mark``: the request was applied (looked at twice, a second apart)."""
        for attempt in range(2):
            rebuild = self._history().rebuild
            if rebuild is not None and rebuild["id"] > mark:
                return rebuild
            if attempt == 0:
                self._clock.sleep(1.0)
        return None

    def send(self, made_meanwhile: Callable[[RebuildHistory], dict | None]) -> Rebuilt:
        """Pass the lock, send the rebuild; an answer of unknown outcome is looked for before anything is sent again.

        ``made_meanwhile(history)``: after waiting for a lock, the restore another run made meanwhile, if any.
        """
        lock_deadline = Deadline(self._lock_timeout, clock=self._clock)
        retry_deadline = Deadline(max(self._lock_timeout, READ_PATIENCE), clock=self._clock)
        backoff, unknown = create_retry_backoff(), 0
        while True:
            passed = pass_lock(self._api, self._server, self._on_locked, lock_deadline, self._lock, self._clock.sleep)
            if passed.skipped_for is not None:
                return Rebuilt(skipped_for=passed.skipped_for)
            history = self._history()
            if passed.was_locked or unknown:
                found = made_meanwhile(history)
                if found is not None:
                    return Rebuilt(found=found)
            self._clock.checkpoint()  # cancelled meanwhile: no rebuild
            try:
                with doing(f"rebuilding server {self._name} from image {self._image['id']}"):
                    return Rebuilt(action=send_rebuild(self._api, self._server["id"], self._image["id"]))
            except Exception as exc:
                code = error_code(exc)
                if code == "protected":
                    raise RestoreRefused(
                        f"server {self._name} has rebuild protection (turned on since it was read): a rollback never turns it off; nothing was changed"
                    ) from exc
                if code != "locked" and not outcome_unknown(exc) and not is_rate_limited(exc):
                    raise
                if outcome_unknown(exc):
                    applied = self._new_rebuild(history.mark)
                    if applied is not None:
                        return Rebuilt(action=applied, recovered=True)
                    unknown += 1
                elif code == "locked" and self._on_locked != "wait":
                    return self._decide_on_lock()
                at_least = self._api.rate_limit.seconds_until_next_request() if is_rate_limited(exc) else 0.0
                deadline = lock_deadline if code == "locked" else retry_deadline
                if unknown > MAX_UNKNOWN_OUTCOMES or not sleep_until_next(backoff, deadline, self._clock.sleep, at_least=at_least):
                    if code == "locked":
                        raise LockTimedOut(self._name, self._api.running_actions(self._server["id"]), self._lock_timeout) from exc
                    raise

    def _decide_on_lock(self) -> Rebuilt:
        """on_locked=skip or fail, for a lock found only by sending (the API may list no action for it)."""
        running = self._api.running_actions(self._server["id"])
        self._lock.record(running)
        if self._on_locked == "skip":
            return Rebuilt(skipped_for=running)
        raise TaskFailed(locked_message(self._name, running))


# How a server stands towards a restore from an image (``recognise``).
RESTORING, RESTORED = "restoring", "restored"


def recognise(server: dict, image: dict, history: RebuildHistory, change_began: datetime.datetime | None = None) -> str | None:
    """Whether the server is being or has been restored from ``image``: its ``image`` (what it was created or last
    rebuilt from) is that image, and its newest ``rebuild_server`` action is running (``RESTORING``) or succeeded
    (``RESTORED``). A server created from the image and never rebuilt since, or whose last rebuild failed, is neither;
    nor is one restored before ``change_began``: the change may have written on it since."""
    if ((server.get("image") or {}).get("id")) != image["id"] or history.rebuild is None:
        return None
    status = history.rebuild.get("status")
    if status == "running":
        return RESTORING
    if status != "success":
        return None
    started = history.rebuild.get("started")
    return None if change_began is not None and started and parse_time(started) < change_began else RESTORED
