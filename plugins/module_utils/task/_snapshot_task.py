# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task: what ``lockaware.hcloud.snapshot`` does for one server. Plan, act, rotate, report.

The planner (``_planner``) looks at the server's snapshots and says what to do; check mode reports that, a real
run carries it out (``_task_act``: the create protocol, inside the power cycle with shutdown=true), then rotates
the series (``_task_rotate``). The steps share the task's context (``_task_context``: API, server, options, clock,
lock report, deadlines, the series read once), built once here. What has been done so far is a value,
``TaskState`` (``_task_state``), changed through its named steps; ``_task_report`` turns it into the result.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._protocol import SnapshotApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, brief, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import ADOPT, UNCHANGED, blocked_reason, plan_absent, plan_present
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import recover_power
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_act import SnapshotMaker
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_report import final_result, task_result
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_rotate import Rotation
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_state import TaskState
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import describe_actions
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK, Clock


class SnapshotTask:
    """Create (or delete) the snapshot of one server that the options describe."""

    def __init__(self, api: SnapshotApi, options: SnapshotOptions, check_mode: bool = False, clock: Clock = SYSTEM_CLOCK, pacing: Pacing | None = None) -> None:
        self.context = TaskContext(api, options, check_mode, clock, pacing or Pacing())
        self.state = TaskState()

    @property
    def lock(self) -> LockReport:
        """What the task saw of the server's lock (read by a fleet's progress lines while it runs)."""
        return self.context.lock

    def run(self) -> dict:
        """Run the task; returns the result, raises ``TaskFailed`` (with the result so far)."""
        task = self.context
        try:
            with doing(f"looking up server {task.options.server}"):
                task.clock.checkpoint()  # a fleet's task not begun when the run was cancelled does not begin
                task.server = task.api.server(task.options.server)
            if not self._recover_power():
                return final_result(task, self.state, [])
            return self.present() if task.options.state == "present" else self.absent()
        except Exception as exc:
            failed = TaskFailed.of(exc)
            failed.partial = {key: value for key, value in dict(task_result(task, self.state), **failed.partial).items() if key != "msg"}
            failed.partial["outcome"] = "failed"
            if failed is exc:
                raise
            raise failed from exc

    def _recover_power(self) -> bool:
        """Power on the server if an interrupted run of this collection left it off (``_power_record``); False: skip."""
        recovery = recover_power(self.context)
        self.context.server = recovery.server
        self.state.recovered_power(recovery)
        if recovery.skipped_for is not None:
            self.state.skipped_server(recovery.skip_msg or f"skipped server {self.context.name}: it is locked by {describe_actions(recovery.skipped_for)}")
            return False
        return True

    def present(self) -> dict:
        """Make sure a matching snapshot exists (and rotate the series)."""
        task, maker = self.context, SnapshotMaker(self.context, self.state)
        before = task.listing()
        plan = plan_present(before, task.options, task.server, task.clock.now())
        if plan.step == UNCHANGED:
            self.state.found(plan.match, task.name, "exists")
        elif plan.step == ADOPT:
            maker.adopt(plan.match)
        elif task.options.from_backup and maker.from_backup():
            pass  # converted, or skipped for want of a backup
        elif task.check_mode:
            maker.predict()
        else:
            maker.create()
        self.state.acted()
        rotation = Rotation(task, self.state)
        if task.options.retention and rotation.subject() is not None:
            rotation.rotate(task.options.retention)
        return final_result(task, self.state, before)

    def absent(self) -> dict:
        """Delete the matching snapshots this collection created (all matching ones with include_unmanaged)."""
        task = self.context
        before = task.listing()
        plan = plan_absent(before, task.options, task.server, task.clock.now())
        if plan.left:
            self.state.warned([f"left {len(plan.left)} matching snapshot(s) not made by this collection: set include_unmanaged=true to delete them"])
        if plan.blocked:
            reasons = "; ".join(f"snapshot {image['id']} ({brief(image['description'])}, {blocked_reason(image)})" for image in plan.blocked)
            raise TaskFailed(f"cannot delete {reasons}: nothing was deleted")
        Rotation(task, self.state).delete(plan.delete)
        verb = "would delete" if task.check_mode else "deleted"
        self.state.removed(
            plan.delete, f"{verb} {len(plan.delete)} snapshot(s) of server {task.name}" if plan.delete else f"no matching snapshot of server {task.name}"
        )
        return final_result(task, self.state, before)
