# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power cycle of ``shutdown=true``: shut the server down, and always power it on again if it was running."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._actions import wait_for_action
from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import TaskFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils._locks import LockReport, pass_lock
from ansible_collections.lockaware.hcloud.plugins.module_utils._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import ACTION_PATIENCE, Clock, Deadline, poll_backoff, sleep_until_next


@dataclass
class PowerReport:
    """``power``: what the cycle did."""

    initial_status: str
    shut_down: bool = False
    powered_off: bool = False
    powered_on: bool = False

    def as_result(self) -> dict:
        """The ``power`` key of the result."""
        return asdict(self)


class PowerCycle:
    """``with PowerCycle(...) as cycle:`` the body runs on a server that is off (or ``cycle.skipped_for`` says why
    not: it is locked and on_locked=skip); on the way out, a server that was running is powered on again, also when
    the body failed. A failure of the body is reported as such, not as the power-on after it."""

    def __init__(self, api: Any, server: dict, options: SnapshotOptions, lock: LockReport, clock: Clock) -> None:
        self._api = api
        self._server = server
        self._options = options
        self._lock = lock
        self._clock = clock
        self.report = PowerReport(initial_status=server["status"])
        self.skipped_for: list | None = None

    @property
    def _name(self) -> str:
        return self._server["name"]

    def __enter__(self) -> PowerCycle:
        if self._server["status"] == "off":
            return self
        deadline = Deadline(self._options.shutdown_timeout, clock=self._clock)
        passed = pass_lock(
            self._api, self._server, self._options.on_locked, Deadline(self._options.lock_timeout, clock=self._clock), self._lock, self._clock.sleep
        )
        if passed.skipped_for is not None:
            self.skipped_for = passed.skipped_for
            return self
        with doing(f"shutting server {self._name} down"):
            self._run("shutdown", deadline)
            self.report.shut_down = True
            if self._wait_until_off(deadline):
                return self
        if not self._options.force_poweroff:
            raise TaskFailed(
                f"server {self._name} did not shut down within {self._options.shutdown_timeout} s (shutdown_timeout); "
                "raise shutdown_timeout or set force_poweroff=true; no snapshot was created"
            )
        with doing(f"powering server {self._name} off"):
            self._run("poweroff", Deadline(ACTION_PATIENCE, clock=self._clock))
        self.report.powered_off = True
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.report.initial_status != "running" or self.skipped_for is not None:
            return
        with doing(f"checking the status of server {self._name}"):
            if self._api.current_server(self._server["id"])["status"] == "running":
                return
        # Whatever on_locked says, a server we shut down is powered on again: wait for the snapshot action to end.
        wait = Deadline(max(self._options.lock_timeout, self._options.wait_timeout), clock=self._clock)
        pass_lock(self._api, self._server, "wait", wait, self._lock, self._clock.sleep)
        with doing(f"powering server {self._name} on again"):
            self._run("poweron", Deadline(ACTION_PATIENCE, clock=self._clock))
        self.report.powered_on = True

    def _run(self, command: str, deadline: Deadline) -> None:
        wait_for_action(self._api, self._api.server_action(self._server["id"], command), deadline, sleep=self._clock.sleep)

    def _wait_until_off(self, deadline: Deadline) -> bool:
        backoff = poll_backoff()
        while self._api.current_server(self._server["id"])["status"] != "off":
            if not sleep_until_next(backoff, deadline, self._clock.sleep):
                return False
        return True
