"""Servers: power actions, and the locks other clients hold on them.

A server is locked while one of its actions runs (visible: the action is listed, ``locked``
is true), or while a lock with no visible action lasts (``visible: false``: new actions answer
423 ``locked`` and nothing is listed).
"""

from __future__ import annotations

from collections.abc import Callable

from .. import catalog, errors
from ..clock import Clock
from ..initial_state import ImageSpec, LockSpec, ServerSpec
from ..labels import Selector
from ..settings import Settings
from .models import Action, HiddenLock, Image, ScheduledLock, Server, image_size
from .store import Store, operation

# the action's command where it is not the route's name (reset answers "reset_server", as the OpenAPI example has it)
ACTION_COMMANDS = {"reset": "reset_server"}


class ServersFamily:
    """The operations on servers (part of ``Backend``)."""

    store: Store
    clock: Clock
    settings: Settings
    _new_image: Callable[..., Image]
    _start_action: Callable[..., Action]
    _finish: Callable[..., None]

    # ----------------------------------------------------------------- internal

    def _add_server(self, spec: ServerSpec, index: int, now: float) -> None:
        kind = catalog.server_type(spec.server_type)
        # the image of the server type's architecture; an initial state may still name one that exists only for x86
        system = catalog.system_image(spec.image, kind.architecture if kind else "x86") or catalog.system_image(spec.image)
        server = Server(
            id=self.store.next_id("server"),
            name=spec.name,
            status=spec.status,
            created=now - (40 + index % 300) * 86_400 - index * 3_600,
            server_type=spec.server_type,
            location=spec.location,
            primary_disk_size=spec.disk_size,
            labels=dict(spec.labels),
            backup_window=spec.backup_window,
            image=self.store.images[system.id] if system else None,
            delete_protected=spec.delete_protected,
            rebuild_protected=spec.rebuild_protected,
        )
        self.store.servers[server.id] = server
        for snapshot in spec.snapshots:
            image = self._new_image(server, snapshot.type, snapshot.description, snapshot.labels, now - snapshot.age_hours * 3_600)
            image.status = "available"
            image.protected = snapshot.protected
            image.image_size = snapshot.image_size if snapshot.image_size is not None else image_size(image)
        start = now
        for lock in spec.locks:
            start += self.clock.real_seconds(lock.delay)
            self.store.scheduled.append(ScheduledLock(start, server.id, lock))
            start += self.clock.real_seconds(lock.seconds)

    def _server(self, server_id: int) -> Server:
        server = self.store.servers.get(server_id)
        if server is None:
            raise errors.not_found("server", server_id)
        return server

    def _find_server(self, reference: str | int) -> Server:
        text = str(reference)
        if text.isdigit() and int(text) in self.store.servers:
            return self.store.servers[int(text)]
        server = next((item for item in self.store.servers.values() if item.name == text), None)
        if server is None:
            raise errors.not_found("server", text)
        return server

    def _check_name_free(self, name: str, own_id: int | None = None) -> None:
        if any(other.name == name and other.id != own_id for other in self.store.servers.values()):
            raise errors.uniqueness_error("name", f"server name '{name}' is already used in this project")

    def _check_unlocked(self, server: Server) -> None:
        if server.id in self.store.server_locks or self.store.hidden_locks.get(server.id, 0.0) > self.clock.now():
            raise errors.locked("server")

    def _lock_server(self, server: Server, spec: LockSpec, start: float | None = None) -> tuple[Action | None, Image | None]:
        self._check_unlocked(server)
        begin = self.clock.now() if start is None else start
        if not spec.visible:
            self.store.hidden_locks[server.id] = self.clock.after(spec.seconds, begin)
            return None, None
        image = None
        if spec.command == "create_image":
            image_spec = spec.image or ImageSpec()
            image = self._new_image(server, image_spec.type, image_spec.description, image_spec.labels, begin)
        action = self._start_action(server, spec.command, spec.seconds, start=begin, image=image, fail_with=spec.fail, public=False)
        return action, image

    # ----------------------------------------------------------------- operations

    @operation
    def list_servers(self, name: str | None = None, selector: Selector | None = None, statuses: list[str] | None = None) -> list[Server]:
        """Servers matching every given filter, in id order."""
        return [
            server
            for server in self.store.servers.values()
            if (name is None or server.name == name) and (selector is None or selector.matches(server.labels)) and (not statuses or server.status in statuses)
        ]

    @operation
    def get_server(self, server_id: int) -> Server:
        """One server."""
        return self._server(server_id)

    @operation
    def update_server(self, server_id: int, name: str | None = None, labels: dict[str, str] | None = None) -> Server:
        """Rename a server (names are unique in the project) and replace its labels; no action, no lock."""
        server = self._server(server_id)
        if name is not None:
            self._check_name_free(name, server.id)
            server.name = name
        if labels is not None:
            server.labels = dict(labels)
        return server

    @operation
    def power_action(self, server_id: int, command: str) -> Action:
        """Start ``shutdown``, ``poweroff``, ``poweron``, ``reboot`` or ``reset`` on a server."""
        server = self._server(server_id)
        settings = self.settings
        off = server.status == "off"
        plans: dict[str, tuple[float, str | None, str | None]] = {
            "shutdown": (0.0, None, "off") if off else (settings.shutdown_seconds, "stopping", "off"),
            "poweroff": (settings.poweroff_seconds, "off", "off"),
            "poweron": (settings.poweron_seconds, "starting", "running") if off else (0.0, None, None),
            "reboot": (settings.reboot_seconds, None, None),
            "reset": (settings.reset_seconds, None, "running"),
        }
        if command not in plans:
            raise errors.not_found()
        seconds, during, after = plans[command]
        action = self._start_action(server, ACTION_COMMANDS.get(command, command), seconds, status_during=during, status_after=after)
        if after == "running" or command == "reboot":
            server.rescue_enabled = False  # the server boots (into the rescue system, if enabled): rescue is off afterwards
        return action

    @operation
    def sim_lock(self, reference: str | int, spec: LockSpec) -> tuple[Action | None, Image | None, HiddenLock | None]:
        """Lock a server as another client would (no quota check): with a running action, or invisibly."""
        server = self._find_server(reference)
        action, image = self._lock_server(server, spec)
        hidden = None if spec.visible else HiddenLock(server.id, self.store.hidden_locks[server.id])
        return action, image, hidden

    @operation
    def find_server_id(self, reference: str | int) -> int:
        """The id of the server with that id or name."""
        return self._find_server(reference).id

    @operation
    def delete_server(self, reference: str | int) -> Server:
        """Delete a server at once: its running actions fail, its backups and unfinished images go."""
        server = self._find_server(reference)
        self._drop_server(server)
        return server

    def _drop_server(self, server: Server) -> None:
        now = self.clock.now()
        for action in [action for action in self.store.running.values() if action.server_id == server.id]:
            self._finish(action, now, {"code": "server_deleted", "message": "the server was deleted"})
            if action.image_id is not None and action.image_id in self.store.images:
                del self.store.images[action.image_id]
        self.store.scheduled = [lock for lock in self.store.scheduled if lock.server_id != server.id]
        self.store.hidden_locks.pop(server.id, None)
        for image in list(self.store.images.values()):
            if image.bound_to == server.id:
                del self.store.images[image.id]
        del self.store.servers[server.id]
