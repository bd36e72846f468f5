"""Locks other clients hold on servers: a running action of theirs, or a lock with no visible action.

They come from the initial state's ``locks`` and the automatic backups (scheduled, started by
``settlement`` when their time comes), and from the control API (``sim_lock``, ``run_backup_window``).
"""

from __future__ import annotations

from ..clock import Clock
from ..state_specs import ImageSpec, LockSpec
from .models import Action, Image, ScheduledLock, Server
from .seams import ActionStarter, ImageRecords, ServerLookup
from .store import Store


class ServerLocks:
    """Starts the locks of other clients (``ServerLocking``)."""

    def __init__(self, store: Store, clock: Clock, servers: ServerLookup, actions: ActionStarter, images: ImageRecords) -> None:
        self.store = store
        self.clock = clock
        self.servers = servers
        self.actions = actions
        self.images = images

    def lock_server(self, server: Server, spec: LockSpec, start: float | None = None) -> tuple[Action | None, Image | None]:
        """Start the lock ``spec`` (a running action, or a lock with no visible action) at ``start`` (default: now)."""
        self.servers.check_unlocked(server)
        begin = self.clock.now() if start is None else start
        if not spec.visible:
            self.store.hidden_locks[server.id] = self.clock.after(spec.seconds, begin)
            return None, None
        image = None
        if spec.command == "create_image":
            image_spec = spec.image or ImageSpec()
            image = self.images.new_image(server, image_spec.type, image_spec.description, image_spec.labels, begin)
        action = self.actions.start_action(server, spec.command, spec.seconds, start=begin, image=image, fail_with=spec.fail, public=False)
        return action, image

    def start_scheduled(self, scheduled: ScheduledLock) -> None:
        """Start a lock whose time has come, or put it off until the server's lock ends."""
        server = self.store.servers.get(scheduled.server_id)
        if server is None:
            return
        blocking = self.store.server_locks.get(server.id)
        if blocking is not None:
            self.store.scheduled.append(ScheduledLock(self.store.actions[blocking].ends_at, server.id, scheduled.spec))
            return
        hidden_until = self.store.hidden_locks.get(server.id)
        if hidden_until is not None and hidden_until > scheduled.start_at:
            self.store.scheduled.append(ScheduledLock(hidden_until, server.id, scheduled.spec))
            return
        self.lock_server(server, scheduled.spec, scheduled.start_at)
