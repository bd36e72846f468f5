"""Actions: the settlement that ends them from the clock, and the operations that read or fail them.

An action ends at ``ends_at`` (real time): settlement finishes it as of that time, in time
order with the locks of the initial state that are due. Progress rises linearly while it runs,
or stays at 0 until the end with ``progress: stuck``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import errors
from ..clock import Clock
from ..faults import FaultBook
from ..settings import Settings
from .models import Action, Image, ScheduledLock, Server
from .store import Store, operation


class ActionsFamily:
    """Settlement and the operations on actions (part of ``Backend``)."""

    store: Store
    clock: Clock
    settings: Settings
    faults: FaultBook
    _schedule_backups: Callable[[float], None]

    # ----------------------------------------------------------------- settlement

    def _settle(self) -> None:
        """Apply every time-driven change due by now, in time order."""
        now = self.clock.now()
        store = self.store
        self._schedule_backups(now)
        while True:
            ending = min(store.running.values(), key=lambda action: (action.ends_at, action.id), default=None)
            starting = min(store.scheduled, key=lambda lock: lock.start_at, default=None)
            if ending is not None and ending.ends_at <= now and (starting is None or ending.ends_at <= starting.start_at):
                self._finish(ending, ending.ends_at, ending.fail_with)
            elif starting is not None and starting.start_at <= now:
                store.scheduled.remove(starting)
                self._start_scheduled(starting)
            else:
                break
        for server_id, until in list(store.hidden_locks.items()):
            if until <= now:
                del store.hidden_locks[server_id]
        for action in store.running.values():
            action.progress = self._progress(action, now)

    def _progress(self, action: Action, at: float) -> int:
        duration = action.ends_at - action.started
        if duration <= 0:
            return 100
        if self.settings.progress == "stuck":
            return 0
        return max(0, min(99, int(100 * (at - action.started) / duration)))

    def _finish(self, action: Action, at: float, failure: dict[str, str] | None) -> None:
        store = self.store
        store.running.pop(action.id, None)
        action.finished = at
        image = store.images.get(action.image_id) if action.image_id is not None else None
        server = store.servers.get(action.server_id) if action.server_id is not None else None
        if failure:
            action.status = "error"
            action.error = dict(failure)
            action.progress = self._progress(action, at)
            if image is not None and image.status == "creating":
                self._image_failed(image)
            following = store.running.get(action.then_locked_by) if action.then_locked_by is not None else None
            if following is not None:
                self._finish(following, at, failure)
        else:
            action.status = "success"
            action.progress = 100
            if image is not None and image.status == "creating":
                self._image_made(image)
            if server is not None and action.server_status_after:
                server.status = action.server_status_after
        if server is not None and store.server_locks.get(server.id) == action.id:
            following = store.running.get(action.then_locked_by) if action.then_locked_by is not None else None
            if following is not None:
                store.server_locks[server.id] = following.id
            else:
                del store.server_locks[server.id]
                server.locked = False

    def _start_scheduled(self, scheduled: ScheduledLock) -> None:
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
        self._lock_server(server, scheduled.spec, scheduled.start_at)

    # ----------------------------------------------------------------- starting actions

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
        self._check_unlocked(server)
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

    def _instant_action(self, command: str, resources: list[dict[str, Any]]) -> Action:
        now = self.clock.now()
        action = Action(
            id=self.store.next_id("action"), command=command, started=now, ends_at=now, resources=resources, status="success", progress=100, finished=now
        )
        self.store.actions[action.id] = action
        return action

    def _unlocking_action(self, command: str, server_id: int, ends_at: float, server_status_after: str | None = None) -> Action:
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

    # ----------------------------------------------------------------- operations

    @operation
    def list_actions(
        self, resource_type: str | None = None, resource_id: int | None = None, ids: list[int] | None = None, statuses: list[str] | None = None
    ) -> list[Action]:
        """Actions matching every given filter, in id order."""
        return [
            action
            for action in self.store.actions.values()
            if (resource_type is None or action.involves(resource_type, resource_id))
            and (ids is None or action.id in ids)
            and (not statuses or action.status in statuses)
        ]

    @operation
    def poll_actions(self, ids: list[int]) -> list[Action]:
        """``GET /actions?id=``: the first ``actions_id_cap`` requested ids that exist, in id order."""
        wanted = set(list(dict.fromkeys(ids))[: self.settings.actions_id_cap])
        return [action for action in self.store.actions.values() if action.id in wanted]

    @operation
    def get_action(self, action_id: int, resource_type: str | None = None, resource_id: int | None = None) -> Action:
        """One action, optionally only if it involves the given resource."""
        action = self.store.actions.get(action_id)
        if action is None or (resource_type is not None and not action.involves(resource_type, resource_id)):
            raise errors.not_found("action", action_id)
        return action

    @operation
    def fail_action(self, action_id: int, code: str, message: str) -> Action:
        """End a running action now, in error (its image, if any, as ``failed_image`` says)."""
        action = self.store.actions.get(action_id)
        if action is None:
            raise errors.not_found("action", action_id)
        if action.status != "running":
            raise errors.conflict(f"action {action_id} is not running (status {action.status})")
        self._finish(action, self.clock.now(), {"code": code, "message": message})
        return action
