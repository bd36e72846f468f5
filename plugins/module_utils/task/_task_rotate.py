# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task's rotate step: delete what the retention rules do not keep of the series; and the deletions
of state=absent. A snapshot protected since it was listed stays; a failed deletion stops the rest.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._series import plan_series
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._backup_cost import read_backup_cost
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import read_price
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import PROTECTED_MEANWHILE, describe_rules, settle
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import brief, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_state import Retained, TaskState


class Rotation:
    """Deletes snapshots of one task's server: rotation's (``rotate``), or those state=absent found (``delete``)."""

    def __init__(self, task: TaskContext, state: TaskState) -> None:
        self.task = task
        self.state = state

    def subject(self) -> dict | None:
        """The snapshot this run rotates after, as it is (or will be) once available; None: no rotation.

        One rule for check mode and a real run: rotation follows the run's snapshot once it is available, be it
        created, found or adopted. Check mode cannot wait, so an adopted snapshot still being created stands in as
        the available snapshot a real run would wait for, and check mode's prediction for the one it would create.
        It counts as the newest of the series when it belongs to the series (made by this collection with all of
        ``labels``); another client's snapshot is not in the series, so the series keeps its own ``keep`` beside it.
        """
        if self.state.predicted:
            return self.state.predicted
        snapshot = self.state.snapshot or {}
        if snapshot.get("status") == "available":
            return snapshot
        if self.task.check_mode and self.state.adopted and snapshot.get("status") == "creating":
            return dict(snapshot, status="available")
        return None

    def rotate(self, rules: dict) -> None:
        """Delete what the rules do not keep of the series, the new snapshot (or check mode's prediction) kept first.

        The result says what happened: a deletion that failed (and those not tried after it) are reported kept.
        """
        task = self.task
        planned = plan_series(task.series(), task.server["id"], task.options.labels, rules, self.subject())
        by_id = {image["id"]: image for image in planned.series}
        doomed = [by_id[image_id] for image_id in planned.plan["delete"]]
        price, backups = read_price(task.api), read_backup_cost(task.api, task.server)
        predicted_id = planned.new_id if self.state.predicted else None
        stayed: dict = {}
        plan = planned.plan
        try:
            self.delete(doomed, stayed)
        finally:
            plan = settle(plan, {image["id"] for image in self.state.deleted}, stayed)
            self.state.retained(Retained(rules, plan, planned.series, price, predicted_id, backups))
        self.state.rotated(self._summary(rules, plan["delete"]))

    def _summary(self, rules: dict, deleted: list) -> str:
        if not deleted:
            return ""
        verb = "would delete" if self.task.check_mode else "deleted"
        ids = ", ".join(str(image_id) for image_id in deleted)
        why = f"to keep {self.task.options.keep}" if self.task.options.keep else f"by the retention rules ({describe_rules(rules)})"
        return f"; {verb} {len(deleted)} older snapshot(s) of the series ({ids}) {why}"

    def delete(self, images: list, stayed: dict | None = None) -> None:
        """Delete ``images`` in order; ``stayed`` gets the reason of each one that stays (a failure stops the loop)."""
        stayed = {} if stayed is None else stayed
        for image in images:
            if self.task.check_mode or self._delete_one(image, stayed):
                self.state.deleted_one(image)

    def _delete_one(self, image: dict, stayed: dict) -> bool:
        """``DELETE`` one snapshot: False when it stays (protected since it was listed); raises on a failure."""
        with doing(f"deleting snapshot {image['id']} ({brief(image['description'])}) of server {self.task.name}"):
            try:
                self.task.api.delete_image(image["id"])
            except Exception as exc:
                code = error_code(exc)
                if code == "protected":  # protected by someone since it was listed: it stays
                    self.state.warned([f"snapshot {image['id']} was protected meanwhile and was kept"])
                    stayed[image["id"]] = PROTECTED_MEANWHILE
                    return False
                if code != "not_found":  # already gone counts as deleted
                    stayed[image["id"]] = f"kept: the deletion failed ({code or type(exc).__name__})"
                    raise
        return True
