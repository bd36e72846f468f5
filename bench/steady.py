"""The steady-state scenario: a project as a nightly ``keep: 7`` run leaves it, at real-scale durations.

Every server of the seeded fleet (``bench/fleet.py``) already holds ``KEEP`` snapshots of its series, one a night,
made as the collection makes them: the default description ``<name>-<UTC date>`` and the labels
``lockaware.hcloud/managed=true``, ``lockaware.hcloud/server=<server ID>`` and a request label; the initial
state's ``age_hours`` puts them 24, 48, ... hours back. Each server also holds one snapshot made by hand (no
labels), and every ``PROTECTED_EVERY``-th server a delete-protected snapshot of its series, older than the rest.
A fifth of the servers are locked at the start (5 to 60 s simulated), snapshots take 1 to 5 minutes simulated
(``STEADY_TIMINGS``), the simulator runs at speed 2 with the real API's settings (``actions_id_cap`` 25, 3600
requests an hour) and ``progress`` ``linear`` or ``stuck``.

A run is done when its process has exited and every server's new snapshot is available: ``wall`` is that
moment in simulated seconds from the reset (which starts the locks), against the ideal (the largest lock
release plus snapshot duration). Afterwards every server must hold exactly ``KEEP`` unprotected available
snapshots of its series (strategies that rotate), with its hand-made and protected snapshots untouched.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.fleet import BenchFleet, Timings
from bench.measure import ProcessResult, RequestStats, ServerTimeline, parse_time, request_stats, run_process, timelines
from bench.role_strategy import role_command
from bench.strategies import BIN, ROOT, StrategyOptions, command, strategy_env
from hcloud_sim.backend.store import FIRST_IDS
from hcloud_sim.launcher import SimulatorProcess

KEEP = 7
PROTECTED_EVERY = 4
HOSTS_FORKS = 50
MANAGED_LABEL = "lockaware.hcloud/managed"
SERVER_LABEL = "lockaware.hcloud/server"
REQUEST_LABEL = "lockaware.hcloud/request"
# Snapshots of 60 s (20 GB) to 298 s (360 GB) simulated: the real API's 1 to 5 minutes; speed 2.
STEADY_TIMINGS = Timings(speed=2.0, snapshot_seconds_base=46.0, snapshot_seconds_per_gb=0.7)
STEADY_STRATEGIES = ("fleet", "hosts", "baseline", "peer", "role")
DEFAULT_STEADY_STRATEGIES = ("fleet", "hosts", "baseline", "peer")
PROGRESS = ("linear", "stuck")
# The baseline never waits for an action's progress (only for the running actions of a locked server to be gone):
# progress stuck cannot change what it does, so it runs with linear progress only.
PROGRESS_BLIND = ("baseline",)
STEADY_LABELS = {
    "fleet": "snapshot_fleet.yml",
    "hosts": f"snapshot_hosts.yml (-f {HOSTS_FORKS})",
    "baseline": "baseline (sequential hcloud script, no rotation)",
    "peer": "peer (concurrent hcloud script)",
    "role": "role snapshot_host (-f 50)",
}
ROTATES = ("fleet", "hosts", "peer", "role")


@dataclass(frozen=True)
class SteadyFleet:
    """The seeded fleet, in steady state, with one ``progress`` setting."""

    fleet: BenchFleet
    progress: str
    keep: int = KEEP

    @classmethod
    def generate(cls, size: int, seed: int, progress: str, timings: Timings = STEADY_TIMINGS) -> SteadyFleet:
        """The same fleet for the same size and seed (the locks and disks of ``BenchFleet``)."""
        return cls(BenchFleet.generate(size, seed, timings), progress)

    @property
    def size(self) -> int:
        """Servers."""
        return self.fleet.size

    @property
    def timings(self) -> Timings:
        """The durations."""
        return self.fleet.timings

    def server_ids(self) -> dict[str, int]:
        """The ID each server gets at a reset: the simulator numbers them in the order of the spec."""
        return {server.name: FIRST_IDS["server"] + index for index, server in enumerate(self.fleet.servers)}

    def protected_count(self) -> int:
        """Servers with a protected snapshot of their series."""
        return len(self.fleet.servers[::PROTECTED_EVERY])

    def spec(self, now: datetime.datetime) -> dict[str, Any]:
        """The initial state: the fleet's servers and locks, each with its series, a hand-made and maybe a protected snapshot."""
        base = self.fleet.spec()
        ids = self.server_ids()
        for index, (server, spec) in enumerate(zip(self.fleet.servers, base["servers"], strict=True)):
            series = {MANAGED_LABEL: "true", SERVER_LABEL: str(ids[server.name])}
            snapshots = []
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)  # UTC: the default description's date
            for night in range(1, self.keep + 1):
                # Nightly, around 02:00 UTC, one UTC day apart: night 1 carries yesterday's date whatever the hour now (an
                # age of "about 24 h" put it on today's date after 23:30, and the run found today's snapshot made).
                made = midnight - datetime.timedelta(days=night) + datetime.timedelta(hours=2, minutes=index % 60)
                age = (now - made).total_seconds() / 3600.0
                labels = {**series, REQUEST_LABEL: uuid.UUID(int=index * 100 + night).hex}
                snapshots.append({"description": f"{server.name}-{made:%Y-%m-%d}", "labels": labels, "age_hours": age})
            snapshots.append({"description": f"{server.name} before the upgrade", "labels": {}, "age_hours": 24.0 * (2 + index % 8)})
            if index % PROTECTED_EVERY == 0:
                snapshots.append({"description": f"{server.name} golden", "labels": dict(series), "age_hours": 24.0 * 30, "protected": True})
            spec["snapshots"] = snapshots
        base["settings"].update(snapshot_quota=(self.keep + 4) * self.size + 100, progress=self.progress)
        return base

    def ideal_seconds(self) -> float:
        """Simulated seconds until every server can have its new snapshot, at best (rotation's delete is instant)."""
        return self.fleet.ideal_seconds()


