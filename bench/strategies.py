"""The strategies compared, and one measured run of a strategy on a freshly reset simulator.

- ``baseline``: ``bench/baseline_script.py``, the sequential script with the ``hcloud`` library;
- ``hosts``: ``playbooks/snapshot_hosts.yml`` over a static inventory of the fleet, with ``-f`` forks;
- ``fleet``: ``playbooks/snapshot_fleet.yml``, the lookup and one module task for the whole fleet;
- ``role``: ``roles/snapshot_host`` on every host, one task per host (``bench/role_strategy.py``).

The playbooks run with ``ansible-playbook`` from the virtual environment, the collection found through
``ANSIBLE_COLLECTIONS_PATH=.tmp/collections`` (a link to this checkout), and ``HCLOUD_ENDPOINT``/``HCLOUD_TOKEN``
pointing at the simulator.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.fleet import BenchFleet
from bench.measure import (
    ProcessResult,
    RequestStats,
    ServerTimeline,
    SnapshotCounts,
    request_stats,
    run_process,
    snapshot_counts,
    timelines,
    watch_until_available,
)
from bench.role_strategy import ROLE_LABEL, role_command
from hcloud_sim.launcher import SimulatorProcess

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".tmp" / "collections"
COLLECTION_LINK = COLLECTIONS / "ansible_collections" / "lockaware" / "hcloud"
BIN = Path(sys.executable).parent
STRATEGIES = ("baseline", "hosts", "fleet", "role")
LABELS = {
    "baseline": "baseline (sequential hcloud script)",
    "hosts": "snapshot_hosts.yml",
    "fleet": "snapshot_fleet.yml",
    "role": ROLE_LABEL,
}


@dataclass(frozen=True)
class StrategyOptions:
    """How the strategies are launched."""

    forks: int = 20
    fleet_concurrency: int | None = None
    label_selector: str = "backup=daily"
    timeout: float = 900.0


def fleet_concurrency(options: StrategyOptions) -> int | None:
    """The concurrency snapshot_fleet.yml runs with: the option, else the playbook's default, else the module's (None if unknown)."""
    if options.fleet_concurrency:
        return options.fleet_concurrency
    playbook = (ROOT / "playbooks" / "snapshot_fleet.yml").read_text(encoding="utf-8")
    match = re.search(r"concurrency:\s*\"\{\{\s*concurrency\s*\|\s*default\((\d+)\)", playbook)
    if match:
        return int(match.group(1))
    tree = ast.parse((ROOT / "plugins" / "modules" / "snapshot.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "concurrency" and isinstance(node.value, ast.Dict):
            spec = {key.value: value for key, value in zip(node.value.keys, node.value.values, strict=True) if isinstance(key, ast.Constant)}
            default = spec.get("default")
            if isinstance(default, ast.Constant) and isinstance(default.value, int):
                return default.value
    return None


def ensure_collection_link() -> Path:
    """``.tmp/collections/ansible_collections/lockaware/hcloud`` -> the checkout (made if missing)."""
    if not COLLECTION_LINK.exists():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        COLLECTION_LINK.symlink_to(ROOT)
    return COLLECTIONS


def strategy_env(sim: SimulatorProcess) -> dict[str, str]:
    """The environment of a strategy's process."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "HCLOUD_ENDPOINT": sim.url,
        "HCLOUD_TOKEN": sim.token,
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
    }


