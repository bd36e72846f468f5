"""Settlement: the changes time has brought, applied before (and after) every operation.

Actions end at their ``ends_at`` and scheduled locks (the initial state's, automatic backups)
start at their ``start_at``, in time order; locks with no visible action run out; running
actions get their progress as of now.
"""

from __future__ import annotations

from ..clock import Clock
from .seams import ActionFinisher, BackupSchedule, ServerLocking
from .store import Store


class Settlement:
    """Applies every time-driven change due by now (the store's ``settle``)."""

    def __init__(self, store: Store, clock: Clock, actions: ActionFinisher, locks: ServerLocking, backups: BackupSchedule) -> None:
        self.store = store
        self.clock = clock
        self.actions = actions
        self.locks = locks
        self.backups = backups

    def settle(self) -> None:
        """Apply every time-driven change due by now, in time order."""
        now = self.clock.now()
        store = self.store
        self.backups.schedule_backups(now)
        while True:
            ending = min(store.running.values(), key=lambda action: (action.ends_at, action.id), default=None)
            starting = min(store.scheduled, key=lambda lock: lock.start_at, default=None)
            if ending is not None and ending.ends_at <= now and (starting is None or ending.ends_at <= starting.start_at):
                self.actions.finish(ending, ending.ends_at, ending.fail_with)
            elif starting is not None and starting.start_at <= now:
                store.scheduled.remove(starting)
                self.locks.start_scheduled(starting)
            else:
                break
        for server_id, until in list(store.hidden_locks.items()):
            if until <= now:
                del store.hidden_locks[server_id]
        stuck = store.settings.progress == "stuck"
        for action in store.running.values():
            action.progress = action.progress_at(now, stuck)
