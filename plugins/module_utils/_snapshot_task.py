# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot task: what ``lockaware.hcloud.snapshot`` does for one server."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
import time
import traceback
import uuid
from dataclasses import dataclass, field

from ansible_collections.lockaware.hcloud.plugins.module_utils._actions import (
    ActionFailed,
    SnapshotVanished,
    WaitTimedOut,
    describe_actions,
    poll_backoff,
    wait_for_action,
    wait_for_snapshot,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils._api import READ_PATIENCE, ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils._deadline import Backoff, Deadline, sleep_until_next
from ansible_collections.lockaware.hcloud.plugins.module_utils._failure import describe_failure
from ansible_collections.lockaware.hcloud.plugins.module_utils._locks import LockReport, LockTimedOut, wait_until_unlocked
from ansible_collections.lockaware.hcloud.plugins.module_utils._matching import (
    MANAGED_LABEL,
    MANAGED_VALUE,
    REQUEST_LABEL,
    SnapshotIdentity,
    find_matches,
    is_live_snapshot_of,
    is_managed,
    label_selector,
    newest_first,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils._retry import error_code, is_rate_limited, outcome_unknown
from ansible_collections.lockaware.hcloud.plugins.module_utils._rotation import choose_deletions
from ansible_collections.lockaware.hcloud.plugins.module_utils._validation import InvalidOption, check_labels, check_non_negative, parse_duration

SNAPSHOT_KEYS = ("id", "description", "type", "status", "labels", "created", "image_size", "disk_size", "created_from", "protection")
ACTION_KEYS = ("id", "command", "status", "progress", "started", "finished")
MAX_UNKNOWN_OUTCOMES = 4


class TaskFailed(Exception):
    """The task failed; carries the message first, then the structured failure and the partial result."""

    def __init__(self, msg, exc=None, **result):
        super().__init__(msg)
        self.msg = msg
        self.partial = result
        self.failure = getattr(exc, "failure", None) or (describe_failure(exc) if exc is not None else None)
        self.trace = traceback.format_exc() if exc is not None else None

    def result(self):
        """Keyword arguments for ``fail_json``."""
        result = dict(self.partial, msg=self.msg)
        if self.failure:
            result["failure"] = self.failure
        if self.trace:
            result["exception"] = self.trace
        return result


class _FoundMeanwhile(Exception):
    """While we waited, another client created the snapshot we were about to create."""

    def __init__(self, image):
        super().__init__("found meanwhile")
        self.image = image


class _Skipped(Exception):
    """The server is locked and ``on_locked=skip``."""

    def __init__(self, actions):
        super().__init__("skipped")
        self.actions = actions


@dataclass(frozen=True)
class SnapshotOptions:
    """The module's options, checked."""

    server: str
    state: str = "present"
    description: str | None = None
    labels: dict = field(default_factory=dict)
    max_age: float | None = None
    force: bool = False
    on_locked: str = "wait"
    lock_timeout: int = 600
    wait: bool = True
    wait_timeout: int = 3600
    keep: int | None = None
    protect: bool = False
    shutdown: bool = False
    shutdown_timeout: int = 300
    force_poweroff: bool = False
    include_unmanaged: bool = False

    @classmethod
    def from_params(cls, params):
        """Check the module's parameters; raises ``InvalidOption`` saying what is wrong and what to do."""
        check_non_negative(params, ("lock_timeout", "wait_timeout", "shutdown_timeout"))
        if not str(params["server"]).strip():
            raise InvalidOption("server must be the name or ID of a server")
        if params.get("description") is not None and not params["description"].strip():
            raise InvalidOption("description must not be empty: leave it out for the default <server>-<date>")
        keep = params.get("keep")
        if keep is not None and keep < 1:
            raise InvalidOption(f"keep must be 1 or more (the new snapshot counts), got {keep}; leave keep out to delete nothing")
        if keep is not None and not params.get("wait", True):
            raise InvalidOption("keep needs wait=true: rotation only deletes old snapshots once the new one is available")
        if params.get("protect") and not params.get("wait", True):
            raise InvalidOption("protect needs wait=true: a snapshot can only be protected once it is available")
        if params.get("shutdown") and not params.get("wait", True):
            raise InvalidOption("shutdown needs wait=true: the server is powered on again only after the snapshot is done")
        if params.get("force") and params.get("max_age") is not None:
            raise InvalidOption("force and max_age contradict each other: force creates a snapshot every run, max_age only when none is recent")
        if params.get("state") == "absent":
            for name in ("force", "keep", "protect", "shutdown"):
                if params.get(name):
                    raise InvalidOption(f"{name} only applies to state=present")
        max_age = None if params.get("max_age") is None else parse_duration(params["max_age"], "max_age")
        known = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        return cls(**dict(known, labels=check_labels(params.get("labels")), max_age=max_age))


def snapshot_view(image):
    """The ``snapshot`` shape of the module's result."""
    return {key: image.get(key) for key in SNAPSHOT_KEYS}


def action_view(action):
    """The ``action`` shape of the module's result."""
    return {key: action.get(key) for key in ACTION_KEYS}


def diff_line(image):
    """One snapshot in the diff."""
    protected = ", protected" if (image.get("protection") or {}).get("delete") else ""
    return f"{image['id']}: {image.get('description')} ({image.get('status')}{protected})"


def utc_now():
    """Now, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


class SnapshotTask:
    """Create (or delete) the snapshot of one server that the options describe."""

    def __init__(self, api, options, check_mode=False, now=utc_now, sleep=time.sleep, clock=time.monotonic):
        self.api = api
        self.options = options
        self.check_mode = check_mode
        self._now = now
        self._sleep = sleep
        self._clock = clock
        self.lock = LockReport()
        self.result = {"changed": False, "outcome": "unchanged", "adopted": False, "skipped": False, "deleted": []}
        self.server = None
        self._step = f"looking up server {options.server}"

    def _deadline(self, seconds):
        """A deadline on the task's clock."""
        return Deadline(seconds, clock=self._clock)

    # entry point ------------------------------------------------------------------------------------------

    def run(self):
        """Run the task; returns the result, raises ``TaskFailed``."""
        try:
            self.server = self.api.server(self.options.server)
            result = self.present() if self.options.state == "present" else self.absent()
        except TaskFailed as failed:
            failed.partial = {key: value for key, value in dict(self._result_so_far(), **failed.partial).items() if key != "msg"}
            failed.partial["outcome"] = "failed"
            raise
        except ServerNotFound as exc:
            raise self._failed(f"server {self.options.server} not found: check the name or ID (hcloud server list)", exc) from exc
        except LockTimedOut as exc:
            raise self._failed(str(exc), exc) from exc
        except (ActionFailed, WaitTimedOut, SnapshotVanished) as exc:
            raise self._failed(f"{self._step}: {exc}", exc) from exc
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise self._failed(self._api_failure_message(exc), exc) from exc
        return result

    def _failed(self, msg, exc):
        failed = TaskFailed(msg, exc)
        failed.partial = {key: value for key, value in self._result_so_far().items() if key != "msg"}
        failed.partial["outcome"] = "failed"
        return failed

    def _result_so_far(self):
        return dict(self.result, lock=self.lock.as_result())

    def _api_failure_message(self, exc):
        failure = describe_failure(exc)
        if failure is None:
            return f"{self._step}: {type(exc).__name__}: {exc}"
        hint = {
            "unauthorized": " (check api_token or HCLOUD_TOKEN)",
            "forbidden": " (the token needs read and write permission)",
            "resource_limit_exceeded": " (the project's snapshot quota is reached: delete old snapshots or raise the limit; nothing was deleted)",
        }.get(failure["code"], "")
        return f"{self._step}: {failure['message']} ({failure['code']}){hint}"

    # state=present ----------------------------------------------------------------------------------------

    def present(self):
        """Make sure a matching snapshot exists (and rotate the series)."""
        identity = self._identity()
        before = self._server_snapshots()
        match = None if self.options.force else next(iter(find_matches(before, identity, self._now())), None)
        if match is not None and match["status"] == "available":
            self.result.update(snapshot=snapshot_view(match), msg=f"snapshot {match['id']} ({match['description']}) of server {self._name} exists")
        elif match is not None:
            self._adopt(match)
        elif self.check_mode:
            self._predict_create()
        else:
            try:
                self._create_consistently()
            except _Skipped as skipped:
                self._skip(skipped.actions)
            except _FoundMeanwhile as found:
                self._found_meanwhile(found.image)
        if self.options.keep and (self.result.get("snapshot", {}).get("status") == "available" or self.result.get("would_create")):
            self._rotate()
        return self._finish(before)

    def _identity(self):
        description = None if self.options.max_age else self._new_description()
        return SnapshotIdentity(self.server["id"], description, self.options.labels, self.options.max_age)

    def _new_description(self):
        """The description of a snapshot this task creates: the option, else ``<server>-<UTC date>``."""
        return self.options.description or f"{self._name}-{self._now():%Y-%m-%d}"

    @property
    def _name(self):
        return self.server["name"]

    def _server_snapshots(self, fresh=False):
        self._step = f"listing the snapshots of server {self._name}"
        images = self.api.snapshots(label_selector(self.options.labels), fresh=fresh)
        return [image for image in images if is_live_snapshot_of(image, self.server["id"])]

    def _adopt(self, image):
        self.result.update(outcome="adopted", adopted=True, snapshot=snapshot_view(image))
        self.result["msg"] = f"adopted snapshot {image['id']} ({image['description']}) of server {self._name}, which is being created"
        if self.options.wait and not self.check_mode:
            self._step = f"waiting for snapshot {image['id']} of server {self._name}"
            image = wait_for_snapshot(self.api, image, self._deadline(self.options.wait_timeout), sleep=self._sleep)[0]
            self.result["snapshot"] = snapshot_view(image)

    def _found_meanwhile(self, image):
        if image["status"] == "available":
            self.result.update(snapshot=snapshot_view(image), msg=f"snapshot {image['id']} ({image['description']}) of server {self._name} was made meanwhile")
        else:
            self._adopt(image)

    def _skip(self, actions):
        self.result.update(outcome="skipped", skipped=True, msg=f"skipped server {self._name}: it is locked by {describe_actions(actions)}")

    def _predict_create(self):
        running = self.api.running_actions(self.server["id"])
        self.lock.record(running)
        if running and self.options.on_locked == "skip":
            self._skip(running)
            return
        if running and self.options.on_locked == "fail":
            raise TaskFailed(self._locked_message(running))
        steps = []
        if running:
            steps.append(f"wait for {describe_actions(running)} on {self._name} (at most {self.options.lock_timeout} s)")
        if self.options.shutdown and self.server["status"] == "running":
            steps.append(f"shut {self._name} down")
        description = self._new_description()
        steps.append(f"create snapshot {description!r} of server {self._name}")
        if self.options.shutdown and self.server["status"] == "running":
            steps.append(f"power {self._name} on again")
        self.result.update(changed=True, outcome="created", msg="would " + ", then ".join(steps))
        self.result["would_create"] = {"description": description, "labels": dict(self.options.labels)}

    def _locked_message(self, actions):
        return f"server {self._name} is locked by {describe_actions(actions)}; use on_locked=wait to wait for it, or on_locked=skip"

    # creating ---------------------------------------------------------------------------------------------

    def _create_consistently(self):
        if not self.options.shutdown:
            self._create()
            return
        self._power_down()
        try:
            self._create()
        finally:
            step = self._step  # a failure of the snapshot is reported as such, not as the power-on after it
            self._power_up()
            self._step = step

    def _create(self):
        description = self._new_description()
        labels = dict(self.options.labels, **{MANAGED_LABEL: MANAGED_VALUE, REQUEST_LABEL: uuid.uuid4().hex[:20]})
        action, image = self._post_create_image(description, labels)
        self.result.update(changed=True, outcome="created", snapshot=snapshot_view(image))
        self.result["msg"] = f"created snapshot {image['id']} ({description}) of server {self._name}"
        if action is not None:
            self.result["action"] = action_view(action)
        if self.options.wait:
            self._step = f"waiting for snapshot {image['id']} of server {self._name}"
            image, action = wait_for_snapshot(self.api, image, self._deadline(self.options.wait_timeout), action=action, sleep=self._sleep)
            self.result["snapshot"] = snapshot_view(image)
            if action is not None:
                self.result["action"] = action_view(action)
        if self.options.protect:
            # An image being created is locked: protection is switched on once it is available.
            self._step = f"protecting snapshot {image['id']} of server {self._name}"
            wait_for_action(self.api, self.api.protect_image(image["id"]), self._deadline(READ_PATIENCE), sleep=self._sleep)
            self.result["snapshot"] = snapshot_view(self.api.image(image["id"]) or image)

    def _post_create_image(self, description, labels):
        """Send create_image until it is accepted; a request of unknown outcome is looked for before it is sent again."""
        lock_deadline = self._deadline(self.options.lock_timeout)
        retry_deadline = self._deadline(max(self.options.lock_timeout, READ_PATIENCE))
        backoff = Backoff(initial=1.0, factor=2.0, cap=10.0)
        unknown_outcomes = 0
        contended = False
        while True:
            contended = self._pass_lock(lock_deadline) or contended
            if contended and not self.options.force:
                # The server was busy, maybe with another run making this very snapshot: look again first.
                match = next(iter(find_matches(self._server_snapshots(fresh=True), self._identity(), self._now())), None)
                if match is not None:
                    raise _FoundMeanwhile(match)
            self._step = f"creating a snapshot of server {self._name}"
            try:
                return self.api.create_snapshot(self.server["id"], description, labels)
            except Exception as exc:
                code = error_code(exc)
                if code != "locked" and not outcome_unknown(exc) and not is_rate_limited(exc):
                    raise
                step = self._step
                found = self._find_request(labels[REQUEST_LABEL]) if code == "locked" or outcome_unknown(exc) else None
                if found is not None:
                    return None, found
                self._step = step
                # Time has passed since the last look: another client may have made this snapshot meanwhile.
                contended = True
                unknown_outcomes += outcome_unknown(exc)
                at_least = self.api.rate_limit.seconds_until_next_request() if is_rate_limited(exc) else 0.0
                deadline = lock_deadline if code == "locked" else retry_deadline
                if unknown_outcomes > MAX_UNKNOWN_OUTCOMES or not sleep_until_next(backoff, deadline, self._sleep, at_least=at_least):
                    raise

    def _find_request(self, request_id):
        """The snapshot our own earlier request created, if it was applied after all."""
        self._step = f"checking whether the snapshot request for server {self._name} was applied"
        for attempt in range(2):
            images = self.api.snapshots(label_selector({REQUEST_LABEL: request_id}), fresh=True)
            live = [image for image in images if is_live_snapshot_of(image, self.server["id"])]
            if live:
                self.result["recovered_request"] = True
                return newest_first(live)[0]
            if attempt == 0:
                self._sleep(1.0)
        return None

    def _pass_lock(self, deadline, on_locked=None):
        """Return once the server runs no action; wait, skip or fail as ``on_locked`` (default: the option) says.

        Returns whether the server was locked at first.
        """
        on_locked = on_locked or self.options.on_locked
        self._step = f"checking the running actions of server {self._name}"
        running = self.api.running_actions(self.server["id"])
        self.lock.record(running)
        if not running:
            return False
        if on_locked == "skip":
            raise _Skipped(running)
        if on_locked == "fail":
            raise TaskFailed(self._locked_message(running))
        self._step = f"waiting for server {self._name} to be unlocked"
        wait_until_unlocked(lambda: self.api.running_actions(self.server["id"]), self._name, deadline, self.lock, sleep=self._sleep, actions=running)
        return True

    # power (shutdown=true) --------------------------------------------------------------------------------

    def _power_down(self):
        power = {"initial_status": self.server["status"], "shut_down": False, "powered_off": False, "powered_on": False}
        self.result["power"] = power
        if self.server["status"] == "off":
            return
        deadline = self._deadline(self.options.shutdown_timeout)
        self._pass_lock(self._deadline(self.options.lock_timeout))
        self._step = f"shutting server {self._name} down"
        self._run_power_action("shutdown", deadline)
        power["shut_down"] = True
        if self._wait_for_status("off", deadline):
            return
        if not self.options.force_poweroff:
            raise TaskFailed(
                f"server {self._name} did not shut down within {self.options.shutdown_timeout} s (shutdown_timeout); "
                "raise shutdown_timeout or set force_poweroff=true; no snapshot was created"
            )
        self._step = f"powering server {self._name} off"
        self._run_power_action("poweroff", self._deadline(READ_PATIENCE))
        power["powered_off"] = True

    def _power_up(self):
        power = self.result["power"]
        if power["initial_status"] != "running":
            return
        if self.api.current_server(self.server["id"])["status"] == "running":
            return
        # Whatever on_locked says, a server we shut down is powered on again: wait for the snapshot action to end.
        self._pass_lock(self._deadline(max(self.options.lock_timeout, self.options.wait_timeout)), on_locked="wait")
        self._step = f"powering server {self._name} on again"
        self._run_power_action("poweron", self._deadline(READ_PATIENCE))
        power["powered_on"] = True

    def _run_power_action(self, command, deadline):
        wait_for_action(self.api, self.api.server_action(self.server["id"], command), deadline, sleep=self._sleep)

    def _wait_for_status(self, status, deadline):
        backoff = poll_backoff()
        while self.api.current_server(self.server["id"])["status"] != status:
            if not sleep_until_next(backoff, deadline, self._sleep):
                return False
        return True

    # rotation ---------------------------------------------------------------------------------------------

    def _rotate(self):
        self._step = f"listing the snapshot series of server {self._name} for rotation"
        series = self.api.snapshots(label_selector(dict(self.options.labels, **{MANAGED_LABEL: MANAGED_VALUE})))
        if self.result.get("would_create"):
            series.append(self._predicted_snapshot())
        elif self.result.get("snapshot"):
            # A listing shared by a fleet run may predate our snapshot, or show it still being created.
            current = self.result["snapshot"]
            series = [image for image in series if image["id"] != current["id"]] + [current]
        doomed = choose_deletions(series, self.server["id"], self.options.labels, self.options.keep)
        self._delete(doomed)
        if doomed:
            verb = "would delete" if self.check_mode else "deleted"
            ids = ", ".join(str(image["id"]) for image in doomed)
            self.result["msg"] = f"{self.result.get('msg', '')}; {verb} {len(doomed)} older snapshot(s) of the series ({ids}) to keep {self.options.keep}"

    def _predicted_snapshot(self):
        """The snapshot a real run would create, for check mode's rotation prediction."""
        return {
            "id": 0,
            "type": "snapshot",
            "status": "available",
            "created": self._now().isoformat(),
            "created_from": {"id": self.server["id"], "name": self._name},
            "labels": dict(self.options.labels, **{MANAGED_LABEL: MANAGED_VALUE}),
            "protection": {"delete": False},
        }

    def _delete(self, images):
        for image in images:
            self.result["changed"] = True
            if not self.check_mode:
                self._step = f"deleting snapshot {image['id']} ({image['description']}) of server {self._name}"
                try:
                    self.api.delete_image(image["id"])
                except Exception as exc:
                    if error_code(exc) == "protected":  # protected by someone since it was listed: it stays
                        self.result.setdefault("warnings", []).append(f"snapshot {image['id']} was protected meanwhile and was kept")
                        continue
                    if error_code(exc) != "not_found":
                        raise
            self.result["deleted"].append(snapshot_view(image))

    # state=absent -----------------------------------------------------------------------------------------

    def absent(self):
        """Delete the matching snapshots this collection created (all matching ones with include_unmanaged)."""
        before = self._server_snapshots()
        matches = find_matches(before, self._identity(), self._now())
        doomed = [image for image in matches if self.options.include_unmanaged or is_managed(image)]
        left = [image for image in matches if image not in doomed]
        if left:
            self.result["warnings"] = [f"left {len(left)} matching snapshot(s) not made by this collection: set include_unmanaged=true to delete them"]
        blocked = [image for image in doomed if image["status"] != "available" or (image.get("protection") or {}).get("delete")]
        if blocked:
            raise TaskFailed(
                "cannot delete "
                + "; ".join(f"snapshot {image['id']} ({image['description']}, {self._blocked_reason(image)})" for image in blocked)
                + ": nothing was deleted"
            )
        self._delete(doomed)
        if doomed:
            self.result["outcome"] = "deleted"
        verb = "would delete" if self.check_mode else "deleted"
        self.result["msg"] = f"{verb} {len(doomed)} snapshot(s) of server {self._name}" if doomed else f"no matching snapshot of server {self._name}"
        return self._finish(before)

    @staticmethod
    def _blocked_reason(image):
        if image["status"] != "available":
            return f"still {image['status']}: run again once it is available"
        return "protected: remove its delete protection first"

    # result -----------------------------------------------------------------------------------------------

    def _finish(self, before):
        gone = {image["id"] for image in self.result["deleted"]}
        after = [image for image in before if image["id"] not in gone]
        snapshot = self.result.get("snapshot")
        if snapshot and snapshot["id"] not in {image["id"] for image in after}:
            after.append(snapshot)
        elif self.result.get("would_create"):
            after.append({"id": "(new)", "description": self.result["would_create"]["description"], "status": "available"})
        result = self._result_so_far()
        result["diff"] = {
            "before": {"snapshots": [diff_line(image) for image in before]},
            "after": {"snapshots": [diff_line(image) for image in after]},
        }
        return result
