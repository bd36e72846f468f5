# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task's act step: make this run's snapshot as the plan says.

Adopt one being created (and wait for it), convert a backup (``_from_backup``), say what a real run would do
(check mode), or create one with the create protocol (``_create``), inside the power cycle (``_power``) with
shutdown=true. What was done goes into the task's state through its named steps (``_task_state``).
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import uuid
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import REQUEST_LABEL, series_labels
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._create import CreateProtocol, Sent
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, brief, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._from_backup import BackupConversion
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import new_description, predicted_snapshot
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import PowerCycle
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_state import TaskState
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import ActionFailed, describe_actions, wait_for_action, wait_for_snapshot
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import locked_message
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import ACTION_PATIENCE


class SnapshotMaker:
    """Makes (or adopts, converts, predicts) the snapshot of one task's server."""

    def __init__(self, task: TaskContext, state: TaskState) -> None:
        self.task = task
        self.state = state

    def adopt(self, image: Any) -> None:
        """A matching snapshot is being created: wait for it (with ``wait``) instead of making another."""
        task = self.task
        self.state.adopting(image, task.name)
        if task.options.wait and not task.check_mode:
            with doing(f"waiting for snapshot {image['id']} of server {task.name}"):
                self.state.available(
                    wait_for_snapshot(task.api, image, task.deadline(task.options.wait_timeout), sleep=task.clock.sleep, pacing=task.pacing)[0]
                )

    def from_backup(self) -> bool:
        """Convert the server's newest fitting backup (``_from_backup``); True when done or skipped for want of one."""
        task = self.task
        conversion = BackupConversion(task.api, task.server, task.options, task.clock.now(), task.check_mode, task.pacing).run()
        if conversion.image is None and task.options.on_no_backup == "skip":
            self.state.skipped_server(f"skipped server {task.name}: {conversion.missing}")
        elif conversion.image is None:
            self.state.no_backup(conversion.missing)
            return False
        else:
            self.state.converted(conversion.image, conversion.msg)
            if task.options.protect and not task.check_mode:
                self._protect(conversion.image)
        return True

    def predict(self) -> None:
        """Check mode: what a real run would do (wait for the lock, shut down, create, power on), or skip or fail."""
        task = self.task
        with doing(f"checking the running actions of server {task.name}"):
            running = task.api.running_actions(task.server["id"])
        task.lock.record(running)
        if running and task.options.on_locked == "skip":
            self._skip_locked(running)
            return
        if running and task.options.on_locked == "fail":
            raise TaskFailed(locked_message(task.name, running))
        cycle = task.options.shutdown and task.server["status"] == "running"
        steps = [f"wait for {describe_actions(running)} on {task.name} (at most {task.options.lock_timeout} s)"] if running else []
        steps += [f"shut {task.name} down"] if cycle else []
        steps.append(f"create snapshot {brief(repr(new_description(task.options, task.server, task.clock.now())))} of server {task.name}")
        steps += [f"power {task.name} on again"] if cycle else []
        self.state.planned_create(steps, predicted_snapshot(task.options, task.server, task.clock.now()))

    def create(self) -> None:
        """Create the snapshot, inside the power cycle with shutdown=true; one made meanwhile is found or adopted."""
        if not self.task.options.shutdown:
            sent = self._create()
        else:
            cycle = PowerCycle(self.task, self.state.power)
            self.state.cycling_power(cycle.report)
            try:
                with cycle:
                    sent = self._create() if cycle.skipped_for is None else Sent(skipped_for=cycle.skipped_for)
            finally:
                self.state.warned(cycle.warnings)
        if sent.skipped_for is not None:
            self._skip_locked(sent.skipped_for)
        elif sent.found is not None and sent.found["status"] == "available":
            self.state.found(sent.found, self.task.name, "was made meanwhile")
        elif sent.found is not None:
            self.adopt(sent.found)

    def _skip_locked(self, actions: list) -> None:
        self.state.skipped_server(f"skipped server {self.task.name}: it is locked by {describe_actions(actions)}")

    def _create(self) -> Sent:
        task = self.task
        description = new_description(task.options, task.server, task.clock.now())
        protocol = CreateProtocol(task.api, task.server, task.options, task.lock, task.clock, task.pacing)
        contended = False
        while True:
            labels = dict(task.options.labels, **series_labels(task.server["id"]), **{REQUEST_LABEL: uuid.uuid4().hex[:20]})
            sent = protocol.send(description, labels, contended=contended)
            if sent.image is None:
                return sent
            image = sent.image
            self.state.created(image, sent.action, f"created snapshot {image['id']} ({brief(description)}) of server {task.name}")
            if not task.options.wait:
                return sent
            try:
                with doing(f"waiting for snapshot {image['id']} of server {task.name}"):
                    deadline = task.deadline(task.options.wait_timeout)
                    image, action = wait_for_snapshot(
                        task.api, image, deadline, action=sent.action, sleep=task.clock.sleep, pacing=task.pacing, look=self._look_in_series
                    )
                break
            except ActionFailed as exc:
                if (exc.failure or {}).get("code") != "locked":
                    raise
                # Accepted, then refused as locked: nothing was made. A lock like any other, then look before sending again.
                self.state.refused_as_locked()
                retry = protocol.after_locked_action(exc.action)
                if retry is not None:
                    return retry
                contended = True
        self.state.available(image, action)
        if task.options.protect:
            self._protect(image)  # an image being created is locked: protection is switched on once it is available
        return sent

    def _look_in_series(self, image_id: int) -> dict | None:
        """The new snapshot as rotation's series read shows it, read now that its action ended (None: not rotating).

        Rotation reads the series anyway, after the snapshot is made: read it here (``TaskContext.series``, read
        once), and the snapshot's status and size come with it instead of a ``GET /images/{id}``.
        """
        if not self.task.options.retention:
            return None
        return next((image for image in self.task.series() if image["id"] == image_id), None)

    def _protect(self, image: dict) -> None:
        task = self.task
        with doing(f"protecting snapshot {image['id']} of server {task.name}"):
            wait_for_action(task.api, task.api.protect_image(image["id"]), task.deadline(ACTION_PATIENCE), sleep=task.clock.sleep, pacing=task.pacing)
            task.pacing.pay_image_read(image["id"])
            self.state.available(task.api.image(image["id"]) or image)
