# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for actions and snapshots to finish, bounded by a deadline, polling with backoff."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import time

from ansible_collections.lockaware.hcloud.plugins.module_utils._deadline import Backoff, sleep_until_next, sleep_within


class ActionFailed(Exception):
    """An action ended with status error."""

    def __init__(self, action):
        error = action.get("error") or {}
        super().__init__(f"action {action['id']} ({action['command']}) failed: {error.get('message') or 'no message'} ({error.get('code') or 'no code'})")
        self.action = action
        self.failure = {"code": error.get("code"), "message": error.get("message"), "details": {"action_id": action["id"]}, "correlation_id": None}


class WaitTimedOut(Exception):
    """A wait ran out of time; ``last`` is what was seen last (an action or an image)."""

    def __init__(self, message, last=None):
        super().__init__(message)
        self.last = last


class SnapshotVanished(Exception):
    """The snapshot being waited for no longer exists (deleted, or its creation failed)."""


def describe_action(action):
    """``action 123 (rebuild, started 2026-01-01T10:00:00+00:00, 40%)``."""
    return f"action {action['id']} ({action.get('command')}, started {action.get('started')}, {action.get('progress', 0)}%)"


def describe_actions(actions):
    """Several actions, for messages."""
    return "; ".join(describe_action(action) for action in actions) or "no action"


def poll_backoff():
    """The polling rhythm: about 1 s at first, growing to about 10 s (kind to the project's rate limit)."""
    return Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.2)


class ProgressPacer:
    """When to look at a running action again: when its progress says it should be done, within the backoff.

    Actions report a progress in percent. From two readings the remaining time is estimated, and the next poll
    is due then (at least the backoff's first delay, at most its cap); with no progress to go by, the backoff's
    own rhythm is used. A long snapshot is then polled a handful of times, and its end is seen soon after.
    """

    def __init__(self, backoff, clock):
        self._backoff = backoff
        self._clock = clock
        self._first = None

    def next_delay(self, progress):
        """Seconds until the next poll, given the latest progress reading (None if unknown)."""
        now = self._clock()
        if progress is None or progress >= 100:
            return self._backoff.next_delay()
        if self._first is None or progress < self._first[1]:
            self._first = (now, progress)
        first_time, first_progress = self._first
        if progress == first_progress or now <= first_time:
            return self._backoff.next_delay()
        remaining = (100 - progress) * (now - first_time) / (progress - first_progress)
        return min(self._backoff.cap, max(self._backoff.initial, remaining))


def wait_for_action(api, action, deadline, sleep=time.sleep, backoff=None):
    """Poll an action until it is no longer running; returns it, raises ``ActionFailed`` or ``WaitTimedOut``."""
    pacer = ProgressPacer(backoff or poll_backoff(), deadline.now)
    while action["status"] == "running":
        if not sleep_within(deadline, pacer.next_delay(action.get("progress")), sleep):
            raise WaitTimedOut(f"{describe_action(action)} was still running after {deadline.seconds:g} s", last=action)
        action = api.action(action["id"])
    if action["status"] == "error":
        raise ActionFailed(action)
    return action


def wait_for_snapshot(api, image, deadline, action=None, sleep=time.sleep, backoff=None):
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
