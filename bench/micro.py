"""Two smaller benchmarks: the lookup over a large fleet, and the per-task overhead of the snapshot module.

1. ``query('lockaware.hcloud.servers')`` over 1000 servers at 50 ms latency, called through ansible's plugin
   loader (the lookup's own code path, in this process), against ``hcloud.Client.servers.get_all()`` (the pages
   one after the other). The same is repeated at 0 ms latency: that is the simulator's and the client's CPU
   alone, the floor under both.
2. One snapshot of an unlocked server as an Ansible task: ``lockaware.hcloud.snapshot`` with ``wait: false``
   against an ``ansible.builtin.uri`` task that sends the same single POST. Each is a one-task playbook; the
   task's duration comes from ``bench/callbacks/task_timer.py``, the playbook's from the wall clock.
"""

from __future__ import annotations

import functools
import json
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcloud

from bench.strategies import BIN, ROOT, ensure_collection_link, strategy_env
from hcloud_sim.launcher import SimulatorProcess, start_simulator


def median(values: list[float]) -> float:
    """The median (0 for none)."""
    return statistics.median(values) if values else 0.0


@dataclass
class LookupResult:
    """The lookup against the pages in order, at the benchmark's latency and at none."""

    servers: int
    latency_ms: int
    lookup_seconds: list[float] = field(default_factory=list)
    pages_seconds: list[float] = field(default_factory=list)
    lookup_requests: int = 0
    pages_requests: int = 0
    floor_lookup_seconds: list[float] = field(default_factory=list)
    floor_pages_seconds: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many times faster the lookup is (medians)."""
        return median(self.pages_seconds) / median(self.lookup_seconds)

    def summary(self) -> dict[str, Any]:
        """JSON-able."""
        return dict(vars(self), ratio=self.ratio)


@functools.cache
def _lookup_plugin() -> Any:
    from ansible.plugins.loader import init_plugin_loader, lookup_loader  # noqa: PLC0415 - ansible is only needed here

    init_plugin_loader([str(ensure_collection_link())])
    return lookup_loader.get("lockaware.hcloud.servers")


def _time_lookups(sim: SimulatorProcess, repetitions: int) -> tuple[list[float], list[float], int, int]:
    plugin = _lookup_plugin()
    lookup_times, pages_times, lookup_requests, pages_requests = [], [], 0, 0
    for _unused in range(repetitions):
        sim.control.clear_requests()
        started = time.perf_counter()
        found = plugin.run([], variables={}, api_token=sim.token, api_endpoint=sim.url)
        lookup_times.append(time.perf_counter() - started)
        lookup_requests = len(sim.control.requests())
        sim.control.clear_requests()
        client = hcloud.Client(token=sim.token, api_endpoint=sim.url)
        started = time.perf_counter()
        listed = client.servers.get_all()
        pages_times.append(time.perf_counter() - started)
        pages_requests = len(sim.control.requests())
        if len(found) != len(listed) or sim.servers != len(found):
            raise RuntimeError(f"the lookup found {len(found)} servers, the library {len(listed)}, the simulator has {sim.servers}")
    return lookup_times, pages_times, lookup_requests, pages_requests


def lookup_benchmark(servers: int = 1000, latency_ms: int = 50, repetitions: int = 5, seed: int = 1) -> LookupResult:
    """Time both ways of listing the servers on simulators of ``servers`` servers, with and without latency."""
    result = LookupResult(servers, latency_ms)
    base = ["--fleet", str(servers), "--seed", str(seed), "--rate-limit", "1000000"]
    with start_simulator([*base, "--latency-ms", str(latency_ms)]) as sim:
        _time_lookups(sim, 1)  # warm up: imports, connection pools
        result.lookup_seconds, result.pages_seconds, result.lookup_requests, result.pages_requests = _time_lookups(sim, repetitions)
    with start_simulator([*base, "--latency-ms", "0"]) as sim:
        result.floor_lookup_seconds, result.floor_pages_seconds = _time_lookups(sim, repetitions)[:2]
    return result


@dataclass
class TaskOverheadResult:
    """Our snapshot task against a uri task making the same POST."""

    repetitions: int
    snapshot_task: list[float] = field(default_factory=list)
    uri_task: list[float] = field(default_factory=list)
    snapshot_playbook: list[float] = field(default_factory=list)
    uri_playbook: list[float] = field(default_factory=list)
    snapshot_requests: list[int] = field(default_factory=list)
    uri_requests: list[int] = field(default_factory=list)

    @property
    def task_ratio(self) -> float:
        """Median task time of ours over the uri task's."""
        return median(self.snapshot_task) / median(self.uri_task)

    @property
    def playbook_ratio(self) -> float:
        """Median playbook wall time of ours over the uri playbook's."""
        return median(self.snapshot_playbook) / median(self.uri_playbook)

    def summary(self) -> dict[str, Any]:
        """JSON-able."""
        return dict(vars(self), task_ratio=self.task_ratio, playbook_ratio=self.playbook_ratio)


def _one_task(sim: SimulatorProcess, playbook: str, server: dict[str, Any], workdir: Path, tag: str) -> tuple[float, float, int]:
    times_file = workdir / f"task-times-{tag}.json"
    env = dict(
        strategy_env(sim),
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "bench" / "callbacks"),
        ANSIBLE_CALLBACKS_ENABLED="task_timer",
        BENCH_TASK_TIMES=str(times_file),
    )
    args = [str(BIN / "ansible-playbook"), f"bench/playbooks/{playbook}", "-e", f"server={server['name']}", "-e", f"server_id={server['id']}"]
    sim.control.clear_requests()
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{playbook} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    tasks = json.loads(times_file.read_text(encoding="utf-8"))
    return tasks[-1]["seconds"], wall, len(sim.control.requests())


def task_overhead_benchmark(sim: SimulatorProcess, workdir: Path, repetitions: int = 5) -> TaskOverheadResult:
    """Alternate the two one-task playbooks on fresh unlocked servers (one warm-up run of each first)."""
    count = 2 * (repetitions + 1)
    sim.control.reset({"servers": [{"name": f"one-{index:02d}", "disk": 40} for index in range(count)], "settings": {"snapshot_quota": 100}})
    servers = sorted(sim.control.state()["servers"], key=lambda server: server["name"])
    result = TaskOverheadResult(repetitions)
    for index in range(repetitions + 1):
        order = [("snapshot_task.yml", servers[2 * index]), ("uri_task.yml", servers[2 * index + 1])]
        if index % 2:
            order.reverse()
        for playbook, server in order:
            task, wall, requests = _one_task(sim, playbook, server, workdir, f"{index}-{playbook}")
            if index == 0:
                continue
            if playbook == "snapshot_task.yml":
                result.snapshot_task.append(task)
                result.snapshot_playbook.append(wall)
                result.snapshot_requests.append(requests)
            else:
                result.uri_task.append(task)
                result.uri_playbook.append(wall)
                result.uri_requests.append(requests)
    return result