def command(strategy: str, fleet: BenchFleet, workdir: Path, options: StrategyOptions) -> list[str]:
    """The command line of a strategy."""
    if strategy == "baseline":
        poll = fleet.timings.real(fleet.timings.baseline_poll_seconds)
        return [sys.executable, str(ROOT / "bench" / "baseline_script.py"), "--poll", f"{poll:g}"]
    if strategy == "hosts":
        inventory = workdir / f"inventory-{fleet.size}.yml"
        inventory.write_text(yaml.safe_dump(fleet.inventory(sys.executable), sort_keys=False), encoding="utf-8")
        return [str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/snapshot_hosts.yml", "-f", str(options.forks)]
    if strategy == "fleet":
        args = [str(BIN / "ansible-playbook"), "playbooks/snapshot_fleet.yml", "-e", f"label_selector={options.label_selector}"]
        if options.fleet_concurrency:
            args += ["-e", f"concurrency={options.fleet_concurrency}"]
        return args
    if strategy == "role":
        return role_command(fleet, workdir)
    raise ValueError(f"unknown strategy {strategy!r}: choose from {', '.join(STRATEGIES)}")


@dataclass
class RunResult:
    """One strategy on one fleet size, measured."""

    strategy: str
    size: int
    command: list[str]
    ideal: float
    process: ProcessResult
    all_available: float | None
    observed_all_available: float | None
    requests: RequestStats
    counts: SnapshotCounts
    servers: dict[str, ServerTimeline]
    log_path: Path
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def ratio(self) -> float | None:
        """Time until every snapshot was available, over the ideal."""
        return None if self.all_available is None else self.all_available / self.ideal

    @property
    def failures(self) -> int:
        """Servers left without an available snapshot, plus failed create_image actions."""
        return self.counts.missing + self.counts.failed_actions

    def summary(self) -> dict[str, Any]:
        """A JSON-able summary (for the raw results file)."""
        return {
            "strategy": self.strategy,
            "size": self.size,
            "command": self.command,
            "ideal_sim_s": self.ideal,
            "all_available_sim_s": self.all_available,
            "observed_all_available_sim_s": self.observed_all_available,
            "ratio": self.ratio,
            "returncode": self.process.returncode,
            "timed_out": self.process.timed_out,
            "process_wall_real_s": self.process.wall,
            "cpu_s": self.process.cpu_seconds,
            "peak_rss_mb": self.process.peak_rss_mb,
            "max_processes": self.process.max_processes,
            "requests": self.requests.total,
            "requests_per_server": self.requests.per_server,
            "busiest_sim_minute": self.requests.busiest_sim_minute,
            "busiest_real_minute": self.requests.busiest_real_minute,
            "lowest_rate_limit_remaining": self.requests.lowest_remaining,
            "throttled": self.requests.throttled,
            "errors": dict(self.requests.errors),
            "categories": self.requests.categories,
            "snapshots": vars(self.counts),
            "load_before": self.load_before,
            "load_after": self.load_after,
            "servers": {name: vars(timeline) for name, timeline in self.servers.items()},
        }


def run_strategy(sim: SimulatorProcess, fleet: BenchFleet, strategy: str, workdir: Path, options: StrategyOptions) -> RunResult:
    """Reset the simulator to the fleet, run the strategy, wait for every snapshot (or give up), and measure."""
    control = sim.control
    speed = fleet.timings.speed
    args = command(strategy, fleet, workdir, options)
    load_before = os.getloadavg()
    control.reset(fleet.spec())
    t0 = time.time()
    process = run_process(args, strategy_env(sim), ROOT, process_log(workdir, strategy, fleet.size), options.timeout)
    server_ids = {server["id"] for server in control.state()["servers"]}
    longest = max(fleet.timings.real(fleet.snapshot_seconds(server)) for server in fleet.servers)
    deadline = max(process.ended + longest + 10.0, t0 + fleet.timings.real(fleet.ideal_seconds()) + 10.0)
    seen = watch_until_available(control, server_ids, deadline, interval=max(1.0, fleet.size / 100))
    state = control.state()
    entries = control.requests()
    end = max(process.ended, seen or time.time())
    servers = timelines(fleet, state, entries, t0)
    counts = snapshot_counts(state, set(fleet.by_name()))
    ends = [timeline.snapshot_end for timeline in servers.values()]
    all_available = None if counts.missing or None in ends else max(end for end in ends if end is not None)
    return RunResult(
        strategy=strategy,
        size=fleet.size,
        command=args,
        ideal=fleet.ideal_seconds(),
        process=process,
        all_available=all_available,
        observed_all_available=None if seen is None else (seen - t0) * speed,
        requests=request_stats(entries, fleet.size, t0, speed, end),
        counts=counts,
        servers=servers,
        log_path=process_log(workdir, strategy, fleet.size),
        load_before=load_before,
        load_after=os.getloadavg(),
    )


def process_log(workdir: Path, strategy: str, size: int) -> Path:
    """Where a strategy's output goes."""
    return workdir / f"{strategy}-{size}.log"
