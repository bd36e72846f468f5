# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server locks: a server runs one action at a time; wait for the running ones to end, within a deadline."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import describe_actions
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Deadline, ProgressPacer, poll_backoff, sleep_within

Action = dict


@dataclass
class LockReport:
    """What a task saw of a server's lock: seconds waited and the blocking actions (by ID); ``_views.lock_view``
    makes the ``lock`` result of it."""

    waited: float = 0.0
    seen: dict = field(default_factory=dict)
    waiting_since: float | None = None  # while a wait runs: when it began (the deadline's clock), for the progress line

    def record(self, actions: list[Action]) -> None:
        """Remember actions seen running."""
        for action in actions:
            self.seen[action["id"]] = action


class LockTimedOut(TaskFailed):
    """The server stayed locked until the deadline."""

    def __init__(self, server_name: str, actions: list[Action], seconds: float | None) -> None:
        super().__init__(
            f"server {server_name} was still locked after waiting {seconds:g} s (lock_timeout) by {describe_actions(actions)}; "
            "raise lock_timeout, or use on_locked=skip to skip locked servers"
        )
        self.actions = actions


def wait_until_unlocked(
    fetch_running: Callable[[], list[Action]],
    server_name: str,
    deadline: Deadline,
    report: LockReport,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff | None = None,
    actions: list[Action] | None = None,
) -> None:
    """Poll ``fetch_running()`` until it returns no action; raises ``LockTimedOut`` at the deadline.

    ``actions``, if given, is what a caller has just fetched: the first poll is then skipped. Polls are paced by
    the progress of the blocking action (see ``ProgressPacer``).
    """
    backoff = backoff or poll_backoff()
    pacer, blocking_id = ProgressPacer(backoff, deadline.clock), None
    started = deadline.elapsed()
    try:
        while True:
            if actions is None:
                actions = fetch_running()
            report.record(actions)
            if not actions:
                return
            if report.waiting_since is None:
                report.waiting_since = deadline.now()
            if actions[0]["id"] != blocking_id:
                if blocking_id is not None:
                    pacer = ProgressPacer(backoff, deadline.clock)
                blocking_id = actions[0]["id"]
            if not sleep_within(deadline, pacer.next_delay(actions[0].get("progress")), sleep):
                raise LockTimedOut(server_name, actions, deadline.seconds)
            actions = None
    finally:
        report.waited += deadline.elapsed() - started
        report.waiting_since = None


@dataclass(frozen=True)
class LockPass:
    """How a server's lock was passed: whether it was locked at first, and the actions to skip for (on_locked=skip)."""

    was_locked: bool
    skipped_for: list[Action] | None = None


def locked_message(server_name: str, actions: list[Action]) -> str:
    """The failure of on_locked=fail."""
    return f"server {server_name} is locked by {describe_actions(actions)}; use on_locked=wait to wait for it, or on_locked=skip"


def pass_lock(api: Any, server: dict, on_locked: str, deadline: Deadline, report: LockReport, sleep: Callable[[float], None]) -> LockPass:
    """Return once the server runs no action, or say to skip it; wait, skip or fail as ``on_locked`` says."""
    name = server["name"]
    with doing(f"checking the running actions of server {name}"):
        running = api.running_actions(server["id"])
    report.record(running)
    if not running:
        return LockPass(was_locked=False)
    if on_locked == "skip":
        return LockPass(was_locked=True, skipped_for=running)
    if on_locked == "fail":
        raise TaskFailed(locked_message(name, running))
    with doing(f"waiting for server {name} to be unlocked"):
        wait_until_unlocked(lambda: api.running_actions(server["id"]), name, deadline, report, sleep=sleep, actions=running)
    return LockPass(was_locked=True)
