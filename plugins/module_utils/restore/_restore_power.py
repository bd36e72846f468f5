# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power state a restored server ends in: the one it had before the rollback, or the one asked for.

A rebuild powers the server off first and (on the simulator, and as far as anyone reports on the real API) starts it
again afterwards. A server that is to run is waited for until its status is ``running`` (and powered on if the rebuild
left it off); a server that is to stay off is powered off (``poweroff``: what is on its disk is the snapshot, and the
seconds it ran since wrote nothing anyone asked for) and waited for until it is ``off``.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import power_on
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import wait_for_action
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import ACTION_PATIENCE, Clock, Deadline, poll_backoff, sleep_until_next

RUNNING, OFF, PREVIOUS = "running", "off", "previous"
# Statuses of a server on its way to running, or on its way to off.
GOING_UP = ("running", "starting", "initializing", "rebuilding", "migrating")


def target_state(asked: str, status_before: str) -> str:
    """``running`` or ``off``: what was asked for, or for ``previous`` what the server was (on its way to)."""
    if asked != PREVIOUS:
        return asked
    return RUNNING if status_before in GOING_UP else OFF


def wait_for_status(api: Any, server: dict, wanted: str, deadline: Deadline, clock: Clock) -> dict:
    """Read the server until its status is ``wanted``; returns it; ``StepFailed`` at the deadline."""
    backoff = poll_backoff()
    while True:
        current = api.current_server(server["id"])
        if current["status"] == wanted:
            return current
        if not sleep_until_next(backoff, deadline, clock.sleep):
            raise StepFailed(f"server {server['name']} was still {current['status']} after {deadline.seconds:g} s (wait_timeout), not {wanted}")


def settle_power(api: Any, server: dict, target: str, deadline: Deadline, lock: LockReport, clock: Clock) -> dict:
    """Bring the restored server to ``target`` and wait until it is there; returns the server as read last."""
    name = server["name"]
    with doing(f"reading server {name} after its rebuild"):
        current = api.current_server(server["id"])
    if target == RUNNING:
        if current["status"] == OFF:
            power_on(api, server, deadline, lock, clock, f"powering server {name} on after its rebuild")
        with doing(f"waiting for server {name} to be running"):
            return wait_for_status(api, server, RUNNING, deadline, clock)
    if current["status"] != OFF:
        with doing(f"powering server {name} off after its rebuild, as it was off before"):
            wait_for_action(api, api.server_action(server["id"], "poweroff"), Deadline(ACTION_PATIENCE, clock=clock), sleep=clock.sleep)
    with doing(f"waiting for server {name} to be off"):
        return wait_for_status(api, server, OFF, deadline, clock)
