"""An initial state once parsed: its servers, their snapshots and locks, its settings and prices (``initial_state`` parses)."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import catalog
from .pricing import Pricing
from .settings import Settings


@dataclass(frozen=True)
class ImageSpec:
    """The image a ``create_image`` lock makes."""

    description: str | None = None
    labels: dict[str, str] | None = None
    type: str = "snapshot"


@dataclass(frozen=True)
class LockSpec:
    """A running action started by another client: ``seconds`` long, ``delay`` after the previous one.

    ``visible: false`` is a lock the API shows no action for: new actions answer 423 ``locked``
    for ``seconds``, but the server lists nothing running.
    """

    command: str
    seconds: float
    delay: float = 0.0
    image: ImageSpec | None = None
    fail: dict[str, str] | None = None
    visible: bool = True


@dataclass(frozen=True)
class SnapshotSpec:
    """An image that already exists when the initial state is loaded."""

    description: str
    labels: dict[str, str]
    age_hours: float = 24.0
    protected: bool = False
    type: str = "snapshot"
    image_size: float | None = None


@dataclass(frozen=True)
class ServerSpec:
    """One server of the project."""

    name: str
    labels: dict[str, str]
    status: str = "running"
    server_type: str = "cx22"
    location: str = "fsn1"
    disk: int | None = None
    backup_window: str | None = None
    image: str = "ubuntu-24.04"
    delete_protected: bool = False
    rebuild_protected: bool = False
    locks: tuple[LockSpec, ...] = ()
    snapshots: tuple[SnapshotSpec, ...] = ()

    @property
    def disk_size(self) -> int:
        """The primary disk size in GB (the server type's disk unless ``disk`` is given)."""
        server_type = catalog.server_type(self.server_type)
        return self.disk if self.disk is not None else (server_type.disk if server_type else 40)


@dataclass(frozen=True)
class InitialState:
    """What a project holds when the simulator loads it: servers, settings and prices."""

    servers: tuple[ServerSpec, ...]
    settings: Settings
    pricing: Pricing = field(default_factory=Pricing)
