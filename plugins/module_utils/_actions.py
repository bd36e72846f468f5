# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for actions and snapshots to finish, bounded by a deadline, polling with backoff."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import StepFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import Backoff, Deadline, ProgressPacer, poll_backoff, sleep_until_next, sleep_within


class ActionFailed(StepFailed):
    """An action ended with status error."""

    def __init__(self, action: dict) -> None:
        error = action.get("error") or {}
        super().__init__(f"action {action['id']} ({action['command']}) failed: {error.get('message') or 'no message'} ({error.get('code') or 'no code'})")
        self.action = action
        self.failure = {"code": error.get("code"), "message": error.get("message"), "details": {"action_id": action["id"]}, "correlation_id": None}


class WaitTimedOut(StepFailed):
    """A wait ran out of time; ``last`` is what was seen last (an action or an image)."""

    def __init__(self, message: str, last: dict | None = None) -> None:
        super().__init__(message)
        self.last = last


class SnapshotVanished(StepFailed):
    """The snapshot being waited for no longer exists (deleted, or its creation failed)."""


def describe_action(action: dict) -> str:
    """``action 123 (rebuild, started 2026-01-01T10:00:00+00:00, 40%)``."""
    return f"action {action['id']} ({action.get('command')}, started {action.get('started')}, {action.get('progress', 0)}%)"


def describe_actions(actions: list[dict]) -> str:
    """Several actions, for messages."""
    return "; ".join(describe_action(action) for action in actions) or "no action"


def wait_for_action(api: Any, action: dict, deadline: Deadline, sleep: Callable[[float], None] = time.sleep, backoff: Backoff | None = None) -> dict:
    """Poll an action until it is no longer running; returns it, raises ``ActionFailed`` or ``WaitTimedOut``."""
    pacer = ProgressPacer(backoff or poll_backoff(), deadline.now)
    while action["status"] == "running":
        if not sleep_within(deadline, pacer.next_delay(action.get("progress")), sleep):
            raise WaitTimedOut(f"{describe_action(action)} was still running after {deadline.seconds:g} s", last=action)
        action = api.action(action["id"])
    if action["status"] == "error":
        raise ActionFailed(action)
    return action


def wait_for_snapshot(
    api: Any, image: dict, deadline: Deadline, action: dict | None = None, sleep: Callable[[float], None] = time.sleep, backoff: Backoff | None = None
) -> tuple[dict, dict | None]:
    """Wait until a snapshot is available; returns ``(image, action)``.

    With its create action known, the action is polled (its error is the reason a snapshot fails); the image
    is read once the action succeeded. An adopted snapshot, whose action is not known, is polled directly.
    """
    backoff = backoff or poll_backoff()
    if action is not None:
        action = wait_for_action(api, action, deadline, sleep, backoff)
    while True:
        current = api.image(image["id"])
        if current is None:
            raise SnapshotVanished(f"snapshot {image['id']} was deleted while it was being created, or its creation failed")
        if current["status"] == "available":
            return current, action
        if not sleep_until_next(backoff, deadline, sleep):
            raise WaitTimedOut(f"snapshot {image['id']} was still {current['status']} after {deadline.seconds:g} s", last=current)
