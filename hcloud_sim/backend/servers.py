"""Servers: finding them, deleting them (control API), renaming them, and power actions.

A server is locked while one of its actions runs (visible: the action is listed, ``locked``
is true), or while a lock with no visible action lasts (``visible: false``: new actions answer
423 ``locked`` and nothing is listed). Starting such locks is ``locks``.
"""

from __future__ import annotations

from .. import errors
from ..clock import Clock
from ..labels import Selector
from ..state_specs import LockSpec
from .models import Action, HiddenLock, Image, Server
from .seams import ActionFinisher, ActionStarter, ServerLocking, ServerLookup, ServerRemoval
from .store import Store, operation

# the action's command where it is not the route's name (reset answers "reset_server", as the OpenAPI example has it)
ACTION_COMMANDS = {"reset": "reset_server"}


class ServerDirectory:
    """Finds servers and tells whether one is free to take an action (``ServerLookup``)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def server(self, server_id: int) -> Server:
        """The server with that id; 404 ``not_found`` otherwise."""
        server = self.store.servers.get(server_id)
        if server is None:
            raise errors.not_found("server", server_id)
        return server

    def find_server(self, reference: str | int) -> Server:
        """The server with that id or name; 404 ``not_found`` otherwise."""
        text = str(reference)
        if text.isdigit() and int(text) in self.store.servers:
            return self.store.servers[int(text)]
        server = next((item for item in self.store.servers.values() if item.name == text), None)
        if server is None:
            raise errors.not_found("server", text)
        return server

    def check_name_free(self, name: str, own_id: int | None = None) -> None:
        """409 ``uniqueness_error`` when another server has that name."""
        if any(other.name == name and other.id != own_id for other in self.store.servers.values()):
            raise errors.uniqueness_error("name", f"server name '{name}' is already used in this project")

    def check_unlocked(self, server: Server) -> None:
        """423 ``locked`` while an action runs on the server or a lock with no visible action lasts."""
        if server.id in self.store.server_locks or self.store.hidden_locks.get(server.id, 0.0) > self.clock.now():
            raise errors.locked("server")


class ServerDeletion:
    """Takes a server out of the project (``ServerRemoval``)."""

    def __init__(self, store: Store, clock: Clock, actions: ActionFinisher) -> None:
        self.store = store
        self.clock = clock
        self.actions = actions

    def drop_server(self, server: Server) -> None:
        """Delete it now: its running actions fail, its backups and unfinished images go."""
        now = self.clock.now()
        for action in [action for action in self.store.running.values() if action.server_id == server.id]:
            self.actions.finish(action, now, {"code": "server_deleted", "message": "the server was deleted"})
            if action.image_id is not None and action.image_id in self.store.images:
                del self.store.images[action.image_id]
        self.store.scheduled = [lock for lock in self.store.scheduled if lock.server_id != server.id]
        self.store.hidden_locks.pop(server.id, None)
        for image in list(self.store.images.values()):
            if image.bound_to == server.id:
                del self.store.images[image.id]
        del self.store.servers[server.id]


class ServersFamily:
    """The operations on servers (part of ``Backend``)."""

    store: Store
    server_lookup: ServerLookup
    action_starter: ActionStarter
    server_locking: ServerLocking
    server_removal: ServerRemoval

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
        return self.server_lookup.server(server_id)

    @operation
    def update_server(self, server_id: int, name: str | None = None, labels: dict[str, str] | None = None) -> Server:
        """Rename a server (names are unique in the project) and replace its labels; no action, no lock."""
        server = self.server_lookup.server(server_id)
        if name is not None:
            self.server_lookup.check_name_free(name, server.id)
            server.name = name
        if labels is not None:
            server.labels = dict(labels)
        return server

    @operation
    def power_action(self, server_id: int, command: str) -> Action:
        """Start ``shutdown``, ``poweroff``, ``poweron``, ``reboot`` or ``reset`` on a server."""
        server = self.server_lookup.server(server_id)
        settings = self.store.settings
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
        action = self.action_starter.start_action(server, ACTION_COMMANDS.get(command, command), seconds, status_during=during, status_after=after)
        if after == "running" or command == "reboot":
            server.rescue_enabled = False  # the server boots (into the rescue system, if enabled): rescue is off afterwards
        return action

    @operation
    def sim_lock(self, reference: str | int, spec: LockSpec) -> tuple[Action | None, Image | None, HiddenLock | None]:
        """Lock a server as another client would (no quota check): with a running action, or invisibly."""
        server = self.server_lookup.find_server(reference)
        action, image = self.server_locking.lock_server(server, spec)
        hidden = None if spec.visible else HiddenLock(server.id, self.store.hidden_locks[server.id])
        return action, image, hidden

    @operation
    def find_server_id(self, reference: str | int) -> int:
        """The id of the server with that id or name."""
        return self.server_lookup.find_server(reference).id

    @operation
    def delete_server(self, reference: str | int) -> Server:
        """Delete a server at once: its running actions fail, its backups and unfinished images go."""
        server = self.server_lookup.find_server(reference)
        self.server_removal.drop_server(server)
        return server
