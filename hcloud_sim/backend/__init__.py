"""The simulated project: one ``Backend`` composed of the resource families over one ``Store``.

The backend knows nothing about HTTP; it raises ``ApiError`` for refusals. Its families:
``servers`` (servers, power actions, locks), ``server_life`` (create, rebuild, protect, change
type, backups, rescue, delete), ``images``
(snapshots, backups, create_image), ``actions`` (settlement from the clock, reading and failing
actions) and ``ssh_keys``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import catalog
from ..clock import Clock
from ..faults import FaultBook
from ..initial_state import InitialState
from ..pricing import Pricing
from ..settings import Settings
from .actions import ActionsFamily
from .images import ImagesFamily
from .models import Action, HiddenLock, Image, Server, SshKey, system_image
from .server_life import ServerLifeFamily
from .servers import ServersFamily
from .ssh_keys import SshKeysFamily
from .store import Store, operation

__all__ = ["Action", "Backend", "HiddenLock", "Image", "Server", "SshKey", "StateSnapshot"]


@dataclass
class StateSnapshot:
    """Copies of everything, for ``GET /_sim/state``."""

    time: float
    servers: list[Server]
    images: list[Image]
    actions: list[Action]
    hidden_locks: list[HiddenLock]
    settings: Settings
    ssh_keys: list[SshKey]


class Backend(ServersFamily, ServerLifeFamily, ImagesFamily, ActionsFamily, SshKeysFamily):
    """The state of one simulated project and its operations."""

    def __init__(self, clock: Clock, state: InitialState, faults: FaultBook | None = None) -> None:
        self.clock = clock
        self.faults = faults or FaultBook()
        self.store = Store(self._settle)
        self.reset(state)

    def reset(self, state: InitialState) -> None:
        """Replace the whole project by a fresh initial state (ids restart)."""
        with self.store.lock:
            self.settings = state.settings
            self.pricing: Pricing = state.pricing
            self.store.clear()
            self.store.images.update({image.id: system_image(image) for image in catalog.SYSTEM_IMAGES})
            now = self.clock.now()
            self.store.epoch = self.store.backups_scheduled_until = now
            for index, spec in enumerate(state.servers):
                self._add_server(spec, index, now)
            self._settle()

    def update_settings(self, settings: Settings) -> None:
        """Change the simulation settings without touching the state."""
        with self.store.lock:
            self._settle()
            self.settings = settings

    @operation
    def snapshot_state(self) -> StateSnapshot:
        """Copies of every server, image, action, invisible lock and SSH key."""
        store = self.store
        return StateSnapshot(
            time=self.clock.now(),
            servers=list(store.servers.values()),
            images=list(store.images.values()),
            actions=list(store.actions.values()),
            hidden_locks=[HiddenLock(server_id, until) for server_id, until in store.hidden_locks.items()],
            settings=self.settings,
            ssh_keys=list(store.ssh_keys.values()),
        )

    @property
    def server_count(self) -> int:
        """How many servers exist."""
        with self.store.lock:
            return len(self.store.servers)

    def render_server(self, server: Server) -> dict[str, Any]:
        """A server as the API renders it under the current settings."""
        return server.to_json(datacenter=self.settings.datacenters == "present")
