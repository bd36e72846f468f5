# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for actions and snapshots to finish, bounded by a deadline, polling with backoff."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed, brief
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import UNPACED, Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import (
    Backoff,
    Deadline,
    ProgressPacer,
    poll_backoff,
    sleep_until_next,
    sleep_within,
)


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


class SnapshotFailed(StepFailed):
    """The snapshot being waited for is neither being created nor available (``unavailable``: its creation failed)."""

    def __init__(self, image: dict) -> None:
        super().__init__(
            f"snapshot {image['id']} ({brief(image.get('description'))}) is {image.get('status')}: its creation failed; it is left as it is, "
            "delete it in the console or with the hcloud CLI once you have looked at it"
        )
        self.image = image


def describe_action(action: dict) -> str:
    """``action 123 (rebuild, started 2026-01-01T10:00:00+00:00, 40%)``."""
    return f"action {action['id']} ({action.get('command')}, started {action.get('started')}, {action.get('progress', 0)}%)"


def describe_actions(actions: list[dict]) -> str:
    """Several actions, for messages."""
    return "; ".join(describe_action(action) for action in actions) or "an action the API does not list"


def wait_for_action(
    api: Any, action: dict, deadline: Deadline, sleep: Callable[[float], None] = time.sleep, backoff: Backoff | None = None, pacing: Pacing = UNPACED
) -> dict:
    """Poll an action until it is no longer running; returns it, raises ``ActionFailed`` or ``WaitTimedOut``.

    ``pacing`` with a tick (a fleet's, whose action poller decides when to ask the API) looks at the action that often.
    """
    pacer = ProgressPacer(backoff or poll_backoff(), deadline.clock)
    while action["status"] == "running":
        if not sleep_within(deadline, pacing.poll_delay(pacer.next_delay(action.get("progress"))), sleep):
            raise WaitTimedOut(f"{describe_action(action)} was still running after {deadline.seconds:g} s", last=action)
        action = api.action(action["id"])
    if action["status"] == "error":
        raise ActionFailed(action)
    return action


def wait_for_snapshot(
    api: Any,
    image: dict,
    deadline: Deadline,
    action: dict | None = None,
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff | None = None,
    look: Callable[[int], dict | None] | None = None,
    pacing: Pacing = UNPACED,
) -> tuple[dict, dict | None]:
    """Wait until a snapshot is available; returns ``(image, action)``.

    The create action is polled (its error is the reason a snapshot fails): the one given, or for an adopted
    snapshot the server's running ``create_image`` action for it, when one is listed. Then the image is read until
    it is available; a status other than ``creating`` or ``available`` ends the wait at once (``SnapshotFailed``).
    ``look``, if given, is a read made after the action ended anyway (the series rotation reads): the image as it
    shows there is taken first, and ``GET /images/{id}`` is read only when it is not there or not yet available
    (a read again is a poll, paid as ``pacing`` says).
    """
    backoff = backoff or poll_backoff()
    if action is None:
        action = creating_action(api, image)
    if action is not None:
        action = wait_for_action(api, action, deadline, sleep, backoff, pacing)
    seen = look(image["id"]) if look is not None else None
    while True:
        if seen is not None and seen.get("status") == "available":
            current = seen
        else:
            pacing.pay_image_read(image["id"])
            current = api.image(image["id"])
        seen = None
        if current is None:
            raise SnapshotVanished(f"snapshot {image['id']} was deleted while it was being created, or its creation failed")
        if current["status"] == "available":
            return current, action
        if current["status"] != "creating":
            raise SnapshotFailed(current)
        if not sleep_until_next(backoff, deadline, sleep):
            raise WaitTimedOut(f"snapshot {image['id']} was still {current['status']} after {deadline.seconds:g} s", last=current)


def creating_action(api: Any, image: dict) -> dict | None:
    """The running ``create_image`` action of the image's server that makes this image, if the server lists it."""
    server_id = (image.get("created_from") or {}).get("id")
    if server_id is None or image.get("status") != "creating":
        return None
    for action in api.running_actions(server_id):
        resources = action.get("resources") or []
        if action.get("command") == "create_image" and any(res.get("type") == "image" and res.get("id") == image["id"] for res in resources):
            return action
    return None
