# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task's report step: its result, from its state (``_views.task_view``), with the diff of the
server's snapshots before and after.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import diff_view, task_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_state import TaskState


def task_result(task: TaskContext, state: TaskState) -> dict:
    """The result so far (no diff): also what a failure carries."""
    return task_view(state, task.lock)


def final_result(task: TaskContext, state: TaskState, before: list) -> dict:
    """The result of a task that ended: ``before`` is the listing the plan looked at."""
    state.finished()
    # The series was read after this run's snapshot was made: that one was not there before.
    made = (state.snapshot or {}).get("id") if state.outcome in ("created", "converted") else None
    listed = {image["id"] for image in before} | {made}
    before = newest_first([*before, *(image for image in task.series_read() if image["id"] not in listed)])[::-1]
    gone = {image["id"] for image in state.deleted}
    after = [image for image in before if image["id"] not in gone]
    snapshot = state.snapshot
    if snapshot and snapshot["id"] not in {image["id"] for image in after}:
        after.append(snapshot)
    elif state.predicted:
        after.append({"id": "(new)", "description": state.predicted["description"], "status": "available"})
    return dict(task_result(task, state), diff=diff_view(before, after))
