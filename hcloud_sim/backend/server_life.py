"""A server's life: create, rebuild, protect, change type, backups, rescue, delete (part of ``Backend``).

Each operation that the API runs as an action starts one on the server (and so is refused while
another one runs); its duration comes from the settings. ``change_protection``, ``enable_backup``
and the rescue switches answer actions that have already succeeded.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from typing import Any

from .. import catalog, errors
from ..clock import Clock
from ..initial_state import ImageSpec, LockSpec
from ..settings import Settings
from .models import BACKUP_SLOTS, Action, Image, ScheduledLock, Server
from .store import Store, operation

BACKUP_WINDOWS = ("22-02", "02-06", "06-10", "10-14", "14-18", "18-22")


class ServerLifeFamily:
    """The operations of a server's life (part of ``Backend``)."""

    store: Store
    clock: Clock
    settings: Settings
    _server: Callable[[int], Server]
    _check_unlocked: Callable[[Server], None]
    _check_name_free: Callable[..., None]
    _drop_server: Callable[[Server], None]
    _start_action: Callable[..., Action]
    _instant_action: Callable[[str, list[dict[str, Any]]], Action]
    _unlocking_action: Callable[..., Action]
    _resolve_ssh_keys: Callable[[list[str | int]], list[int]]

    def _resolve_image(self, reference: str, architecture: str) -> Image:
        """An ``available`` image by id or name (only system images have names) for that architecture."""
        image = self.store.images.get(int(reference)) if reference.isdigit() else None
        image = image or next((item for item in self.store.images.values() if item.name == reference and item.architecture == architecture), None)
        image = image or next((item for item in self.store.images.values() if item.name == reference), None)
        if image is None:
            raise errors.invalid_field("image", f"image '{reference}' not found")
        if image.status != "available":
            raise errors.invalid_field("image", f"image {image.id} is not available (status {image.status})")
        if image.architecture != architecture:
            raise errors.invalid_field("image", f"image {image.id} is for architecture {image.architecture}, the server type is {architecture}")
        return image

    @operation
    def create_server(
        self,
        name: str,
        server_type: str,
        image: str,
        location: str | None = None,
        labels: dict[str, str] | None = None,
        ssh_keys: list[str | int] | None = None,
        start_after_create: bool = True,
    ) -> tuple[Server, Action, list[Action], str | None]:
        """Create a server from an image; returns it, its ``create_server`` action, the next actions and the root password."""
        kind = catalog.server_type_by_reference(server_type)
        if kind is None:
            raise errors.invalid_field("server_type", f"server type '{server_type}' not found")
        if kind.deprecated:
            raise errors.invalid_field("server_type", f"server type '{kind.name}' is deprecated and cannot be used for new servers")
        place = catalog.location_by_reference(location or catalog.DEFAULT_LOCATION)
        if place is None:
            raise errors.invalid_field("location", f"location '{location}' not found")
        source = self._resolve_image(image, kind.architecture)
        if source.disk_size > kind.disk:
            raise errors.invalid_field("server_type", f"image disk size ({source.disk_size:g} GB) is bigger than the server type's disk ({kind.disk} GB)")
        key_ids = self._resolve_ssh_keys(list(ssh_keys or []))
        self._check_name_free(name)
        server = Server(
            id=self.store.next_id("server"),
            name=name,
            status="initializing",
            created=self.clock.now(),
            server_type=kind.name,
            location=place.name,
            primary_disk_size=kind.disk,
            labels=dict(labels or {}),
            image=source,
            ssh_key_ids=key_ids,
        )
        self.store.servers[server.id] = server
        settings = self.settings
        action = self._start_action(server, "create_server", settings.create_server_seconds, status_after="starting" if start_after_create else "off")
        next_actions = []
        if start_after_create:
            # start_server runs after create_server and takes the server's lock over from it
            start = self._unlocking_action("start_server", server.id, self.clock.after(settings.poweron_seconds, action.ends_at), "running")
            action.then_locked_by = start.id
            next_actions.append(start)
        return server, action, next_actions, None if key_ids else _root_password()

    @operation
    def delete_server_by_api(self, server_id: int) -> Action:
        """``DELETE /servers/{id}``: refused under delete protection or a lock; backups go, snapshots stay."""
        server = self._server(server_id)
        if server.delete_protected:
            raise errors.protected(f"server {server_id} is delete protected")
        self._check_unlocked(server)
        self._drop_server(server)
        return self._unlocking_action("delete_server", server.id, self.clock.after(self.settings.delete_server_seconds))

    @operation
    def rebuild_server(self, server_id: int, image: str) -> tuple[Action, str | None]:
        """Power the server off, overwrite its disk with an image; answers the action and a root password (system images, no SSH keys)."""
        server = self._server(server_id)
        if server.rebuild_protected:
            raise errors.protected(f"server {server_id} is rebuild protected")
        self._check_unlocked(server)
        kind = catalog.server_type(server.server_type)
        source = self._resolve_image(image, kind.architecture if kind else "x86")
        if source.disk_size > server.primary_disk_size:
            raise errors.invalid_field("image", f"image disk size ({source.disk_size:g} GB) is bigger than the server's disk ({server.primary_disk_size} GB)")
        action = self._start_action(server, "rebuild_server", self.settings.rebuild_seconds, status_during="rebuilding", status_after="running")
        server.image = source
        password = _root_password() if source.type == "system" and not server.ssh_key_ids else None
        return action, password

    @operation
    def change_server_protection(self, server_id: int, delete: bool | None, rebuild: bool | None) -> Action:
        """Set a server's delete and rebuild protection; answers an action that has already succeeded."""
        server = self._server(server_id)
        if delete is not None:
            server.delete_protected = delete
        if rebuild is not None:
            server.rebuild_protected = rebuild
        return self._instant_action("change_protection", [{"id": server.id, "type": "server"}])

    def _schedule_backups(self, now: float) -> None:
        """``automatic_backups: daily``: a backup of each server with a window, when simulated time enters the window.

        Simulated time runs from the last reset at ``--speed`` (one simulated day is 86400 / speed real seconds);
        each backup is a ``create_image`` of another client, started by settlement like the initial state's locks
        (it waits for a running action to end). At most the last ``BACKUP_SLOTS`` occurrences per server are kept.
        """
        store = self.store
        since, store.backups_scheduled_until = store.backups_scheduled_until, now
        if self.settings.automatic_backups == "off" or now <= since:
            return
        speed = self.clock.speed

        def simulated(real: float) -> float:
            return store.epoch + (real - store.epoch) * speed

        for server in store.servers.values():
            if server.backup_window is None:
                continue
            hour = int(server.backup_window.split("-")[0])
            start = simulated(since)
            occurrence = start - start % 86_400 + hour * 3_600
            occurrences = []
            while occurrence <= simulated(now):
                if occurrence > start:
                    occurrences.append(store.epoch + (occurrence - store.epoch) / speed)
                occurrence += 86_400
            spec = LockSpec("create_image", self.settings.snapshot_seconds(server.primary_disk_size), image=ImageSpec(type="backup"))
            store.scheduled.extend(ScheduledLock(at, server.id, spec) for at in occurrences[-BACKUP_SLOTS:])

    @operation
    def run_backup_window(self, reference: str | int) -> tuple[Action | None, Image | None]:
        """Take a server's automatic backup now, as its backup window does: another client's ``create_image`` of type
        ``backup`` (it waits for a running action, and locks the server while it runs); once it is made, the server
        keeps its seven newest backups. The server must have backups enabled."""
        server = self._find_server(reference)
        if server.backup_window is None:
            raise errors.invalid_field("server", f"server {server.name} has no backups enabled: enable_backup first")
        spec = LockSpec("create_image", self.settings.snapshot_seconds(server.primary_disk_size), image=ImageSpec(type="backup"))
        return self._lock_server(server, spec)

    @operation
    def change_server_type(self, server_id: int, server_type: str, upgrade_disk: bool) -> Action:
        """Move an ``off`` server to another type of the same architecture whose disk is at least the server's."""
        server = self._server(server_id)
        self._check_unlocked(server)
        kind = catalog.server_type_by_reference(server_type)
        if kind is None:
            raise errors.invalid_field("server_type", f"server type '{server_type}' not found")
        current = catalog.server_type(server.server_type)
        if kind.deprecated or current is None or kind.architecture != current.architecture or kind.disk < server.primary_disk_size:
            raise errors.ApiError(400, "invalid_server_type", f"server type '{kind.name}' does not fit server {server_id} or is deprecated")
        if server.status != "off":
            raise errors.ApiError(400, "server_not_stopped", "the action requires a stopped server")
        action = self._start_action(server, "change_server_type", self.settings.change_type_seconds, status_during="migrating", status_after="running")
        server.server_type = kind.name
        if upgrade_disk:
            server.primary_disk_size = kind.disk
        return action

    @operation
    def enable_backup(self, server_id: int) -> Action:
        """Give the server a backup window (already enabled: kept); answers an action that has succeeded."""
        server = self._server(server_id)
        self._check_unlocked(server)
        if server.backup_window is None:
            server.backup_window = BACKUP_WINDOWS[server.id % len(BACKUP_WINDOWS)]
        return self._start_action(server, "enable_backup", 0.0)

    @operation
    def disable_backup(self, server_id: int) -> Action:
        """Remove the backup window and delete every backup of the server at once."""
        server = self._server(server_id)
        self._check_unlocked(server)
        server.backup_window = None
        for image in [image for image in self.store.images.values() if image.bound_to == server.id and image.type == "backup"]:
            del self.store.images[image.id]
        return self._start_action(server, "disable_backup", 0.0)

    @operation
    def enable_rescue(self, server_id: int, ssh_keys: list[int]) -> tuple[Action, str]:
        """Boot into the rescue system next time; answers a root password, SSH keys or not (the document's is not nullable)."""
        server = self._server(server_id)
        self._check_unlocked(server)
        self._resolve_ssh_keys(list(ssh_keys))
        server.rescue_enabled = True
        return self._start_action(server, "enable_rescue", 0.0), _root_password()

    @operation
    def disable_rescue(self, server_id: int) -> Action:
        """Boot from the disk next time."""
        server = self._server(server_id)
        self._check_unlocked(server)
        server.rescue_enabled = False
        return self._start_action(server, "disable_rescue", 0.0)


def _root_password() -> str:
    """A random root password of 20 letters and digits, as the API's example has it."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _index in range(20))
