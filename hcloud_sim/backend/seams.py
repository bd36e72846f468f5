"""The seams between the backend's families: what one family may ask of another, named for what it does.

A family's module imports ``models``, ``store`` and this module, never another family's module: it
is handed the collaborators it needs (typed by these protocols) by ``Backend``, which wires the
concrete classes together. The implementations:

| protocol | implemented by |
| --- | --- |
| ``ServerLookup`` | ``servers.ServerDirectory`` |
| ``ServerRemoval`` | ``servers.ServerDeletion`` |
| ``ServerLocking`` | ``locks.ServerLocks`` |
| ``ImageRecords`` | ``images.ImageMaking`` |
| ``ActionStarter``, ``ActionFinisher`` | ``action_runner.ActionRunner`` |
| ``KeyResolver`` | ``ssh_keys.KeyDirectory`` |
| ``BackupSchedule`` | ``backups.AutomaticBackups`` |
"""

from __future__ import annotations

from typing import Any, Protocol

from ..state_specs import LockSpec
from .models import Action, Image, ScheduledLock, Server


class ServerLookup(Protocol):
    """Find servers and check that one is free to take an action."""

    def server(self, server_id: int) -> Server:
        """The server with that id; 404 ``not_found`` otherwise."""

    def find_server(self, reference: str | int) -> Server:
        """The server with that id or name; 404 ``not_found`` otherwise."""

    def check_name_free(self, name: str, own_id: int | None = None) -> None:
        """409 ``uniqueness_error`` when another server has that name."""

    def check_unlocked(self, server: Server) -> None:
        """423 ``locked`` while an action runs on the server or a lock with no visible action lasts."""


class ServerRemoval(Protocol):
    """Take a server out of the project."""

    def drop_server(self, server: Server) -> None:
        """Delete it now: its running actions fail, its backups and unfinished images go."""


class ServerLocking(Protocol):
    """Lock servers as another client would."""

    def lock_server(self, server: Server, spec: LockSpec, start: float | None = None) -> tuple[Action | None, Image | None]:
        """Start the lock ``spec`` (a running action, or a lock with no visible action) at ``start`` (default: now)."""

    def start_scheduled(self, scheduled: ScheduledLock) -> None:
        """Start a lock whose time has come, or put it off until the server's lock ends."""


class ImageRecords(Protocol):
    """Make images and record how their making ends."""

    def new_image(self, server: Server, image_type: str, description: str | None, labels: dict[str, str] | None, created: float) -> Image:
        """A ``creating`` image of the server, added to the project."""

    def image_made(self, image: Image) -> None:
        """The image is ``available`` (a backup: the server keeps its seven newest)."""

    def image_failed(self, image: Image) -> None:
        """Its action failed: ``unavailable`` or deleted, as ``failed_image`` says."""


class ActionStarter(Protocol):
    """Start actions."""

    def start_action(
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
        """A running action that locks the server for ``seconds`` (simulated); 423 if it is locked."""

    def instant_action(self, command: str, resources: list[dict[str, Any]]) -> Action:
        """An action that has already succeeded."""

    def unlocking_action(self, command: str, server_id: int, ends_at: float, server_status_after: str | None = None) -> Action:
        """A running action on a server that does not take its lock."""


class ActionFinisher(Protocol):
    """End actions."""

    def finish(self, action: Action, at: float, failure: dict[str, str] | None) -> None:
        """End a running action at ``at``: in success, or in error with ``failure``; release the server's lock."""


class KeyResolver(Protocol):
    """Name SSH keys."""

    def resolve_ssh_keys(self, references: list[str | int]) -> list[int]:
        """The ids of the keys named by id or name; 400 ``invalid_input`` (field ``ssh_keys``) for an unknown one."""


class BackupSchedule(Protocol):
    """Schedule the automatic backups."""

    def schedule_backups(self, now: float) -> None:
        """Schedule the backups whose window simulated time entered since the last call (``automatic_backups``)."""
