# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server locks: a server runs one action at a time; wait for the running ones to end, within a deadline."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ansible_collections.lockaware.hcloud.plugins.module_utils._actions import ProgressPacer, describe_actions, poll_backoff
from ansible_collections.lockaware.hcloud.plugins.module_utils._deadline import sleep_within

ON_LOCKED_CHOICES = ("wait", "skip", "fail")


@dataclass
class LockReport:
    """What a task saw of a server's lock: seconds waited and the blocking actions (by ID)."""

    waited: float = 0.0
    seen: dict = field(default_factory=dict)

    def record(self, actions):
        """Remember actions seen running."""
        for action in actions:
            self.seen[action["id"]] = action

    def as_result(self):
        """The ``lock`` key of the module's result."""
        actions = [{key: action.get(key) for key in ("id", "command", "started", "progress", "status")} for action in self.seen.values()]
        return {"waited": round(self.waited, 1), "actions": actions}


class LockTimedOut(Exception):
    """The server stayed locked until the deadline."""

    def __init__(self, server_name, actions, seconds):
        super().__init__(
            f"server {server_name} was still locked after waiting {seconds:g} s (lock_timeout) by {describe_actions(actions)}; "
            "raise lock_timeout, or use on_locked=skip to skip locked servers"
        )
        self.actions = actions


def wait_until_unlocked(fetch_running, server_name, deadline, report, sleep=time.sleep, backoff=None, actions=None):
    """Poll ``fetch_running()`` until it returns no action; raises ``LockTimedOut`` at the deadline.

    ``actions``, if given, is what a caller has just fetched: the first poll is then skipped. Polls are paced by
    the progress of the blocking action (see ``ProgressPacer``).
    """
    backoff = backoff or poll_backoff()
    pacer, blocking_id = None, None
    started = deadline.elapsed()
    try:
        while True:
            if actions is None:
                actions = fetch_running()
            report.record(actions)
            if not actions:
                return
            if actions[0]["id"] != blocking_id:
                pacer, blocking_id = ProgressPacer(backoff, deadline.now), actions[0]["id"]
            if not sleep_within(deadline, pacer.next_delay(actions[0].get("progress")), sleep):
                raise LockTimedOut(server_name, actions, deadline.seconds)
            actions = None
    finally:
        report.waited += deadline.elapsed() - started
