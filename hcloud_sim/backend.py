"""The simulated project: servers, images and actions, and the operations on them.

All state sits behind one re-entrant lock. Time-driven changes are settled lazily from the
clock at the start of every operation (``_settle``): an action whose end has passed is
finished as of its end time, locks scheduled by the fleet start when due, and running
actions' progress rises linearly. Every client therefore sees the same state whether or not
anyone polls. Methods return copies, so callers can render them without holding the lock.
The backend knows nothing about HTTP; it raises ``ApiError`` for refusals.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from . import catalog, errors
from .clock import Clock
from .fleet import Fleet, ImageSpec, LockSpec, ServerSpec, Settings
from .labels import Selector
from .models import Action, Image, Server

T = TypeVar("T")

FIRST_SERVER_ID = 42_001
FIRST_IMAGE_ID = 500_001
FIRST_ACTION_ID = 900_001


@dataclass
class ScheduledLock:
    """A lock from the fleet that starts at ``start_at`` (real UNIX time)."""

    start_at: float
    server_id: int
    spec: LockSpec


@dataclass
class ActionFault:
    """Makes the next ``times`` actions of ``command`` (on ``server_id``, if set) end in error."""

    command: str
    times: int | None
    code: str
    message: str
    server_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API lists it."""
        return {"command": self.command, "times": self.times, "code": self.code, "message": self.message, "server_id": self.server_id}


@dataclass
class StateSnapshot:
    """Copies of everything, for ``GET /_sim/state``."""

    time: float
    servers: list[Server]
    images: list[Image]
    actions: list[Action]
    settings: Settings
    action_faults: list[ActionFault]


def _copies(items: list[T]) -> list[T]:
    return [copy.deepcopy(item) for item in items]


