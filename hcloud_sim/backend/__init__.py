"""The simulated project: one ``Backend``, the facade the routes call, composed over one ``Store``.

The backend knows nothing about HTTP; it raises ``ApiError`` for refusals. Its operation families
(mixed into ``Backend``): ``servers`` (finding, renaming, power actions, locks of other clients),
``server_life`` (create, rebuild, protect, change type, rescue, delete), ``backups``, ``images``
(snapshots, backups, create_image), ``actions`` (reading and failing actions) and ``ssh_keys``.
They reach each other only through the collaborators ``Backend`` wires here, typed by the
protocols of ``seams``; ``settlement`` applies what time has brought before every operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..faults import FaultBook
from ..pricing import Pricing
from ..settings import Settings
from ..state_specs import InitialState
from .action_runner import ActionRunner
from .actions import ActionsFamily
from .backups import AutomaticBackups, BackupsFamily
from .images import ImageMaking, ImagesFamily
from .loading import StateLoader
from .locks import ServerLocks
from .models import Action, HiddenLock, Image, Server, SshKey
from .server_life import ServerLifeFamily
from .servers import ServerDeletion, ServerDirectory, ServersFamily
from .settlement import Settlement
from .ssh_keys import KeyDirectory, SshKeysFamily
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


class Backend(ServersFamily, ServerLifeFamily, BackupsFamily, ImagesFamily, ActionsFamily, SshKeysFamily):
    """The state of one simulated project and its operations."""

    def __init__(self, clock: Clock, state: InitialState, faults: FaultBook | None = None) -> None:
        self.clock = clock
        self.faults = faults or FaultBook()
        self.store = store = Store(self._settle)
        self.server_lookup = servers = ServerDirectory(store, clock)
        self.image_records = images = ImageMaking(store)
        self.action_starter = self.action_finisher = runner = ActionRunner(store, clock, self.faults, servers, images)
        self.server_removal = ServerDeletion(store, clock, runner)
        self.server_locking = locks = ServerLocks(store, clock, servers, runner, images)
        self.key_resolver = KeyDirectory(store)
        self.settlement = Settlement(store, clock, runner, locks, AutomaticBackups(store, clock))
        self.loader = StateLoader(store, clock, images)
        self.reset(state)

    @property
    def settings(self) -> Settings:
        """The simulation settings (the store's)."""
        return self.store.settings

    @property
    def pricing(self) -> Pricing:
        """The project's prices (the store's)."""
        return self.store.pricing

    def _settle(self) -> None:
        self.settlement.settle()

    def reset(self, state: InitialState) -> None:
        """Replace the whole project by a fresh initial state (ids restart)."""
        with self.store.lock:
            self.loader.load(state)
            self._settle()

    def update_settings(self, settings: Settings) -> None:
        """Change the simulation settings without touching the state."""
        with self.store.lock:
            self._settle()
            self.store.settings = settings

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
