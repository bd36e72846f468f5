# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback task: what ``lockaware.hcloud.rollback`` does for one server. Choose, check, restore, report.

The image is chosen and checked (``_restore_choice``) before anything is written. The server's actions say whether
it is already being or has been restored from that image (``_rebuild.recognise``): then the task waits for that
restore, or does nothing. Otherwise check mode says what a real run would do and lose; a real run sends one rebuild
(``_rebuild.RebuildProtocol``), waits for it, and brings the server to its power state (``_restore_power``).
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import label_selector, parse_time
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._rebuild import (
    RESTORED,
    RESTORING,
    RebuildHistory,
    RebuildProtocol,
    read_history,
    recognise,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_choice import (
    RestoreRefused,
    check_restorable,
    describe_image,
    pick_newest_available,
    series_candidates,
    what_is_lost,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_options import RollbackOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_power import RUNNING, settle_power, target_state
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_view import restore_diff, restore_view
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed, TaskFailed, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import describe_actions, wait_for_action
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport, locked_message
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK, Clock, Deadline


@dataclass
class RestoreState:
    """What the task has done so far; the result is made from it (``_restore_view``)."""

    outcome: str = "unchanged"
    changed: bool = False
    msg: str = ""
    server: dict = field(default_factory=dict)  # as read first
    after: dict | None = None  # the server as read last
    image: dict | None = None
    action: dict | None = None
    recovered: bool = False
    lost: dict | None = None
    target: str | None = None
    seconds: float = 0.0


class RestoreTask:
    """Restore one server from one of its snapshots, as the options say."""

    def __init__(self, api: Any, options: RollbackOptions, check_mode: bool = False, clock: Clock = SYSTEM_CLOCK) -> None:
        self.api = api
        self.options = options
        self.check_mode = check_mode
        self.clock = clock
        self.lock = LockReport()
        self.state = RestoreState()
        self._mark = 0  # the newest action of the server when the task began

    @property
    def _name(self) -> str:
        return self.state.server.get("name") or self.options.server

    def run(self) -> dict:
        """Run the task; returns the result, raises ``TaskFailed`` (with the result so far)."""
        started = self.clock()
        try:
            self._run()
        except Exception as exc:
            self.state.seconds = self.clock() - started
            failed = TaskFailed.of(exc)
            failed.partial = {key: value for key, value in dict(self._result(), **failed.partial).items() if key != "msg"}
            failed.partial["outcome"] = "failed"
            if failed is exc:
                raise
            raise failed from exc
        self.state.seconds = self.clock() - started
        if self.state.outcome in ("restored", "adopted") and not self.check_mode:
            self.state.msg += f", after {self.state.seconds:.0f} s"
        return dict(self._result(), diff=restore_diff(self.state))

    def _run(self) -> None:
        with doing(f"looking up server {self.options.server}"):
            self.clock.checkpoint()
            server = self.state.server = self.api.server(self.options.server)
        image = self.state.image = self._choose(server)
        check_restorable(image, server, self.options.allow_foreign_image)
        self.state.lost = what_is_lost(image, server, self.clock.now())
        self.state.target = target_state(self.options.power_state, server["status"])
        history = self._history(server)
        self._mark = history.mark
        seen = recognise(server, image, history, self.options.change_began)
        if seen == RESTORING:
            self._adopt(history.rebuild or {})
        elif seen == RESTORED and not self.options.force:
            self._unchanged(history.rebuild or {})
        elif self.check_mode:
            self._predict()
        else:
            self._restore()

    def _choose(self, server: dict) -> dict:
        if not self.options.by_series:
            with doing(f"reading snapshot {self.options.snapshot_id}"):
                image = self.api.image(self.options.snapshot_id)
            if image is None:
                raise RestoreRefused(
                    f"snapshot {self.options.snapshot_id} not found: check snapshot_id (lockaware.hcloud.snapshot_info lists them); nothing was changed"
                )
            return image
        with doing(f"listing the snapshots of server {server['name']}"):
            images = self.api.snapshots(label_selector(self.options.labels))
        candidates = series_candidates(images, server, self.options.labels, self.options.description, self.options.allow_foreign_image)
        return pick_newest_available(candidates, server, self.options.series_wording())

    def _history(self, server: dict) -> RebuildHistory:
        with doing(f"reading the actions of server {server['name']}"):
            return read_history(self.api, server["id"], None if self.state.image is None else parse_time(self.state.image["created"]))

    def _deadline(self) -> Deadline:
        return Deadline(self.options.wait_timeout, clock=self.clock)

    def _unchanged(self, rebuild: dict) -> None:
        self.state.after = self.state.server
        self.state.msg = (
            f"server {self._name} was already restored from {describe_image(self.state.image or {})} by action {rebuild['id']} (finished "
            f"{rebuild.get('finished')}): nothing was done; set force=true to restore it again, losing what was written since"
        )

    def _predict(self) -> None:
        with doing(f"checking the running actions of server {self._name}"):
            running = self.api.running_actions(self.state.server["id"])
        self.lock.record(running)
        if running and self.options.on_locked == "skip":
            self._skip(running)
            return
        if running and self.options.on_locked == "fail":
            raise TaskFailed(locked_message(self._name, running))
        steps = [f"wait for {describe_actions(running)} (at most {self.options.lock_timeout} s)"] if running else []
        steps.append(f"rebuild server {self._name} from {describe_image(self.state.image or {})}, losing {(self.state.lost or {}).get('text')}")
        steps.append("wait until it runs" if self.state.target == RUNNING else "power it off again, as it was off")
        self.state.changed, self.state.outcome, self.state.msg = True, "restored", "would " + ", then ".join(steps)

    def _skip(self, actions: list) -> None:
        self.state.outcome = "skipped"
        self.state.msg = f"skipped server {self._name}: it is locked by {describe_actions(actions)}; nothing was restored"

    def _made_meanwhile(self, history: RebuildHistory) -> dict | None:
        """After a wait: a rebuild from our image begun since this task began (another run of it) is this restore."""
        if history.rebuild is None or history.rebuild["id"] <= self._mark:
            return None
        with doing(f"reading server {self._name}"):
            current = self.api.current_server(self.state.server["id"])
        return history.rebuild if recognise(current, self.state.image or {}, history) else None

    def _restore(self) -> None:
        image = self.state.image or {}
        protocol = RebuildProtocol(self.api, self.state.server, image, self.options.on_locked, self.options.lock_timeout, self.lock, self.clock)
        sent = protocol.send(self._made_meanwhile)
        if sent.skipped_for is not None:
            self._skip(sent.skipped_for)
            return
        if sent.found is not None:
            self._adopt(sent.found)
            return
        self.state.recovered = sent.recovered
        self._finish_rebuild(sent.action or {}, "restored")

    def _adopt(self, rebuild: dict) -> None:
        """A rebuild from our image is running (an earlier run's, or another run's): wait for it as if ours."""
        if self.check_mode:
            self.state.outcome, self.state.changed = "adopted", True
            self.state.msg = f"server {self._name} is being restored from {describe_image(self.state.image or {})} (action {rebuild['id']}): would wait for it"
            return
        self._finish_rebuild(rebuild, "adopted")

    def _finish_rebuild(self, action: dict, outcome: str) -> None:
        image, deadline = self.state.image or {}, self._deadline()
        self.state.outcome, self.state.changed, self.state.action = outcome, True, action
        with doing(f"waiting for the rebuild of server {self._name} from {describe_image(image)}"):
            self.state.action = wait_for_action(self.api, action, deadline, sleep=self.clock.sleep)
        after = self.state.after = settle_power(self.api, self.state.server, self.state.target or RUNNING, deadline, self.lock, self.clock)
        if ((after.get("image") or {}).get("id")) != image["id"]:
            raise StepFailed(
                f"server {self._name} ended up with image {(after.get('image') or {}).get('id')}, not {image['id']}: another client rebuilt it meanwhile"
            )
        how = "restored" if outcome == "restored" else "waited for the restore of"
        lost = (self.state.lost or {}).get("text")
        self.state.msg = f"{how} server {self._name} from {describe_image(image)}: {lost} is gone; the server is {after['status']}"

    def _result(self) -> dict:
        return restore_view(self.state, self.lock)