class Backend:
    """The state of one simulated project and its operations."""

    def __init__(self, clock: Clock, fleet: Fleet) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self.reset(fleet)

    # ----------------------------------------------------------------- state lifecycle

    def reset(self, fleet: Fleet) -> None:
        """Replace the whole state by a fresh fleet."""
        with self._lock:
            self.settings = fleet.settings
            self._servers: dict[int, Server] = {}
            self._images: dict[int, Image] = {image.id: self._system_image(image) for image in catalog.SYSTEM_IMAGES}
            self._actions: dict[int, Action] = {}
            self._running: dict[int, Action] = {}
            self._server_locks: dict[int, int] = {}
            self._scheduled: list[ScheduledLock] = []
            self._action_faults: list[ActionFault] = []
            self._server_ids = itertools.count(FIRST_SERVER_ID)
            self._image_ids = itertools.count(FIRST_IMAGE_ID)
            self._action_ids = itertools.count(FIRST_ACTION_ID)
            now = self.clock.now()
            for index, spec in enumerate(fleet.servers):
                self._add_server(spec, index, now)
            self._settle()

    def update_settings(self, settings: Settings) -> None:
        """Change the simulation settings without touching the state."""
        with self._lock:
            self.settings = settings

    def snapshot_state(self) -> StateSnapshot:
        """Copies of every server, image and action."""
        with self._lock:
            self._settle()
            return StateSnapshot(
                time=self.clock.now(),
                servers=_copies(list(self._servers.values())),
                images=_copies(list(self._images.values())),
                actions=_copies(list(self._actions.values())),
                settings=self.settings,
                action_faults=_copies(self._action_faults),
            )

    @property
    def server_count(self) -> int:
        """How many servers exist."""
        with self._lock:
            return len(self._servers)

    def _system_image(self, spec: catalog.SystemImage) -> Image:
        return Image(
            id=spec.id,
            type="system",
            status="available",
            description=spec.description,
            created=spec.created,
            disk_size=5,
            name=spec.name,
            os_flavor=spec.os_flavor,
            os_version=spec.os_version,
            rapid_deploy=True,
            deprecated=spec.deprecated,
        )

    def _add_server(self, spec: ServerSpec, index: int, now: float) -> None:
        system_image = catalog.system_image(spec.image)
        server = Server(
            id=next(self._server_ids),
            name=spec.name,
            status=spec.status,
            created=now - (40 + index % 300) * 86_400 - index * 3_600,
            server_type=spec.server_type,
            location=spec.location,
            primary_disk_size=spec.disk_size,
            labels=dict(spec.labels),
            backup_window=spec.backup_window,
            image=self._images[system_image.id] if system_image else None,
            delete_protected=spec.delete_protected,
            rebuild_protected=spec.rebuild_protected,
        )
        self._servers[server.id] = server
        for snapshot in spec.snapshots:
            image = self._new_image(server, snapshot.type, snapshot.description, snapshot.labels, now - snapshot.age_hours * 3_600)
            image.status = "available"
            image.protected = snapshot.protected
            image.image_size = snapshot.image_size if snapshot.image_size is not None else self._image_size(image)
        start = now
        for lock in spec.locks:
            start += self.clock.real_seconds(lock.delay)
            self._scheduled.append(ScheduledLock(start, server.id, lock))
            start += self.clock.real_seconds(lock.seconds)

    # ----------------------------------------------------------------- settlement

    def _settle(self) -> None:
        """Apply every time-driven change due by now, in time order."""
        now = self.clock.now()
        while True:
            ending = min(self._running.values(), key=lambda action: (action.ends_at, action.id), default=None)
            starting = min(self._scheduled, key=lambda lock: lock.start_at, default=None)
            if ending is not None and ending.ends_at <= now and (starting is None or ending.ends_at <= starting.start_at):
                self._finish(ending, ending.ends_at, ending.fail_with)
            elif starting is not None and starting.start_at <= now:
                self._scheduled.remove(starting)
                self._start_scheduled(starting)
            else:
                break
        for action in self._running.values():
            action.progress = self._progress(action, now)

    def _progress(self, action: Action, at: float) -> int:
        duration = action.ends_at - action.started
        if duration <= 0:
            return 100
        return max(0, min(99, int(100 * (at - action.started) / duration)))

    def _finish(self, action: Action, at: float, failure: dict[str, str] | None) -> None:
        self._running.pop(action.id, None)
        action.finished = at
        image = self._images.get(action.image_id) if action.image_id is not None else None
        server = self._servers.get(action.server_id) if action.server_id is not None else None
        if failure:
            action.status = "error"
            action.error = dict(failure)
            action.progress = self._progress(action, at)
            if image is not None and image.status == "creating":
                del self._images[image.id]
        else:
            action.status = "success"
            action.progress = 100
            if image is not None and image.status == "creating":
                image.status = "available"
                image.image_size = self._image_size(image)
            if server is not None and action.server_status_after:
                server.status = action.server_status_after
        if server is not None and self._server_locks.get(server.id) == action.id:
            del self._server_locks[server.id]
            server.locked = False

    def _start_scheduled(self, scheduled: ScheduledLock) -> None:
        server = self._servers.get(scheduled.server_id)
        if server is None:
            return
        blocking = self._server_locks.get(server.id)
        if blocking is not None:
            self._scheduled.append(ScheduledLock(self._actions[blocking].ends_at, server.id, scheduled.spec))
            return
        self._lock_server(server, scheduled.spec, scheduled.start_at)

    def _image_size(self, image: Image) -> float:
        share = 0.08 + (image.id * 37 % 23) / 100
        return round(image.disk_size * share, 2)

    # ----------------------------------------------------------------- actions (internal)

    def _start_action(
        self,
        server: Server,
        command: str,
        seconds: float,
        start: float | None = None,
        image: Image | None = None,
        status_during: str | None = None,
        status_after: str | None = None,
        fail_with: dict[str, str] | None = None,
        public: bool = True,
    ) -> Action:
        if server.id in self._server_locks:
            raise errors.locked("server")
        started = self.clock.now() if start is None else start
        resources = [{"id": server.id, "type": "server"}] + ([{"id": image.id, "type": "image"}] if image else [])
        action = Action(
            id=next(self._action_ids),
            command=command,
            started=started,
            ends_at=self.clock.after(seconds, started),
            resources=resources,
            fail_with=fail_with or (self._take_action_fault(command, server.id) if public else None),
            server_id=server.id,
            image_id=image.id if image else None,
            server_status_after=status_after,
        )
        self._actions[action.id] = action
        self._running[action.id] = action
        self._server_locks[server.id] = action.id
        server.locked = True
        if status_during:
            server.status = status_during
        return action

    def _instant_action(self, command: str, resources: list[dict[str, Any]]) -> Action:
        now = self.clock.now()
        action = Action(id=next(self._action_ids), command=command, started=now, ends_at=now, resources=resources, status="success", progress=100, finished=now)
        self._actions[action.id] = action
        return action

    def _take_action_fault(self, command: str, server_id: int) -> dict[str, str] | None:
        fault = next((item for item in self._action_faults if item.command == command and item.server_id in (None, server_id)), None)
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._action_faults.remove(fault)
        return {"code": fault.code, "message": fault.message}

    def _new_image(self, server: Server, image_type: str, description: str | None, labels: dict[str, str] | None, created: float) -> Image:
        server_type = catalog.server_type(server.server_type)
        image = Image(
            id=next(self._image_ids),
            type=image_type,
            status="creating",
            description=description if description is not None else self._generated_description(server, created),
            created=created,
            disk_size=server.primary_disk_size,
            labels=dict(labels or {}),
            created_from={"id": server.id, "name": server.name},
            bound_to=server.id if image_type == "backup" else None,
            os_flavor=server.image.os_flavor if server.image else "unknown",
            os_version=server.image.os_version if server.image else None,
            architecture=server_type.architecture if server_type else "x86",
        )
        self._images[image.id] = image
        return image

    def _generated_description(self, server: Server, created: float) -> str:
        return f"{server.name}-{datetime.fromtimestamp(created, tz=UTC):%Y%m%d%H%M%S}"

    def _lock_server(self, server: Server, spec: LockSpec, start: float | None = None) -> tuple[Action, Image | None]:
        if server.id in self._server_locks:
            raise errors.locked("server")
        image = None
        if spec.command == "create_image":
            image_spec = spec.image or ImageSpec()
            image = self._new_image(server, image_spec.type, image_spec.description, image_spec.labels, self.clock.now() if start is None else start)
        action = self._start_action(server, spec.command, spec.seconds, start=start, image=image, fail_with=spec.fail, public=False)
        return action, image

    # ----------------------------------------------------------------- lookups (internal)

    def _server(self, server_id: int) -> Server:
        server = self._servers.get(server_id)
        if server is None:
            raise errors.not_found("server", server_id)
        return server

    def _user_image(self, image_id: int) -> Image:
        image = self._images.get(image_id)
        if image is None:
            raise errors.not_found("image", image_id)
        if image.type == "system":
            raise errors.forbidden(f"image {image_id} is a system image and cannot be changed")
        return image

    def _find_server(self, reference: str | int) -> Server:
        text = str(reference)
        if text.isdigit() and int(text) in self._servers:
            return self._servers[int(text)]
        server = next((item for item in self._servers.values() if item.name == text), None)
        if server is None:
            raise errors.not_found("server", text)
        return server

    # ----------------------------------------------------------------- servers

    def list_servers(self, name: str | None = None, selector: Selector | None = None, statuses: list[str] | None = None) -> list[Server]:
        """Servers matching every given filter, in id order."""
        with self._lock:
            self._settle()
            found = [
                server
                for server in self._servers.values()
                if (name is None or server.name == name)
                and (selector is None or selector.matches(server.labels))
                and (not statuses or server.status in statuses)
            ]
            return _copies(found)

    def get_server(self, server_id: int) -> Server:
        """One server."""
        with self._lock:
            self._settle()
            return copy.deepcopy(self._server(server_id))

    def power_action(self, server_id: int, command: str) -> Action:
        """Start ``shutdown``, ``poweroff``, ``poweron`` or ``reboot`` on a server."""
        with self._lock:
            self._settle()
            server = self._server(server_id)
            settings = self.settings
            off = server.status == "off"
            plans: dict[str, tuple[float, str | None, str | None]] = {
                "shutdown": (0.0, None, "off") if off else (settings.shutdown_seconds, "stopping", "off"),
                "poweroff": (settings.poweroff_seconds, "off", "off"),
                "poweron": (settings.poweron_seconds, "starting", "running") if off else (0.0, None, None),
                "reboot": (settings.reboot_seconds, None, None),
            }
            if command not in plans:
                raise errors.not_found()
            seconds, during, after = plans[command]
            action = self._start_action(server, command, seconds, status_during=during, status_after=after)
            self._settle()
            return copy.deepcopy(action)

    def create_image(self, server_id: int, description: str | None, image_type: str, labels: dict[str, str] | None) -> tuple[Action, Image]:
        """Start a ``create_image`` action; returns the action and the image being made."""
        with self._lock:
            self._settle()
            server = self._server(server_id)
            if server.id in self._server_locks:
                raise errors.locked("server")
            if image_type == "backup" and server.backup_window is None:
                raise errors.invalid_field("type", "backups are not enabled for this server")
            if image_type == "snapshot":
                self._check_snapshot_quota()
            image = self._new_image(server, image_type, description, labels, self.clock.now())
            action = self._start_action(server, "create_image", self.settings.snapshot_seconds(server.primary_disk_size), image=image)
            self._settle()
            return copy.deepcopy(action), copy.deepcopy(self._images.get(image.id, image))

    def _check_snapshot_quota(self) -> None:
        used = sum(1 for image in self._images.values() if image.is_snapshot)
        if used >= self.settings.snapshot_quota:
            raise errors.resource_limit_exceeded(f"snapshot limit exceeded: the project may keep at most {self.settings.snapshot_quota} snapshots")

    # ----------------------------------------------------------------- actions

    def list_actions(
        self,
        resource_type: str | None = None,
        resource_id: int | None = None,
        ids: list[int] | None = None,
        statuses: list[str] | None = None,
    ) -> list[Action]:
        """Actions matching every given filter, in id order."""
        with self._lock:
            self._settle()
            found = [
                action
                for action in self._actions.values()
                if (resource_type is None or action.involves(resource_type, resource_id))
                and (ids is None or action.id in ids)
                and (not statuses or action.status in statuses)
            ]
            return _copies(found)

    def get_action(self, action_id: int, resource_type: str | None = None, resource_id: int | None = None) -> Action:
        """One action, optionally only if it involves the given resource."""
        with self._lock:
            self._settle()
            action = self._actions.get(action_id)
            if action is None or (resource_type is not None and not action.involves(resource_type, resource_id)):
                raise errors.not_found("action", action_id)
            return copy.deepcopy(action)

    # ----------------------------------------------------------------- images

    def list_images(self, matches: Callable[[Image], bool]) -> list[Image]:
        """Images for which ``matches`` holds, in id order."""
        with self._lock:
            self._settle()
            return _copies(sorted((image for image in self._images.values() if matches(image)), key=lambda image: image.id))

    def get_image(self, image_id: int) -> Image:
        """One image."""
        with self._lock:
            self._settle()
            image = self._images.get(image_id)
            if image is None:
                raise errors.not_found("image", image_id)
            return copy.deepcopy(image)

    def update_image(self, image_id: int, description: str | None = None, image_type: str | None = None, labels: dict[str, str] | None = None) -> Image:
        """Change an image's description, labels (replaced), or convert a backup into a snapshot."""
        with self._lock:
            self._settle()
            image = self._user_image(image_id)
            if image_type == "snapshot" and image.type == "backup":
                self._check_snapshot_quota()
                image.type = "snapshot"
                image.bound_to = None
            if description is not None:
                image.description = description
            if labels is not None:
                image.labels = dict(labels)
            return copy.deepcopy(image)

    def delete_image(self, image_id: int) -> None:
        """Delete an image that is neither protected nor still being created."""
        with self._lock:
            self._settle()
            image = self._user_image(image_id)
            if image.protected:
                raise errors.protected(f"image {image_id} is delete protected")
            if image.status == "creating":
                raise errors.locked("image")
            del self._images[image_id]

    def change_image_protection(self, image_id: int, delete: bool) -> Action:
        """Set an image's delete protection; answers an action that has already succeeded."""
        with self._lock:
            self._settle()
            image = self._user_image(image_id)
            if image.status == "creating":
                raise errors.locked("image")
            image.protected = delete
            return copy.deepcopy(self._instant_action("change_protection", [{"id": image.id, "type": "image"}]))

    # ----------------------------------------------------------------- control operations

    def sim_lock(self, reference: str | int, spec: LockSpec) -> tuple[Action, Image | None]:
        """Start a running action on a server as another client would (no quota check)."""
        with self._lock:
            self._settle()
            server = self._find_server(reference)
            action, image = self._lock_server(server, spec)
            self._settle()
            return copy.deepcopy(action), copy.deepcopy(self._images.get(image.id)) if image else None

    def fail_action(self, action_id: int, code: str, message: str) -> Action:
        """End a running action now, in error (its image, if any, disappears)."""
        with self._lock:
            self._settle()
            action = self._actions.get(action_id)
            if action is None:
                raise errors.not_found("action", action_id)
            if action.status != "running":
                raise errors.conflict(f"action {action_id} is not running (status {action.status})")
            self._finish(action, self.clock.now(), {"code": code, "message": message})
            return copy.deepcopy(action)

    def add_action_fault(self, fault: ActionFault, server_reference: str | None = None) -> ActionFault:
        """Make future actions of a command end in error."""
        with self._lock:
            if server_reference is not None:
                fault.server_id = self._find_server(server_reference).id
            self._action_faults.append(fault)
            return copy.deepcopy(fault)

    def clear_action_faults(self) -> None:
        """Forget every action fault."""
        with self._lock:
            self._action_faults.clear()

    def delete_server(self, reference: str | int) -> Server:
        """Delete a server at once: its running actions fail, its backups and unfinished images go."""
        with self._lock:
            self._settle()
            server = self._find_server(reference)
            now = self.clock.now()
            for action in list(self._running.values()):
                if action.server_id == server.id:
                    self._finish(action, now, {"code": "server_deleted", "message": "the server was deleted"})
            self._scheduled = [lock for lock in self._scheduled if lock.server_id != server.id]
            for image in list(self._images.values()):
                if image.bound_to == server.id:
                    del self._images[image.id]
            del self._servers[server.id]
            return copy.deepcopy(server)
