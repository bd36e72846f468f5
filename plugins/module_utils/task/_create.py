# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The create protocol: pass the lock, send create_image, reconcile an answer that was lost, look before every resend.

create_image has no idempotency key. Each request carries a label unique to it (``REQUEST_LABEL``), so that a
request whose outcome is unknown (a lost answer, a server error) can be looked for before it is sent again, and a
server found busy (maybe with another run making this very snapshot) is listed again before sending.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import (
    REQUEST_LABEL,
    identity_window,
    is_live_snapshot_of,
    label_selector,
    newest_first,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code, is_rate_limited, outcome_unknown
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import first_match, identity
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport, LockTimedOut, locked_message, pass_lock
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import READ_PATIENCE, Clock, Deadline, create_retry_backoff, sleep_until_next

MAX_UNKNOWN_OUTCOMES = 4


@dataclass(frozen=True)
class Sent:
    """What sending create_image came to: ``image`` (and ``action``) created, or ``found`` made meanwhile, or skipped."""

    image: dict | None = None
    action: dict | None = None
    recovered: bool = False
    found: dict | None = None
    skipped_for: list | None = None


class CreateProtocol:
    """Sends one create_image request until it is accepted, never applying it twice."""

    def __init__(self, api: Any, server: dict, options: SnapshotOptions, lock: LockReport, clock: Clock, pacing: Pacing) -> None:
        self._api = api
        self._pacing = pacing
        self._server = server
        self._options = options
        self._lock = lock
        self._clock = clock
        self._lock_deadline: Deadline | None = None
        self._lock_backoff = create_retry_backoff()

    @property
    def _name(self) -> str:
        return self._server["name"]

    def send(self, description: str, labels: dict, contended: bool = False) -> Sent:
        """Send create_image; a request of unknown outcome is looked for before it is sent again.

        A ``locked`` answer obeys ``on_locked`` whether or not the server lists a running action (a lock the API
        does not show): skip skips, fail fails, wait tries again within ``lock_timeout``. ``contended``: the
        server was found busy before (an earlier request ended in ``locked``): look for a match first.
        """
        lock_deadline = self._lock_deadline = self._lock_deadline or Deadline(self._options.lock_timeout, clock=self._clock)
        retry_deadline = Deadline(max(self._options.lock_timeout, READ_PATIENCE), clock=self._clock)
        backoff = create_retry_backoff()
        unknown_outcomes = 0
        while True:
            passed = pass_lock(self._api, self._server, self._options.on_locked, lock_deadline, self._lock, self._lock_sleep)
            if passed.skipped_for is not None:
                return Sent(skipped_for=passed.skipped_for)
            contended = passed.was_locked or contended
            if contended and not self._options.force:
                # The server was busy, maybe with another run making this very snapshot: look again first.
                found = self._made_meanwhile()
                if found is not None:
                    return Sent(found=found)
            self._clock.checkpoint()  # cancelled meanwhile: no new snapshot
            try:
                with doing(f"creating a snapshot of server {self._name}"):
                    action, image = self._api.create_snapshot(self._server["id"], description, labels)
                return Sent(image=image, action=action)
            except Exception as exc:
                code = error_code(exc)
                if code != "locked" and not outcome_unknown(exc) and not is_rate_limited(exc):
                    raise
                if code == "locked" and not unknown_outcomes and self._options.on_locked != "wait":
                    return self._decide_on_lock(self._api.running_actions(self._server["id"]))
                recovered = self._find_request(labels[REQUEST_LABEL]) if code == "locked" or outcome_unknown(exc) else None
                if recovered is not None:
                    return Sent(image=recovered, recovered=True)
                # Time has passed since the last look: another client may have made this snapshot meanwhile.
                contended = True
                unknown_outcomes += outcome_unknown(exc)
                at_least = self._pacing.rate_limit_wait() if is_rate_limited(exc) else 0.0
                if code == "locked":
                    at_least = max(at_least, self._pacing.resend_delay())
                deadline = lock_deadline if code == "locked" else retry_deadline
                if unknown_outcomes > MAX_UNKNOWN_OUTCOMES or not sleep_until_next(backoff, deadline, self._clock.sleep, at_least=at_least):
                    if code == "locked":
                        raise LockTimedOut(self._name, self._api.running_actions(self._server["id"]), self._options.lock_timeout) from exc
                    raise

    def _lock_sleep(self, delay: float) -> None:
        """Sleep while the server's lock is waited for: a fleet's tasks look at the shared answers every tick (its
        action poller alone decides when to ask the API), so that a lock's end is acted on when a poll sees it."""
        self._clock.sleep(self._pacing.poll_delay(delay))

    def after_locked_action(self, action: dict) -> Sent | None:
        """An accepted create_image that ended in ``locked``: nothing was made. Skip, fail, or (None) send again."""
        self._lock.record([action])
        if self._options.on_locked != "wait":
            return self._decide_on_lock([action])
        deadline = self._lock_deadline or Deadline(self._options.lock_timeout, clock=self._clock)
        if not sleep_until_next(self._lock_backoff, deadline, self._clock.sleep, at_least=self._pacing.resend_delay()):
            raise LockTimedOut(self._name, [action], self._options.lock_timeout)
        return None

    def _decide_on_lock(self, running: list) -> Sent:
        """on_locked=skip or fail, for a lock found only by sending (the API may list no action for it)."""
        self._lock.record(running)
        if self._options.on_locked == "skip":
            return Sent(skipped_for=running)
        raise TaskFailed(locked_message(self._name, running))

    def _live(self, selector: str | None, since: datetime.datetime | None = None) -> list[dict]:
        images = self._api.snapshots_now(selector, since)
        return [image for image in images if is_live_snapshot_of(image, self._server["id"])]

    def _made_meanwhile(self) -> dict | None:
        now = self._clock.now()
        with doing(f"listing the snapshots of server {self._name}"):
            wanted = identity(self._options, self._server, now)
            images = self._api.server_snapshots_now(self._server["id"], self._options.labels, identity_window(wanted, now))
            return first_match([image for image in images if is_live_snapshot_of(image, self._server["id"])], wanted, now)

    def _find_request(self, request_id: str) -> dict | None:
        """The snapshot our own earlier request created, if it was applied after all."""
        with doing(f"checking whether the snapshot request for server {self._name} was applied"):
            for attempt in range(2):
                live = self._live(label_selector({REQUEST_LABEL: request_id}))
                if live:
                    return newest_first(live)[0]
                if attempt == 0:
                    self._clock.sleep(1.0)
        return None
