"""A server's life: create, rebuild, protect, change type, rescue, delete (part of ``Backend``).

Each operation that the API runs as an action starts one on the server (and so is refused while
another one runs); its duration comes from the settings. ``change_protection`` and the rescue
switches answer actions that have already succeeded. Backups are ``backups``.
"""

from __future__ import annotations

import secrets
import string

from .. import catalog, errors
from ..clock import Clock
from .models import Action, Image, Server
from .seams import ActionStarter, KeyResolver, ServerLookup, ServerRemoval
from .store import Store, operation


class ServerLifeFamily:
    """The operations of a server's life (part of ``Backend``)."""

    store: Store
    clock: Clock
    server_lookup: ServerLookup
    server_removal: ServerRemoval
    action_starter: ActionStarter
    key_resolver: KeyResolver

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
        key_ids = self.key_resolver.resolve_ssh_keys(list(ssh_keys or []))
        self.server_lookup.check_name_free(name)
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
        settings = self.store.settings
        action = self.action_starter.start_action(
            server, "create_server", settings.create_server_seconds, status_after="starting" if start_after_create else "off"
        )
        next_actions = []
        if start_after_create:
            # start_server runs after create_server and takes the server's lock over from it
            start = self.action_starter.unlocking_action("start_server", server.id, self.clock.after(settings.poweron_seconds, action.ends_at), "running")
            action.then_locked_by = start.id
            next_actions.append(start)
        return server, action, next_actions, None if key_ids else _root_password()

    @operation
    def delete_server_by_api(self, server_id: int) -> Action:
        """``DELETE /servers/{id}``: refused under delete protection or a lock; backups go, snapshots stay."""
        server = self.server_lookup.server(server_id)
        if server.delete_protected:
            raise errors.protected(f"server {server_id} is delete protected")
        self.server_lookup.check_unlocked(server)
        self.server_removal.drop_server(server)
        return self.action_starter.unlocking_action("delete_server", server.id, self.clock.after(self.store.settings.delete_server_seconds))

    @operation
    def rebuild_server(self, server_id: int, image: str) -> tuple[Action, str | None]:
        """Power the server off, overwrite its disk with an image; answers the action and a root password (system images, no SSH keys)."""
        server = self.server_lookup.server(server_id)
        if server.rebuild_protected:
            raise errors.protected(f"server {server_id} is rebuild protected")
        self.server_lookup.check_unlocked(server)
        kind = catalog.server_type(server.server_type)
        source = self._resolve_image(image, kind.architecture if kind else "x86")
        if source.disk_size > server.primary_disk_size:
            raise errors.invalid_field("image", f"image disk size ({source.disk_size:g} GB) is bigger than the server's disk ({server.primary_disk_size} GB)")
        action = self.action_starter.start_action(
            server, "rebuild_server", self.store.settings.rebuild_seconds, status_during="rebuilding", status_after="running"
        )
        server.image = source
        password = _root_password() if source.type == "system" and not server.ssh_key_ids else None
        return action, password

    @operation
    def change_server_protection(self, server_id: int, delete: bool | None, rebuild: bool | None) -> Action:
        """Set a server's delete and rebuild protection; answers an action that has already succeeded."""
        server = self.server_lookup.server(server_id)
        if delete is not None:
            server.delete_protected = delete
        if rebuild is not None:
            server.rebuild_protected = rebuild
        return self.action_starter.instant_action("change_protection", [{"id": server.id, "type": "server"}])

    @operation
    def change_server_type(self, server_id: int, server_type: str, upgrade_disk: bool) -> Action:
        """Move an ``off`` server to another type of the same architecture whose disk is at least the server's."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        kind = catalog.server_type_by_reference(server_type)
        if kind is None:
            raise errors.invalid_field("server_type", f"server type '{server_type}' not found")
        current = catalog.server_type(server.server_type)
        if kind.deprecated or current is None or kind.architecture != current.architecture or kind.disk < server.primary_disk_size:
            raise errors.ApiError(400, "invalid_server_type", f"server type '{kind.name}' does not fit server {server_id} or is deprecated")
        if server.status != "off":
            raise errors.ApiError(400, "server_not_stopped", "the action requires a stopped server")
        action = self.action_starter.start_action(
            server, "change_server_type", self.store.settings.change_type_seconds, status_during="migrating", status_after="running"
        )
        server.server_type = kind.name
        if upgrade_disk:
            server.primary_disk_size = kind.disk
        return action

    @operation
    def enable_rescue(self, server_id: int, ssh_keys: list[int]) -> tuple[Action, str]:
        """Boot into the rescue system next time; answers a root password, SSH keys or not (the document's is not nullable)."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        self.key_resolver.resolve_ssh_keys(list(ssh_keys))
        server.rescue_enabled = True
        return self.action_starter.start_action(server, "enable_rescue", 0.0), _root_password()

    @operation
    def disable_rescue(self, server_id: int) -> Action:
        """Boot from the disk next time."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        server.rescue_enabled = False
        return self.action_starter.start_action(server, "disable_rescue", 0.0)


def _root_password() -> str:
    """A random root password of 20 letters and digits, as the API's example has it."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _index in range(20))
