"""The store of one simulated project: its tables, settings and prices behind one lock, settled before use, copied on the way out.

Every backend operation is decorated with ``operation``: it runs under the store's re-entrant
lock, on state settled from the clock (before, and again after, so that an action of zero
length is already over when its answer is rendered), and returns deep copies, so callers can
render the result without holding the lock.
"""

from __future__ import annotations

import copy
import functools
import itertools
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ..pricing import Pricing
from ..settings import Settings
from .models import Action, Image, ScheduledLock, Server, SshKey

R = TypeVar("R")

FIRST_IDS = {"server": 42_001, "image": 500_001, "action": 900_001, "ssh_key": 7_001}


class Store:
    """The tables, settings and prices of a project; ``settle`` (set by the backend) applies the changes time has brought."""

    def __init__(self, settle: Callable[[], None]) -> None:
        self.lock = threading.RLock()
        self.settle = settle
        self.settings = Settings()
        self.pricing = Pricing()
        self.clear()

    def clear(self) -> None:
        """Empty every table and restart the ids (the settings and prices stay)."""
        self.servers: dict[int, Server] = {}
        self.images: dict[int, Image] = {}
        self.actions: dict[int, Action] = {}
        self.ssh_keys: dict[int, SshKey] = {}
        self.running: dict[int, Action] = {}
        self.server_locks: dict[int, int] = {}  # server id -> id of the action that locks it
        self.hidden_locks: dict[int, float] = {}  # server id -> end (real time) of a lock with no visible action
        self.scheduled: list[ScheduledLock] = []
        self.epoch = 0.0  # real time of the last reset: simulated time runs from there at --speed
        self.backups_scheduled_until = 0.0  # real time up to which automatic backups have been scheduled
        self._ids = {kind: itertools.count(first) for kind, first in FIRST_IDS.items()}

    def next_id(self, kind: str) -> int:
        """The next id of a ``server``, ``image``, ``action`` or ``ssh_key``."""
        return next(self._ids[kind])

    def run(self, work: Callable[[], R]) -> R:
        """``work()`` under the lock, on settled state; a deep copy of what it returns."""
        with self.lock:
            self.settle()
            result = work()
            self.settle()
            return copy.deepcopy(result)


class HasStore(Protocol):
    """What ``operation`` needs of the object it decorates."""

    store: Store


def operation(method: Callable[..., R]) -> Callable[..., R]:
    """Make a backend method an operation of the store (locked, settled, copied)."""

    @functools.wraps(method)
    def run(self: HasStore, *args: Any, **kwargs: Any) -> R:
        return self.store.run(lambda: method(self, *args, **kwargs))

    return run
