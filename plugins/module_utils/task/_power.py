# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power cycle of ``shutdown=true``: shut the server down, and always power it on again if it was running.

Before the shutdown the server is marked (``_power_record``); after the power-on the mark goes. A run that could
not power the server on (it was killed) leaves the mark, and the next run powers the server on (``recover_power``).
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import MANAGED_LABEL
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, doing, failure_message
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power_record import (
    LEAVE,
    POWER_LABEL,
    POWER_ON,
    UNMARK,
    fresh_for,
    mark,
    marked_at,
    marked_since,
    recovery_step,
    unmark,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import describe_actions, wait_for_action
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import Cancelled
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport, pass_lock
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import UNPACED, Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import ACTION_PATIENCE, Clock, Deadline, poll_backoff, sleep_until_next


@dataclass
class PowerReport:
    """What the cycle did, and what a run did about a server an interrupted run had left off (``_views.power_view``)."""

    initial_status: str
    shut_down: bool = False
    powered_off: bool = False
    powered_on: bool = False
    recovered: bool = False
    left_off_since: str | None = None


def stays_off(name: str) -> str:
    """What a user reads when a server this collection shut down could not be powered on again."""
    return f"server {name} stays off, labelled {POWER_LABEL}: the next run of this task powers it on again"


class PowerCycle:
    """``with PowerCycle(...) as cycle:`` the body runs on a server that is off (or ``cycle.skipped_for`` says why
    not: it is locked and on_locked=skip); on the way out, a server that was running is powered on again, also when
    the body failed or the run was cancelled. A failure of the body is reported as such, not as the power-on after it.
    """

    def __init__(self, task: TaskContext, report: PowerReport | None = None) -> None:
        self._task = task
        self._api = task.api
        self._server = task.server
        self._options = task.options
        self._lock = task.lock
        self._clock = task.clock
        self._was_running = task.server["status"] == "running"
        self._marked = False
        self.report = report or PowerReport(initial_status=task.server["status"])
        self.skipped_for: list | None = None
        self.warnings: list[str] = []

    @property
    def _name(self) -> str:
        return self._server["name"]

    def __enter__(self) -> PowerCycle:
        if not self._was_running:
            return self
        passed = pass_lock(self._api, self._server, self._options.on_locked, self._task.lock_deadline(), self._lock, self._clock.sleep)
        if passed.skipped_for is not None:
            self.skipped_for = passed.skipped_for
            return self
        self._clock.checkpoint()  # cancelled meanwhile: no shutdown
        with doing(f"labelling server {self._name} {POWER_LABEL} before shutting it down"):
            mark(self._api, self._server["id"], self._clock.now())
        self._marked = True
        try:
            self._power_down()
        except BaseException as exc:
            self._restore(exc)
            raise
        return self

    def _power_down(self) -> None:
        deadline = Deadline(self._options.shutdown_timeout, clock=self._clock)
        with doing(f"shutting server {self._name} down"):
            self._run("shutdown", deadline, self._clock)
            self.report.shut_down = True
            if self._wait_until_off(deadline):
                return
        if not self._options.force_poweroff:
            raise TaskFailed(
                f"server {self._name} did not shut down within {self._options.shutdown_timeout} s (shutdown_timeout); "
                "raise shutdown_timeout or set force_poweroff=true; no snapshot was created"
            )
        self._clock.checkpoint()
        with doing(f"powering server {self._name} off"):
            self._run("poweroff", Deadline(ACTION_PATIENCE, clock=self._clock), self._clock)
        self.report.powered_off = True

    def __exit__(self, exc_type: Any, exc: BaseException | None, trace: Any) -> None:
        if self._marked:
            self._restore(exc)

    def _restore(self, exc: BaseException | None) -> None:
        """Power the server on again (waiting for the snapshot's lock first), then take the mark away.

        On a shielded clock: a cancelled run still waits, within ``lock_timeout`` (otherwise the longer of
        ``lock_timeout`` and ``wait_timeout``). If it cannot, the mark stays for the next run.
        """
        clock = self._clock.shielded()
        patience = self._options.lock_timeout if isinstance(exc, Cancelled) else max(self._options.lock_timeout, self._options.wait_timeout)
        try:
            with doing(f"checking the status of server {self._name}"):
                running = self._api.current_server(self._server["id"])["status"] == "running"
            if not running:
                # Whatever on_locked says, a server we shut down is powered on again: wait for the snapshot action to end.
                power_on(
                    self._api, self._server, Deadline(patience, clock=clock), self._lock, clock, f"powering server {self._name} on again", self._task.pacing
                )
                self.report.powered_on = True
        except Exception as failed:
            first = f"{failure_message(exc)}; then " if isinstance(exc, Exception) else ""
            raise TaskFailed(f"{first}{failure_message(failed)}; {stays_off(self._name)}", trace=TaskFailed.of(failed).trace) from failed
        try:
            with doing(f"removing the label {POWER_LABEL} from server {self._name}"):
                unmark(self._api, self._server["id"])
            self._marked = False
        except Exception as failed:  # pylint: disable=broad-exception-caught
            self.warnings.append(f"{failure_message(failed)}; the next run of this task removes it")

    def _run(self, command: str, deadline: Deadline, clock: Clock) -> None:
        wait_for_action(self._api, self._api.server_action(self._server["id"], command), deadline, sleep=clock.sleep, pacing=self._task.pacing)

    def _wait_until_off(self, deadline: Deadline) -> bool:
        backoff = poll_backoff()
        while self._api.current_server(self._server["id"])["status"] != "off":
            if not sleep_until_next(backoff, deadline, self._clock.sleep):
                return False
        return True


def power_on(api: Any, server: dict, lock_deadline: Deadline, lock: LockReport, clock: Clock, step: str, pacing: Pacing = UNPACED) -> None:
    """Wait for the server's lock (the snapshot action), then power it on; a ``locked`` answer waits again.

    A fleet's view of the running actions may predate the snapshot this run started: the API's ``locked`` says so.
    """
    backoff = poll_backoff()
    while True:
        pass_lock(api, server, "wait", lock_deadline, lock, clock.sleep)
        try:
            with doing(step):
                wait_for_action(api, api.server_action(server["id"], "poweron"), Deadline(ACTION_PATIENCE, clock=clock), sleep=clock.sleep, pacing=pacing)
            return
        except Exception as exc:
            if error_code(exc) != "locked" or not sleep_until_next(backoff, lock_deadline, clock.sleep):
                raise


@dataclass
class PowerRecovery:
    """What a run did about the power record of a server (``recover_power``)."""

    server: dict
    report: PowerReport | None = None
    note: str = ""  # the start of the task's msg
    warnings: list = field(default_factory=list)
    skipped_for: list | None = None
    skip_msg: str = ""  # the task's msg when it is skipped for another reason than a running action


def recover_power(task: TaskContext) -> PowerRecovery:
    """Power on a server an interrupted run of this collection left off (it carries the mark); check mode only says so.

    The snapshot action of that run may still be running: it is waited for as ``on_locked`` and ``lock_timeout``
    say. A marked server that is running only loses the mark; one that is neither off nor running is left alone.
    """
    api, server = task.api, task.server
    step, since, name = recovery_step(server), marked_since(server), server["name"]
    if step == UNMARK and not task.check_mode:
        with doing(f"removing the label {POWER_LABEL} left on server {name} by an interrupted run"):
            unmark(api, server["id"])
        return PowerRecovery(server=dict(server, labels={key: value for key, value in server["labels"].items() if key != POWER_LABEL}))
    if step == LEAVE:
        return PowerRecovery(
            server=server, warnings=[f"server {name} carries {POWER_LABEL}={since} but is {server['status']}: left as it is, the next run looks again"]
        )
    if step != POWER_ON:
        return PowerRecovery(server=server)
    if task.check_mode:
        return _predict_recovery(api, server, task.lock)
    return _recover(task)


def _why(server: dict) -> str:
    return f"an interrupted run of lockaware.hcloud shut it down (label {POWER_LABEL}={marked_since(server)})"


def _predict_recovery(api: Any, server: dict, lock: LockReport) -> PowerRecovery:
    """Check mode: what a real run would do about the marked server."""
    with doing(f"checking the running actions of server {server['name']}"):
        running = api.running_actions(server["id"])
    lock.record(running)
    after = f" after {describe_actions(running)}" if running else ""
    note = f"would power server {server['name']} on again{after}: {_why(server)}"
    report = PowerReport(initial_status="off", recovered=True, left_off_since=marked_since(server))
    return PowerRecovery(server=dict(server, status="running"), report=report, note=note, warnings=[note])


def _recover(task: TaskContext) -> PowerRecovery:
    """Wait for the marked server's lock (or leave it to a live run), power it on, take the mark away."""
    api, server, options, lock, clock = task.api, task.server, task.options, task.lock, task.clock
    name, why = server["name"], _why(server)
    report = PowerReport(initial_status="off", recovered=True, left_off_since=marked_since(server))
    deadline = task.lock_deadline()
    server, busy = wait_while_fresh(api, server, options, deadline, clock)
    if busy is not None:
        return PowerRecovery(server=server, warnings=[busy], skipped_for=[], skip_msg=busy)
    if recovery_step(server) != POWER_ON:  # the live run powered the server on itself
        return PowerRecovery(server=server)
    passed = pass_lock(api, server, options.on_locked, deadline, lock, clock.sleep)
    if passed.skipped_for is not None:
        return PowerRecovery(
            server=server, report=report, warnings=[f"{why}; it is locked and on_locked=skip: {stays_off(name)}"], skipped_for=passed.skipped_for
        )
    power_on(api, server, deadline, lock, clock, f"powering server {name} on again ({why})", task.pacing)
    report.powered_on = True
    with doing(f"removing the label {POWER_LABEL} from server {name}"):
        unmark(api, server["id"])
    with doing(f"reading server {name}"):
        current = api.current_server(server["id"])
    note = f"powered server {name} on again: {why}"
    return PowerRecovery(server=current, report=report, note=note, warnings=[note])


def wait_while_fresh(api: Any, server: dict, options: SnapshotOptions, deadline: Deadline, clock: Clock) -> tuple[dict, str | None]:
    """While the mark may be a live run's, between its shutdown and its snapshot (``_power_record.fresh_for``: a young
    mark, the server off, no action running), leave the server to that run: wait as for a lock, within
    ``lock_timeout``; ``on_locked=skip`` skips it (the message is returned) and ``fail`` fails.

    Returns the server as read last: its mark gone or old, an action running (which ``pass_lock`` then waits for), or
    a snapshot made since the mark (the marking run was past its snapshot when it stopped).
    """
    name, backoff = server["name"], poll_backoff()
    while recovery_step(server) == POWER_ON and fresh_for(server, clock.now(), options.shutdown_timeout) > 0:
        with doing(f"checking the running actions of server {name}"):
            if api.running_actions(server["id"]):
                return server, None
        if snapshot_since_mark(api, server):  # the run that marked it got as far as its snapshot: not a live run before it
            return server, None
        busy = f"server {name} is off, labelled {POWER_LABEL}={marked_since(server)} moments ago: another run is taking a consistent snapshot of it"
        if options.on_locked == "skip":
            return server, f"skipped server {name}: {busy}"
        if options.on_locked == "fail":
            raise TaskFailed(f"{busy}; use on_locked=wait to wait for it, or on_locked=skip")
        if not sleep_until_next(backoff, deadline, clock.sleep):
            raise TaskFailed(f"{busy}, still after {options.lock_timeout} s (lock_timeout); raise lock_timeout, or use on_locked=skip")
        with doing(f"reading server {name}"):
            server = api.current_server(server["id"])
    return server, None


def snapshot_since_mark(api: Any, server: dict) -> bool:
    """Whether this collection made a snapshot of the server (being made, or made) since the mark was set."""
    since = marked_at(server)
    with doing(f"listing the snapshots of server {server['name']} made since it was labelled {POWER_LABEL}"):
        images = api.snapshots(MANAGED_LABEL, since)
    return any((image.get("created_from") or {}).get("id") == server["id"] for image in images)
