"""Starting and ending actions: the server locks they take and release, the images they finish.

An action ends at ``ends_at`` (real time); ``settlement`` ends it as of that time, ``fail_action``
and a server's deletion end it early. Progress rises linearly while it runs, or stays at 0 until
the end with ``progress: stuck``.
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from ..faults import FaultBook
from .models import Action, Image, Server
from .seams import ImageRecords, ServerLookup
from .store import Store


class ActionRunner:
    """Starts actions (``ActionStarter``) and ends them (``ActionFinisher``)."""

    def __init__(self, store: Store, clock: Clock, faults: FaultBook, servers: ServerLookup, images: ImageRecords) -> None:
        self.store = store
        self.clock = clock
        self.faults = faults
        self.servers = servers
        self.images = images

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
        self.servers.check_unlocked(server)
        started = self.clock.now() if start is None else start
        resources = [{"id": server.id, "type": "server"}] + ([{"id": image.id, "type": "image"}] if image else [])
        action = Action(
            id=self.store.next_id("action"),
            command=command,
            started=started,
            ends_at=self.clock.after(seconds, started),
            resources=resources,
            fail_with=fail_with or (self.faults.take_action_fault(command, server.id) if public else None),
            server_id=server.id,
            image_id=image.id if image else None,
            server_status_after=status_after,
        )
        self.store.actions[action.id] = action
        self.store.running[action.id] = action
        self.store.server_locks[server.id] = action.id
        server.locked = True
        if status_during:
            server.status = status_during
        return action

    def instant_action(self, command: str, resources: list[dict[str, Any]]) -> Action:
        """An action that has already succeeded."""
        now = self.clock.now()
        action = Action(
            id=self.store.next_id("action"), command=command, started=now, ends_at=now, resources=resources, status="success", progress=100, finished=now
        )
        self.store.actions[action.id] = action
        return action

    def unlocking_action(self, command: str, server_id: int, ends_at: float, server_status_after: str | None = None) -> Action:
        """A running action on a server that does not take its lock (a deleted server's, or one that takes it over later)."""
        action = Action(
            id=self.store.next_id("action"),
            command=command,
            started=self.clock.now(),
            ends_at=ends_at,
            resources=[{"id": server_id, "type": "server"}],
            server_id=server_id if server_id in self.store.servers else None,
            server_status_after=server_status_after,
        )
        self.store.actions[action.id] = action
        self.store.running[action.id] = action
        return action

    def finish(self, action: Action, at: float, failure: dict[str, str] | None) -> None:
        """End a running action at ``at``: in success, or in error with ``failure``; release the server's lock."""
        store = self.store
        store.running.pop(action.id, None)
        action.finished = at
        image = store.images.get(action.image_id) if action.image_id is not None else None
        server = store.servers.get(action.server_id) if action.server_id is not None else None
        if failure:
            action.status = "error"
            action.error = dict(failure)
            action.progress = action.progress_at(at, store.settings.progress == "stuck")
            if image is not None and image.status == "creating":
                self.images.image_failed(image)
            following = store.running.get(action.then_locked_by) if action.then_locked_by is not None else None
            if following is not None:
                self.finish(following, at, failure)
        else:
            action.status = "success"
            action.progress = 100
            if image is not None and image.status == "creating":
                self.images.image_made(image)
            if server is not None and action.server_status_after:
                server.status = action.server_status_after
        if server is not None and store.server_locks.get(server.id) == action.id:
            following = store.running.get(action.then_locked_by) if action.then_locked_by is not None else None
            if following is not None:
                store.server_locks[server.id] = following.id
            else:
                del store.server_locks[server.id]
                server.locked = False