def steady_command(strategy: str, steady: SteadyFleet, workdir: Path, options: StrategyOptions) -> list[str]:
    """The command line of a strategy in steady state: every rotating one with keep 7."""
    keep = str(steady.keep)
    if strategy == "fleet":
        return [*command("fleet", steady.fleet, workdir, options), "-e", f"keep={keep}"]
    if strategy == "hosts":
        inventory = workdir / f"inventory-steady-{steady.size}.yml"
        inventory.write_text(yaml.safe_dump(steady.fleet.inventory(sys.executable), sort_keys=False), encoding="utf-8")
        return [str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/snapshot_hosts.yml", "-f", str(HOSTS_FORKS), "-e", f"keep={keep}"]
    if strategy == "role":
        return [*role_command(steady.fleet, workdir), "-e", f"snapshot_host_keep={keep}"]
    if strategy == "baseline":
        return command("baseline", steady.fleet, workdir, options)
    if strategy == "peer":
        return [sys.executable, str(ROOT / "bench" / "peer_script.py"), "--keep", keep, "--label-selector", options.label_selector]
    raise ValueError(f"unknown steady strategy {strategy!r}: choose from {', '.join(STEADY_STRATEGIES)}")


@dataclass
class SteadyOutcome:
    """What a steady run left behind, server by server."""

    exact: int  # servers holding exactly ``keep`` unprotected available snapshots of their series
    over: int
    under: int
    duplicates: int  # servers with more than one snapshot made during the run
    missing: int  # servers without an available snapshot made during the run
    failed_actions: int
    foreign_lost: int  # hand-made or protected snapshots gone (must be 0)


def _is_new(image: dict[str, Any], since: datetime.datetime) -> bool:
    """Made during the run (every snapshot of the initial state is at least 23.5 hours old)."""
    return datetime.datetime.fromisoformat(image["created"]) >= since


def steady_outcome(state: dict[str, Any], steady: SteadyFleet, reset_at: float) -> SteadyOutcome:
    """Count the series, the new snapshots and the snapshots that are not ours, from the final state."""
    since = datetime.datetime.fromtimestamp(reset_at, datetime.timezone.utc) - datetime.timedelta(seconds=2)
    ids = steady.server_ids()
    snapshots = [image for image in state["images"] if image.get("type") == "snapshot"]
    by_server: dict[int, list[dict[str, Any]]] = {}
    for image in snapshots:
        by_server.setdefault((image.get("created_from") or {}).get("id"), []).append(image)
    exact = over = under = duplicates = missing = 0
    for server_id in ids.values():
        mine = by_server.get(server_id, [])
        series = [
            image
            for image in mine
            if image["status"] == "available"
            and not (image.get("protection") or {}).get("delete")
            and (image.get("labels") or {}).get(MANAGED_LABEL) == "true"
            and (image.get("labels") or {}).get(SERVER_LABEL) == str(server_id)
        ]
        exact += len(series) == steady.keep
        over += len(series) > steady.keep
        under += len(series) < steady.keep
        new = [image for image in mine if _is_new(image, since) and image["status"] in ("creating", "available")]
        duplicates += len(new) > 1
        missing += not any(image["status"] == "available" for image in new)
    descriptions = {image.get("description") for image in snapshots}
    expected = [f"{server.name} before the upgrade" for server in steady.fleet.servers]
    expected += [f"{server.name} golden" for server in steady.fleet.servers[::PROTECTED_EVERY]]
    lost = sum(1 for description in expected if description not in descriptions)
    failed = sum(1 for action in state["actions"] if action["command"] == "create_image" and action["status"] == "error")
    return SteadyOutcome(exact, over, under, duplicates, missing, failed, lost)


@dataclass
class SteadyResult:
    """One strategy on one steady fleet, measured."""

    strategy: str
    size: int
    progress: str
    command: list[str]
    ideal: float
    process: ProcessResult
    all_available: float | None
    done: float | None
    requests: RequestStats
    outcome: SteadyOutcome
    servers: dict[str, ServerTimeline]
    load: tuple[float, float]

    @property
    def ratio(self) -> float | None:
        """Done (process exited and every new snapshot available) over the ideal."""
        return None if self.done is None else self.done / self.ideal

    @property
    def available_ratio(self) -> float | None:
        """Every new snapshot available, over the ideal."""
        return None if self.all_available is None else self.all_available / self.ideal

    @property
    def failures(self) -> int:
        """Servers without their new snapshot, plus failed create_image actions."""
        return self.outcome.missing + self.outcome.failed_actions

    def poll_rate(self) -> float:
        """Requests of waiting (lock, action and image polls) per real second of the process."""
        return self.requests.polls() / max(self.process.wall, 1e-9)

    def summary(self) -> dict[str, Any]:
        """JSON-able."""
        return {
            "strategy": self.strategy,
            "size": self.size,
            "progress": self.progress,
            "command": self.command,
            "ideal_sim_s": self.ideal,
            "done_sim_s": self.done,
            "all_available_sim_s": self.all_available,
            "ratio": self.ratio,
            "available_ratio": self.available_ratio,
            "returncode": self.process.returncode,
            "timed_out": self.process.timed_out,
            "process_wall_real_s": self.process.wall,
            "cpu_s": self.process.cpu_seconds,
            "peak_rss_mb": self.process.peak_rss_mb,
            "max_processes": self.process.max_processes,
            "requests": self.requests.total,
            "requests_per_server": self.requests.per_server,
            "busiest_real_minute": self.requests.busiest_real_minute,
            "busiest_sim_minute": self.requests.busiest_sim_minute,
            "lowest_rate_limit_remaining": self.requests.lowest_remaining,
            "throttled": self.requests.throttled,
            "polls": self.requests.polls(),
            "poll_rate_per_s": self.poll_rate(),
            "errors": dict(self.requests.errors),
            "categories": self.requests.categories,
            "outcome": vars(self.outcome),
            "load": self.load,
        }


def start_args(timings: Timings) -> list[str]:
    """The simulator's options for the steady scenario."""
    return ["--fleet", "1", "--speed", f"{timings.speed:g}", "--latency-ms", str(timings.latency_ms), "--rate-limit", str(timings.rate_limit)]


def _wait_for_snapshots(servers: dict[str, ServerTimeline], reset_at: float, speed: float, limit: float) -> None:
    """Sleep until every started snapshot's computed end has passed (at most ``limit`` real seconds)."""
    ends = [timeline.snapshot_end for timeline in servers.values() if timeline.snapshot_end is not None]
    if ends:
        time.sleep(max(0.0, min(limit, reset_at + max(ends) / speed + 1.0 - time.time())))


def run_steady(sim: SimulatorProcess, steady: SteadyFleet, strategy: str, workdir: Path, options: StrategyOptions) -> SteadyResult:
    """Reset the simulator to the steady fleet, run the strategy, let its snapshots end, and measure."""
    control = sim.control
    args = steady_command(strategy, steady, workdir, options)
    load_before = os.getloadavg()[0]
    control.reset(steady.spec(datetime.datetime.now(datetime.timezone.utc)))
    reset_at = time.time()
    log = workdir / f"steady-{strategy}-{steady.size}-{steady.progress}.log"
    process = run_process(args, strategy_env(sim), ROOT, log, options.timeout)
    return measure_steady(sim, steady, strategy, args, process, reset_at, log, load_before)


def measure_steady(
    sim: SimulatorProcess, steady: SteadyFleet, strategy: str, args: list[str], process: ProcessResult, reset_at: float, log: Path, load_before: float
) -> SteadyResult:
    """What a run that ended left on one simulator reset at ``reset_at``: its requests, its snapshots once they end, the outcome."""
    control = sim.control
    speed = steady.timings.speed
    entries = control.requests()
    with gzip.open(log.with_suffix(".requests.json.gz"), "wt", encoding="utf-8") as saved:
        json.dump(entries, saved)
    servers = timelines(steady.fleet, {"servers": [{"name": name, "id": id_} for name, id_ in steady.server_ids().items()], "images": []}, entries, reset_at)
    _wait_for_snapshots(servers, reset_at, speed, limit=steady.timings.real(steady.ideal_seconds()) + 30.0)
    state = control.state()
    names = {server["name"]: server["id"] for server in state["servers"]}
    if names != steady.server_ids():
        raise RuntimeError("the simulator numbered the servers differently from the spec: the series labels are wrong")
    outcome = steady_outcome(state, steady, reset_at)
    ends = [timeline.snapshot_end for timeline in servers.values()]
    all_available = None if outcome.missing or None in ends else max(end for end in ends if end is not None)
    done = None if all_available is None else max(all_available, (process.ended - reset_at) * speed)
    last = max([process.ended] + [parse_time(entry["time"]) for entry in entries[-1:]])
    return SteadyResult(
        strategy=strategy,
        size=steady.size,
        progress=steady.progress,
        command=args,
        ideal=steady.ideal_seconds(),
        process=process,
        all_available=all_available,
        done=done,
        requests=request_stats(entries, steady.size, reset_at, speed, last),
        outcome=outcome,
        servers=servers,
        load=(load_before, os.getloadavg()[0]),
    )
