# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task: what ``lockaware.hcloud.snapshot`` does for one server. Decide, act, report.

The planner (``_planner``) looks at the server's snapshots and says what to do; check mode reports that, a real
run carries it out with the create protocol (``_create``), inside the power cycle (``_power``) with shutdown=true,
then rotates the series (``_rotation``). What has been done so far is a value, ``TaskState``, that the steps
pass along; ``_views.task_view`` turns it into the result.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._actions import ActionFailed, describe_actions, wait_for_action, wait_for_snapshot
from ansible_collections.lockaware.hcloud.plugins.module_utils._backup_cost import read_backup_cost
from ansible_collections.lockaware.hcloud.plugins.module_utils._create import CreateProtocol, Sent
from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import TaskFailed, brief, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils._from_backup import BackupConversion
from ansible_collections.lockaware.hcloud.plugins.module_utils._locks import LockReport, locked_message
from ansible_collections.lockaware.hcloud.plugins.module_utils._matching import REQUEST_LABEL, is_live_snapshot_of, label_selector, newest_first, series_labels
from ansible_collections.lockaware.hcloud.plugins.module_utils._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils._planner import (
    ADOPT,
    UNCHANGED,
    blocked_reason,
    listing_window,
    new_description,
    plan_absent,
    plan_present,
    predicted_snapshot,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils._power import PowerCycle, PowerReport, recover_power
from ansible_collections.lockaware.hcloud.plugins.module_utils._pricing import read_price
from ansible_collections.lockaware.hcloud.plugins.module_utils._protocol import SnapshotApi
from ansible_collections.lockaware.hcloud.plugins.module_utils._retention_report import PROTECTED_MEANWHILE, describe_rules, retention_view, settle
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils._series import plan_series, read_series
from ansible_collections.lockaware.hcloud.plugins.module_utils._timing import ACTION_PATIENCE, SYSTEM_CLOCK, Clock, Deadline
from ansible_collections.lockaware.hcloud.plugins.module_utils._views import diff_view, task_view


@dataclass
class TaskState:
    """What the task has done so far; the result is made from it (``task_view``), never read back from the result."""

    outcome: str = "unchanged"
    changed: bool = False
    adopted: bool = False
    skipped: bool = False
    msg: str = ""
    snapshot: dict | None = None
    action: dict | None = None
    deleted: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    power: PowerReport | None = None
    predicted: dict | None = None  # check mode: the snapshot a real run would create
    retention: dict | None = None  # the rotation's plan, explained and priced (``_retention_report.retention_view``)


class SnapshotTask:
    """Create (or delete) the snapshot of one server that the options describe."""

    def __init__(self, api: SnapshotApi, options: SnapshotOptions, check_mode: bool = False, clock: Clock = SYSTEM_CLOCK) -> None:
        self.api = api
        self.options = options
        self.check_mode = check_mode
        self.clock = clock
        self.lock = LockReport()
        self.state = TaskState()
        self.server: dict = {}
        self._series_read: list = []  # the series as rotation read it, for the diff
        self._series_listing: list | None = None  # the series read once this run's snapshot was made (rotation's read)
        self._power_note = ""  # a server an interrupted run left off, powered on: the start of the msg
        self._no_backup_note = ""  # from_backup: why no backup was converted, when a snapshot is created instead

    def run(self) -> dict:
        """Run the task; returns the result, raises ``TaskFailed`` (with the result so far)."""
        try:
            with doing(f"looking up server {self.options.server}"):
                self.clock.checkpoint()  # a fleet's task not begun when the run was cancelled does not begin
                self.server = self.api.server(self.options.server)
            if not self._recover_power():
                return self._finish([])
            return self.present() if self.options.state == "present" else self.absent()
        except Exception as exc:
            failed = TaskFailed.of(exc)
            failed.partial = {key: value for key, value in dict(self._result(), **failed.partial).items() if key != "msg"}
            failed.partial["outcome"] = "failed"
            if failed is exc:
                raise
            raise failed from exc

    @property
    def _name(self) -> str:
        return self.server["name"]

    def _listing(self) -> list[dict]:
        with doing(f"listing the snapshots of server {self._name}"):
            since = listing_window(self.options, self.server, self.clock.now())
            images = self.api.snapshots(label_selector(self.options.labels), since)
        return [image for image in images if is_live_snapshot_of(image, self.server["id"])]

    def _deadline(self, seconds: float | None) -> Deadline:
        return Deadline(seconds, clock=self.clock)

    def _recover_power(self) -> bool:
        """Power on the server if an interrupted run of this collection left it off (``_power_record``); False: skip."""
        recovery = recover_power(self.api, self.server, self.options, self.lock, self.clock, self.check_mode)
        self.server = recovery.server
        self.state.power = recovery.report
        # Powering on a server an interrupted run left off is a change (check mode: it would be), whatever the snapshot.
        self.state.changed = self.state.changed or (recovery.report is not None and recovery.report.recovered and recovery.skipped_for is None)
        self.state.warnings.extend(recovery.warnings)
        self._power_note = recovery.note
        if recovery.skipped_for is not None:
            self._skip(recovery.skipped_for, recovery.skip_msg)
            return False
        return True

    # state=present ----------------------------------------------------------------------------------------

    def present(self) -> dict:
        """Make sure a matching snapshot exists (and rotate the series)."""
        before = self._listing()
        plan = plan_present(before, self.options, self.server, self.clock.now())
        if plan.step == UNCHANGED:
            self._found(plan.match, "exists")
        elif plan.step == ADOPT:
            self._adopt(plan.match)
        elif self.options.from_backup and self._from_backup():
            pass  # converted, or skipped for want of a backup
        elif self.check_mode:
            self._predict_create()
        else:
            self._create_consistently()
        self.state.msg += self._no_backup_note
        if self.options.retention and self._rotation_subject() is not None:
            self._rotate(self.options.retention)
        return self._finish(before)

    def _found(self, image: Any, how: str) -> None:
        self.state.snapshot = image
        self.state.msg = f"snapshot {image['id']} ({brief(image['description'])}) of server {self._name} {how}"

    def _adopt(self, image: Any) -> None:
        self.state.outcome, self.state.adopted, self.state.snapshot = "adopted", True, image
        self.state.msg = f"adopted snapshot {image['id']} ({brief(image['description'])}) of server {self._name}, which is being created"
        if self.options.wait and not self.check_mode:
            with doing(f"waiting for snapshot {image['id']} of server {self._name}"):
                self.state.snapshot = wait_for_snapshot(self.api, image, self._deadline(self.options.wait_timeout), sleep=self.clock.sleep)[0]

    def _from_backup(self) -> bool:
        """Convert the server's newest fitting backup (``_from_backup``); True when done or skipped for want of one."""
        conversion = BackupConversion(self.api, self.server, self.options, self.clock.now(), self.check_mode).run()
        if conversion.image is None and self.options.on_no_backup == "skip":
            self._skip([], f"skipped server {self._name}: {conversion.missing}")
        elif conversion.image is None:
            self._no_backup_note = f"; no backup to convert: {conversion.missing}"
            return False
        else:
            self.state.changed, self.state.outcome, self.state.snapshot, self.state.msg = True, "converted", conversion.image, conversion.msg
            if self.options.protect and not self.check_mode:
                self._protect(conversion.image)
        return True

    def _skip(self, actions: list, msg: str = "") -> None:
        self.state.outcome, self.state.skipped = "skipped", True
        self.state.msg = msg or f"skipped server {self._name}: it is locked by {describe_actions(actions)}"

    def _predict_create(self) -> None:
        with doing(f"checking the running actions of server {self._name}"):
            running = self.api.running_actions(self.server["id"])
        self.lock.record(running)
        if running and self.options.on_locked == "skip":
            self._skip(running)
            return
        if running and self.options.on_locked == "fail":
            raise TaskFailed(locked_message(self._name, running))
        cycle = self.options.shutdown and self.server["status"] == "running"
        steps = [f"wait for {describe_actions(running)} on {self._name} (at most {self.options.lock_timeout} s)"] if running else []
        steps += [f"shut {self._name} down"] if cycle else []
        steps.append(f"create snapshot {brief(repr(new_description(self.options, self.server, self.clock.now())))} of server {self._name}")
        steps += [f"power {self._name} on again"] if cycle else []
        self.state.changed, self.state.outcome, self.state.msg = True, "created", "would " + ", then ".join(steps)
        self.state.predicted = predicted_snapshot(self.options, self.server, self.clock.now())

    # creating ---------------------------------------------------------------------------------------------

    def _create_consistently(self) -> None:
        if not self.options.shutdown:
            sent = self._create()
        else:
            cycle = PowerCycle(self.api, self.server, self.options, self.lock, self.clock, self.state.power)
            self.state.power = cycle.report
            try:
                with cycle:
                    sent = self._create() if cycle.skipped_for is None else Sent(skipped_for=cycle.skipped_for)
            finally:
                self.state.warnings.extend(cycle.warnings)
        if sent.skipped_for is not None:
            self._skip(sent.skipped_for)
        elif sent.found is not None and sent.found["status"] == "available":
            self._found(sent.found, "was made meanwhile")
        elif sent.found is not None:
            self._adopt(sent.found)

    def _create(self) -> Sent:
        description = new_description(self.options, self.server, self.clock.now())
        protocol = CreateProtocol(self.api, self.server, self.options, self.lock, self.clock)
        contended = False
        while True:
            labels = dict(self.options.labels, **series_labels(self.server["id"]), **{REQUEST_LABEL: uuid.uuid4().hex[:20]})
            sent = protocol.send(description, labels, contended=contended)
            if sent.image is None:
                return sent
            image = sent.image
            self.state.changed, self.state.outcome, self.state.snapshot, self.state.action = True, "created", image, sent.action
            self.state.msg = f"created snapshot {image['id']} ({brief(description)}) of server {self._name}"
            if not self.options.wait:
                return sent
            try:
                with doing(f"waiting for snapshot {image['id']} of server {self._name}"):
                    image, action = wait_for_snapshot(
                        self.api, image, self._deadline(self.options.wait_timeout), action=sent.action, sleep=self.clock.sleep, look=self._look_in_series
                    )
                break
            except ActionFailed as exc:
                if (exc.failure or {}).get("code") != "locked":
                    raise
                # Accepted, then refused as locked: nothing was made. A lock like any other, then look before sending again.
                self.state.changed, self.state.outcome, self.state.snapshot, self.state.action = False, "unchanged", None, None
                retry = protocol.after_locked_action(exc.action)
                if retry is not None:
                    return retry
                contended = True
        self.state.snapshot, self.state.action = image, action or self.state.action
        if self.options.protect:
            self._protect(image)  # an image being created is locked: protection is switched on once it is available
        return sent

    def _protect(self, image: dict) -> None:
        with doing(f"protecting snapshot {image['id']} of server {self._name}"):
            wait_for_action(self.api, self.api.protect_image(image["id"]), self._deadline(ACTION_PATIENCE), sleep=self.clock.sleep)
            self.state.snapshot = self.api.image(image["id"]) or image

    # rotation and deletion --------------------------------------------------------------------------------

    def _look_in_series(self, image_id: int) -> dict | None:
        """The new snapshot as rotation's series read shows it, read now that its action ended (None: not rotating).

        Rotation reads the series anyway, after the snapshot is made: read it here, once, and the snapshot's status
        and size come with it (shared with the servers asking at once) instead of a ``GET /images/{id}`` each.
        """
        if not self.options.retention:
            return None
        with doing(f"listing the snapshot series of server {self._name} for rotation"):
            self._series_listing = read_series(self.api, self.server["id"], self.options.labels, self.check_mode)
        return next((image for image in self._series_listing if image["id"] == image_id), None)

    def _rotation_subject(self) -> dict | None:
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
        if self.check_mode and self.state.adopted and snapshot.get("status") == "creating":
            return dict(snapshot, status="available")
        return None

    def _rotate(self, rules: dict) -> None:
        """Delete what the rules do not keep of the series, the new snapshot (or check mode's prediction) kept first.

        The result says what happened: a deletion that failed (and those not tried after it) are reported kept.
        """
        listing = self._series_listing
        if listing is None:
            with doing(f"listing the snapshot series of server {self._name} for rotation"):
                listing = read_series(self.api, self.server["id"], self.options.labels, self.check_mode)
        self._series_read = [image for image in listing if is_live_snapshot_of(image, self.server["id"])]
        planned = plan_series(listing, self.server["id"], self.options.labels, rules, self._rotation_subject())
        plan, series, new_id = planned.plan, planned.series, planned.new_id
        by_id = {image["id"]: image for image in series}
        doomed = [by_id[image_id] for image_id in plan["delete"]]
        price, backups = read_price(self.api), read_backup_cost(self.api, self.server)
        predicted_id = new_id if self.state.predicted else None
        stayed: dict = {}
        try:
            self._delete(doomed, stayed)
        finally:
            plan = settle(plan, {image["id"] for image in self.state.deleted}, stayed)
            self.state.retention = retention_view(rules, plan, series, price, predicted_id, backups)
        if plan["delete"]:
            verb = "would delete" if self.check_mode else "deleted"
            ids = ", ".join(str(image_id) for image_id in plan["delete"])
            why = f"to keep {self.options.keep}" if self.options.keep else f"by the retention rules ({describe_rules(rules)})"
            self.state.msg += f"; {verb} {len(plan['delete'])} older snapshot(s) of the series ({ids}) {why}"

    def _delete(self, images: list, stayed: dict | None = None) -> None:
        """Delete ``images`` in order; ``stayed`` gets the reason of each one that stays (a failure stops the loop)."""
        stayed = {} if stayed is None else stayed
        for image in images:
            if self.check_mode or self._delete_one(image, stayed):
                self.state.changed = True
                self.state.deleted.append(image)

    def _delete_one(self, image: dict, stayed: dict) -> bool:
        """``DELETE`` one snapshot: False when it stays (protected since it was listed); raises on a failure."""
        with doing(f"deleting snapshot {image['id']} ({brief(image['description'])}) of server {self._name}"):
            try:
                self.api.delete_image(image["id"])
            except Exception as exc:
                code = error_code(exc)
                if code == "protected":  # protected by someone since it was listed: it stays
                    self.state.warnings.append(f"snapshot {image['id']} was protected meanwhile and was kept")
                    stayed[image["id"]] = PROTECTED_MEANWHILE
                    return False
                if code != "not_found":  # already gone counts as deleted
                    stayed[image["id"]] = f"kept: the deletion failed ({code or type(exc).__name__})"
                    raise
        return True

    # state=absent -----------------------------------------------------------------------------------------

    def absent(self) -> dict:
        """Delete the matching snapshots this collection created (all matching ones with include_unmanaged)."""
        before = self._listing()
        plan = plan_absent(before, self.options, self.server, self.clock.now())
        if plan.left:
            self.state.warnings.append(f"left {len(plan.left)} matching snapshot(s) not made by this collection: set include_unmanaged=true to delete them")
        if plan.blocked:
            reasons = "; ".join(f"snapshot {image['id']} ({brief(image['description'])}, {blocked_reason(image)})" for image in plan.blocked)
            raise TaskFailed(f"cannot delete {reasons}: nothing was deleted")
        self._delete(plan.delete)
        if plan.delete:
            self.state.outcome = "deleted"
        verb = "would delete" if self.check_mode else "deleted"
        self.state.msg = f"{verb} {len(plan.delete)} snapshot(s) of server {self._name}" if plan.delete else f"no matching snapshot of server {self._name}"
        return self._finish(before)

    # result -----------------------------------------------------------------------------------------------

    def _result(self) -> dict:
        return task_view(self.state, self.lock.as_result())

    def _finish(self, before: list) -> dict:
        if self._power_note:
            self.state.msg = f"{self._power_note}; {self.state.msg}" if self.state.msg else self._power_note
        # The series was read after this run's snapshot was made: that one was not there before.
        made = (self.state.snapshot or {}).get("id") if self.state.outcome in ("created", "converted") else None
        listed = {image["id"] for image in before} | {made}
        before = newest_first([*before, *(image for image in self._series_read if image["id"] not in listed)])[::-1]
        gone = {image["id"] for image in self.state.deleted}
        after = [image for image in before if image["id"] not in gone]
        snapshot = self.state.snapshot
        if snapshot and snapshot["id"] not in {image["id"] for image in after}:
            after.append(snapshot)
        elif self.state.predicted:
            after.append({"id": "(new)", "description": self.state.predicted["description"], "status": "available"})
        return dict(self._result(), diff=diff_view(before, after))
