"""Backups: the backup window, the automatic backups it brings, enabling and disabling them (part of ``Backend``).

A server with backups has a ``backup_window`` and keeps its seven newest backups. With
``automatic_backups: daily`` settlement starts a backup when simulated time enters the window;
``run_backup_window`` (control API) takes one at once, whatever the setting.
"""

from __future__ import annotations

from .. import errors
from ..clock import Clock
from ..state_specs import ImageSpec, LockSpec
from .models import BACKUP_SLOTS, Action, Image, ScheduledLock
from .seams import ActionStarter, ServerLocking, ServerLookup
from .store import Store, operation

BACKUP_WINDOWS = ("22-02", "02-06", "06-10", "10-14", "14-18", "18-22")


class AutomaticBackups:
    """Schedules the backups of ``automatic_backups: daily`` (``BackupSchedule``)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def schedule_backups(self, now: float) -> None:
        """``automatic_backups: daily``: a backup of each server with a window, when simulated time enters the window.

        Simulated time runs from the last reset at ``--speed`` (one simulated day is 86400 / speed real seconds);
        each backup is a ``create_image`` of another client, started by settlement like the initial state's locks
        (it waits for a running action to end). At most the last ``BACKUP_SLOTS`` occurrences per server are kept.
        """
        store = self.store
        since, store.backups_scheduled_until = store.backups_scheduled_until, now
        if self.store.settings.automatic_backups == "off" or now <= since:
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
            spec = LockSpec("create_image", self.store.settings.snapshot_seconds(server.primary_disk_size), image=ImageSpec(type="backup"))
            store.scheduled.extend(ScheduledLock(at, server.id, spec) for at in occurrences[-BACKUP_SLOTS:])


class BackupsFamily:
    """The operations on a server's backups (part of ``Backend``)."""

    store: Store
    server_lookup: ServerLookup
    server_locking: ServerLocking
    action_starter: ActionStarter

    @operation
    def run_backup_window(self, reference: str | int) -> tuple[Action | None, Image | None]:
        """Take a server's automatic backup now, as its backup window does: another client's ``create_image`` of type
        ``backup`` (it locks the server while it runs; a server locked already answers 423, where the daily window
        waits); once it is made, the server keeps its seven newest backups. The server must have backups enabled."""
        server = self.server_lookup.find_server(reference)
        if server.backup_window is None:
            raise errors.invalid_field("server", f"server {server.name} has no backups enabled: enable_backup first")
        spec = LockSpec("create_image", self.store.settings.snapshot_seconds(server.primary_disk_size), image=ImageSpec(type="backup"))
        return self.server_locking.lock_server(server, spec)

    @operation
    def enable_backup(self, server_id: int) -> Action:
        """Give the server a backup window (already enabled: kept); answers an action that has succeeded."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        if server.backup_window is None:
            server.backup_window = BACKUP_WINDOWS[server.id % len(BACKUP_WINDOWS)]
        return self.action_starter.start_action(server, "enable_backup", 0.0)

    @operation
    def disable_backup(self, server_id: int) -> Action:
        """Remove the backup window and delete every backup of the server at once."""
        server = self.server_lookup.server(server_id)
        self.server_lookup.check_unlocked(server)
        server.backup_window = None
        for image in [image for image in self.store.images.values() if image.bound_to == server.id and image.type == "backup"]:
            del self.store.images[image.id]
        return self.action_starter.start_action(server, "disable_backup", 0.0)
