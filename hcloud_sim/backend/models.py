"""The records of a simulated project: servers, images, actions, SSH keys, locks.

Plain dataclasses and how the API renders them (``to_json``); they know nothing of the store or of
each other's operations. Fields the API does not show (``Action.fail_with``, ``Server.ssh_key_ids``)
are the simulator's own.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .. import catalog
from ..clock import isoformat
from ..state_specs import LockSpec

BACKUP_SLOTS = 7  # a server with backups keeps its seven newest (OpenAPI, enable_backup: "seven slots")


@dataclass
class ScheduledLock:
    """A lock of the initial state that starts at ``start_at`` (real UNIX time)."""

    start_at: float
    server_id: int
    spec: LockSpec


@dataclass
class Action:
    """An asynchronous task. Simulation-only fields say how it ends and what it changes."""

    id: int
    command: str
    started: float
    ends_at: float
    resources: list[dict[str, Any]]
    status: str = "running"
    progress: int = 0
    finished: float | None = None
    error: dict[str, str] | None = None
    fail_with: dict[str, str] | None = None
    server_id: int | None = None
    image_id: int | None = None
    server_status_after: str | None = None
    then_locked_by: int | None = None  # the action that holds the server's lock after this one (create_server -> start_server)

    def involves(self, resource_type: str, resource_id: int | None = None) -> bool:
        """Whether the action lists a resource of that type (and id)."""
        return any(item["type"] == resource_type and resource_id in (None, item["id"]) for item in self.resources)

    def progress_at(self, at: float, stuck: bool) -> int:
        """Its progress at ``at``: linear in time, at most 99 while it runs; 0 until the end when ``stuck``."""
        duration = self.ends_at - self.started
        if duration <= 0:
            return 100
        if stuck:
            return 0
        return max(0, min(99, int(100 * (at - self.started) / duration)))

    def to_json(self) -> dict[str, Any]:
        """The API's ``action`` object."""
        return {
            "id": self.id,
            "command": self.command,
            "status": self.status,
            "progress": self.progress,
            "started": isoformat(self.started),
            "finished": None if self.finished is None else isoformat(self.finished),
            "resources": [dict(item) for item in self.resources],
            "error": dict(self.error) if self.error else None,
        }

    def sim_json(self) -> dict[str, Any]:
        """``to_json`` plus what only the simulator knows (for ``GET /_sim/state``)."""
        return {**self.to_json(), "sim": {"ends_at": isoformat(self.ends_at), "fail_with": self.fail_with}}


@dataclass
class Image:
    """An image: a system image, or a snapshot/backup made from a server."""

    id: int
    type: str
    status: str
    description: str
    created: float
    disk_size: float
    labels: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    image_size: float | None = None
    created_from: dict[str, Any] | None = None
    bound_to: int | None = None
    protected: bool = False
    os_flavor: str = "unknown"
    os_version: str | None = None
    architecture: str = "x86"
    rapid_deploy: bool = False
    deprecated: float | None = None

    @property
    def is_snapshot(self) -> bool:
        """Whether the image counts against the snapshot quota."""
        return self.type == "snapshot" and self.status in ("creating", "available")

    def to_json(self) -> dict[str, Any]:
        """The API's ``image`` object."""
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "name": self.name,
            "description": self.description,
            "image_size": self.image_size,
            "disk_size": self.disk_size,
            "created": isoformat(self.created),
            "created_from": dict(self.created_from) if self.created_from else None,
            "bound_to": self.bound_to,
            "os_flavor": self.os_flavor,
            "os_version": self.os_version,
            "rapid_deploy": self.rapid_deploy,
            "protection": {"delete": self.protected},
            "deprecated": None if self.deprecated is None else isoformat(self.deprecated),
            "deleted": None,
            "labels": dict(self.labels),
            "architecture": self.architecture,
        }


def system_image(spec: catalog.SystemImage) -> Image:
    """The ``Image`` of a system image of the catalogue."""
    return Image(
        id=spec.id,
        type="system",
        status="available",
        description=spec.description,
        created=spec.created,
        disk_size=5,
        name=spec.name,
        os_flavor=spec.os_flavor,
        os_version=spec.os_version,
        rapid_deploy=True,
        deprecated=spec.deprecated,
        architecture=spec.architecture,
    )


def image_size(image: Image) -> float:
    """A deterministic 8 to 30% of the disk, in GB with two decimals."""
    share = 0.08 + (image.id * 37 % 23) / 100
    return round(image.disk_size * share, 2)


@dataclass
class Server:
    """A virtual machine."""

    id: int
    name: str
    status: str
    created: float
    server_type: str
    location: str
    primary_disk_size: int
    labels: dict[str, str] = field(default_factory=dict)
    backup_window: str | None = None
    image: Image | None = None
    delete_protected: bool = False
    rebuild_protected: bool = False
    locked: bool = False
    rescue_enabled: bool = False
    ssh_key_ids: list[int] = field(default_factory=list)  # not rendered: decides whether a rebuild sets a root password

    def to_json(self, datacenter: bool = False) -> dict[str, Any]:
        """The API's ``server`` object; ``datacenter`` only as the API had it before 2026-07-01."""
        server_type = catalog.server_type(self.server_type)
        location = catalog.location(self.location)
        if server_type is None or location is None:
            raise ValueError(f"server {self.name} refers to an unknown server type or location")
        rendered = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "created": isoformat(self.created),
            "public_net": self._public_net(),
            "private_net": [],
            "server_type": server_type.to_json(),
            "location": location.to_json(),
            "image": self.image.to_json() if self.image else None,
            "iso": None,
            "rescue_enabled": self.rescue_enabled,
            "locked": self.locked,
            "backup_window": self.backup_window,
            "outgoing_traffic": 1_000_000 * self.id % 987_654_321,
            "ingoing_traffic": 3_000_000 * self.id % 876_543_219,
            "included_traffic": 21_990_232_555_520,
            "protection": {"delete": self.delete_protected, "rebuild": self.rebuild_protected},
            "labels": dict(self.labels),
            "volumes": [],
            "load_balancers": [],
            "primary_disk_size": self.primary_disk_size,
            "placement_group": None,
        }
        if datacenter:
            rendered["datacenter"] = location.datacenter_json()
        return rendered

    def _public_net(self) -> dict[str, Any]:
        ipv4 = ipaddress.IPv4Address("198.18.0.0") + self.id % 131_072
        ipv6 = ipaddress.IPv6Network(f"2001:db8:{self.id % 65_536:x}::/64")
        reverse = ".".join(reversed(str(ipv4).split(".")))
        return {
            "ipv4": {"id": 50_000_000 + self.id, "ip": str(ipv4), "blocked": False, "dns_ptr": f"static.{reverse}.clients.your-server.de"},
            "ipv6": {"id": 60_000_000 + self.id, "ip": str(ipv6), "blocked": False, "dns_ptr": []},
            "floating_ips": [],
            "firewalls": [],
        }


@dataclass(frozen=True)
class HiddenLock:
    """A lock with no visible action, as the control API reports it."""

    server_id: int
    until: float

    def to_json(self) -> dict[str, Any]:
        """``{server_id, until, visible: false}``."""
        return {"server_id": self.server_id, "until": isoformat(self.until), "visible": False}


@dataclass
class SshKey:
    """A public key of the project."""

    id: int
    name: str
    public_key: str
    fingerprint: str
    created: float
    labels: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The API's ``ssh_key`` object."""
        return {
            "id": self.id,
            "name": self.name,
            "fingerprint": self.fingerprint,
            "public_key": self.public_key,
            "labels": dict(self.labels),
            "created": isoformat(self.created),
        }
