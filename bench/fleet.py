"""The benchmark's fleet: seeded servers, their disks and locks, the simulator spec, the ideal, the inventory.

Durations are in simulated seconds; the simulator divides them by ``--speed``. A fifth of the servers are locked
by another client's action (``backup`` or ``rebuild``) from the moment the fleet is loaded, for 5 to 60 s; a
snapshot takes ``snapshot_seconds_base + snapshot_seconds_per_gb * disk``. No tool can finish before the largest,
over the servers, of lock release plus snapshot duration: that is the ideal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hcloud_sim.settings import Settings as SimSettings

# Disk sizes (GB) of the fleet and a server type of the simulator's catalogue to go with each.
DISK_TYPES: dict[int, str] = {20: "cx22", 40: "cx22", 80: "cx32", 160: "cx42", 240: "cpx41", 320: "cx52", 360: "cpx51"}
LOCK_COMMANDS = ("backup", "rebuild")
LOCATIONS = ("fsn1", "nbg1", "hel1")


@dataclass(frozen=True)
class Timings:
    """Every duration of the benchmark, in simulated seconds, and the simulator's speed and latency."""

    speed: float = 6.0
    snapshot_seconds_base: float = 20.0
    snapshot_seconds_per_gb: float = 0.3
    lock_seconds_min: int = 5
    lock_seconds_max: int = 60
    locked_fraction: float = 0.2
    latency_ms: int = 30
    rate_limit: int = 3600
    baseline_poll_seconds: float = 5.0

    def snapshot_seconds(self, disk: int) -> float:
        """How long (simulated seconds) a snapshot of a disk of ``disk`` GB takes."""
        return self.simulator_settings().snapshot_seconds(disk)

    def simulator_settings(self) -> SimSettings:
        """The simulator's settings for these timings: its own formula gives the durations."""
        return SimSettings(snapshot_seconds_base=self.snapshot_seconds_base, snapshot_seconds_per_gb=self.snapshot_seconds_per_gb)

    def real(self, simulated: float) -> float:
        """Real seconds for a simulated duration."""
        return simulated / self.speed

    def describe(self) -> str:
        """One line for the report."""
        low, high = self.snapshot_seconds(min(DISK_TYPES)), self.snapshot_seconds(max(DISK_TYPES))
        return (
            f"speed {self.speed:g} (simulated s per real s); snapshots {self.snapshot_seconds_base:g} s + {self.snapshot_seconds_per_gb:g} s/GB "
            f"({low:g} to {high:g} s simulated for {min(DISK_TYPES)} to {max(DISK_TYPES)} GB disks); "
            f"{self.locked_fraction:.0%} of the servers locked (backup or rebuild) for {self.lock_seconds_min} to {self.lock_seconds_max} s simulated; "
            f"latency {self.latency_ms} ms per request (real); rate limit {self.rate_limit} requests/h; "
            f"baseline polls every {self.baseline_poll_seconds:g} s simulated ({self.real(self.baseline_poll_seconds):g} s real)"
        )


@dataclass(frozen=True)
class BenchServer:
    """One server of the benchmark fleet."""

    name: str
    disk: int
    location: str
    lock_command: str | None = None
    lock_seconds: float = 0.0

    @property
    def server_type(self) -> str:
        """A server type whose size goes with the disk."""
        return DISK_TYPES[self.disk]

    def spec(self) -> dict[str, Any]:
        """This server in the simulator's fleet spec."""
        spec: dict[str, Any] = {
            "name": self.name,
            "labels": {"backup": "daily", "bench": "fleet"},
            "server_type": self.server_type,
            "location": self.location,
            "disk": self.disk,
        }
        if self.lock_command:
            spec["locks"] = [{"command": self.lock_command, "seconds": self.lock_seconds}]
        return spec


@dataclass(frozen=True)
class BenchFleet:
    """A seeded fleet of ``size`` servers with the benchmark's timings."""

    size: int
    seed: int
    timings: Timings
    servers: tuple[BenchServer, ...] = field(default=())

    @classmethod
    def generate(cls, size: int, seed: int, timings: Timings) -> BenchFleet:
        """The same fleet for the same size and seed."""
        rng = random.Random(f"lockaware-bench-{seed}-{size}")
        disks = sorted(DISK_TYPES)
        locked = set(rng.sample(range(size), round(size * timings.locked_fraction)))
        servers = []
        for index in range(size):
            disk = rng.choice(disks)
            location = rng.choice(LOCATIONS)
            command, seconds = None, 0.0
            if index in locked:
                command = rng.choice(LOCK_COMMANDS)
                seconds = float(rng.randint(timings.lock_seconds_min, timings.lock_seconds_max))
            servers.append(BenchServer(f"srv-{index + 1:04d}", disk, location, command, seconds))
        return cls(size, seed, timings, tuple(servers))

    def spec(self) -> dict[str, Any]:
        """The initial state for ``POST /_sim/reset``."""
        return {
            "settings": {
                "snapshot_quota": 3 * self.size + 100,
                "snapshot_seconds_base": self.timings.snapshot_seconds_base,
                "snapshot_seconds_per_gb": self.timings.snapshot_seconds_per_gb,
            },
            "servers": [server.spec() for server in self.servers],
        }

    def by_name(self) -> dict[str, BenchServer]:
        """The servers by name."""
        return {server.name: server for server in self.servers}

    def snapshot_seconds(self, server: BenchServer) -> float:
        """The simulated duration of a snapshot of this server."""
        return self.timings.snapshot_seconds(server.disk)

    def ideal_seconds(self) -> float:
        """Simulated seconds until every server can have an available snapshot, at best."""
        return max(server.lock_seconds + self.snapshot_seconds(server) for server in self.servers)

    def locked_count(self) -> int:
        """How many servers start locked."""
        return sum(1 for server in self.servers if server.lock_command)

    def inventory(self, python: str) -> dict[str, Any]:
        """A static inventory (YAML-able) with one host per server, for snapshot_hosts.yml."""
        hosts = {server.name: {"hcloud_name": server.name} for server in self.servers}
        return {"all": {"hosts": hosts, "vars": {"ansible_connection": "local", "ansible_python_interpreter": python}}}

    def estimate_baseline_real_seconds(self, request_seconds: float) -> float:
        """A model of the sequential baseline's real duration, to decide whether to run it at this size.

        The script lists the servers, then per server checks its running actions, polls every
        ``baseline_poll_seconds`` while there are some, creates the snapshot and goes on; the run is over when the
        last snapshot is available.
        """
        timings = self.timings
        now = request_seconds * (1 + self.size // 50)
        poll = timings.real(timings.baseline_poll_seconds)
        finished = 0.0
        for server in self.servers:
            now += request_seconds
            release = timings.real(server.lock_seconds)
            while now < release:
                now += poll + request_seconds
            now += request_seconds
            finished = max(finished, now + timings.real(self.snapshot_seconds(server)))
        return finished
