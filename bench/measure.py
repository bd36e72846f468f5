"""Measurements: a strategy's process (wall time, CPU, memory), the simulator's state, and its request log.

The harness never talks to the public API while it measures: it watches ``GET /_sim/state`` (control routes are
not in the request log and are not rate limited), so every logged request is one the strategy made.

When a snapshot is available is computed, not sampled: the simulator starts the ``create_image`` action when it
answers the POST (its time is in the request log, to the millisecond) and ends it ``base + per_gb * disk``
simulated seconds later. The state is still watched to know when every snapshot is there, and to check that the
computed times agree with it.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import subprocess
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.fleet import BenchFleet
from hcloud_sim.launcher import SimControl

PAGE_SIZE = 4096


@dataclass
class ProcessResult:
    """How a strategy's process ran."""

    returncode: int | None
    started: float
    ended: float
    cpu_seconds: float
    peak_rss_mb: float
    max_child_rss_mb: float
    max_processes: int
    timed_out: bool = False

    @property
    def wall(self) -> float:
        """Real seconds from start to exit."""
        return self.ended - self.started


class TreeSampler(threading.Thread):
    """Samples, from /proc, the total resident memory and the number of processes of a process tree."""

    def __init__(self, root_pid: int, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.interval = interval
        self.peak_rss = 0
        self.max_processes = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self._stop_event.is_set():
            pids = tree_pids(self.root_pid)
            self.peak_rss = max(self.peak_rss, sum(rss_bytes(pid) for pid in pids))
            self.max_processes = max(self.max_processes, len(pids))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        """Stop sampling."""
        self._stop_event.set()
        self.join()


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry))
    return children


def tree_pids(root: int) -> list[int]:
    """The process and all its descendants that exist now."""
    children = _children_by_parent()
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def kill_tree(pid: int) -> None:
    """SIGKILL a process, its process group and every descendant, also those in a session of their own (ansible-runner
    starts ansible-playbook on a pty of its own)."""
    descendants = tree_pids(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for descendant in reversed(descendants):
        with contextlib.suppress(ProcessLookupError):
            os.kill(descendant, signal.SIGKILL)


def wait_or_kill(process: subprocess.Popen[Any], timeout: float) -> tuple[int | None, bool]:
    """Wait for a process started with ``start_new_session``; after ``timeout`` kill it and all it started: ``(returncode, timed_out)``."""
    try:
        return process.wait(timeout), False
    except subprocess.TimeoutExpired:
        kill_tree(process.pid)
        process.wait()
        return None, True


def run_process(command: list[str], env: dict[str, str], cwd: Path, log_path: Path, timeout: float) -> ProcessResult:
    """Run a command to its end (or kill its process group after ``timeout``), measuring CPU and memory.

    CPU is the delta of ``getrusage(RUSAGE_CHILDREN)`` around the process (it includes every descendant the
    process waited for, e.g. ansible's forks and module processes). Memory is the peak of the tree's summed RSS,
    sampled from /proc every 0.25 s, and the largest single descendant's ``ru_maxrss``.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log_path.open("w", encoding="utf-8") as log:
        started = time.time()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        sampler = TreeSampler(process.pid)
        sampler.start()
        returncode, timed_out = wait_or_kill(process, timeout)
        ended = time.time()
        sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ProcessResult(returncode, started, ended, cpu, sampler.peak_rss / 2**20, after.ru_maxrss / 1024, sampler.max_processes, timed_out)


def available_snapshots(state: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """Snapshots (creating or available) by the id of the server they were made from."""
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for image in state["images"]:
        created_from = image.get("created_from") or {}
        if image.get("type") == "snapshot" and created_from.get("id") is not None and image.get("status") in ("creating", "available"):
            found[created_from["id"]].append(image)
    return found


def watch_until_available(control: SimControl, server_ids: set[int], deadline: float, interval: float) -> float | None:
    """Poll the simulator's state until every server has an available snapshot; returns when that was seen (or None)."""
    while True:
        state = control.state()
        snapshots = available_snapshots(state)
        if all(any(image["status"] == "available" for image in snapshots.get(server_id, [])) for server_id in server_ids):
            return time.time()
        if time.time() >= deadline:
            return None
        time.sleep(interval)


def parse_time(text: str) -> float:
    """A request log or API timestamp as a UNIX time."""
    return datetime.fromisoformat(text).timestamp()


_SERVER_PATH = re.compile(r"^/v1/servers/(\d+)(/.*)?$")

# Request categories, in the order they are shown.
CATEGORIES = (
    "server list pages",
    "server lookup by name",
    "server by id",
    "running actions of one server",
    "running actions of all servers",
    "create_image",
    "snapshot list pages",
    "snapshot lookup by request label",
    "image poll",
    "action poll (one)",
    "action poll (batch)",
    "other",
)

POLL_CATEGORIES = ("running actions of one server", "running actions of all servers", "image poll", "action poll (one)", "action poll (batch)")


# (method, path pattern, category) for the requests whose category the path alone decides; first match wins.
_RULES = (
    ("POST", re.compile(r"^/v1/servers/\d+/actions/create_image$"), "create_image"),
    ("GET", re.compile(r"^/v1/servers/actions$"), "running actions of all servers"),
    ("GET", re.compile(r"^/v1/servers/\d+/actions$"), "running actions of one server"),
    ("GET", re.compile(r"^/v1/servers/\d+$"), "server by id"),
    ("GET", re.compile(r"^/v1/images/\d+$"), "image poll"),
    ("GET", re.compile(r"^/v1/actions/\d+$"), "action poll (one)"),
    ("GET", re.compile(r"^/v1/actions$"), "action poll (batch)"),
)


def categorise(entry: dict[str, Any]) -> str:
    """What a logged request was for."""
    method, path, query = entry["method"], entry["path"], entry.get("query") or {}
    if method == "GET" and path == "/v1/servers":
        return "server lookup by name" if "name" in query else "server list pages"
    if method == "GET" and path == "/v1/images":
        selector = ",".join(query.get("label_selector", []))
        return "snapshot lookup by request label" if "lockaware.hcloud/request" in selector else "snapshot list pages"
    return next((category for rule_method, pattern, category in _RULES if method == rule_method and pattern.match(path)), "other")


def busiest_window(times: list[float], window: float) -> int:
    """The most requests in any ``window`` seconds (times sorted)."""
    best = 0
    for index, start in enumerate(times):
        best = max(best, bisect_right(times, start + window) - index)
    return best


def rate_series(times: list[float], t0: float, speed: float, end: float, step: float = 5.0) -> list[tuple[float, int]]:
    """Requests in the trailing simulated minute, sampled every ``step`` simulated seconds: ``(sim seconds, count)``."""
    window = 60.0 / speed
    series = []
    sim = 0.0
    while t0 + sim / speed <= end + step / speed:
        now = t0 + sim / speed
        series.append((sim, bisect_right(times, now) - bisect_left(times, now - window)))
        sim += step
    return series


@dataclass
class RequestStats:
    """What the request log says about one run."""

    total: int
    per_server: float
    busiest_sim_minute: int
    busiest_real_minute: int
    lowest_remaining: int | None
    throttled: int
    errors: Counter[str]
    categories: dict[str, int]
    rate: list[tuple[float, int]] = field(default_factory=list)

    def category_per_server(self, size: int) -> dict[str, float]:
        """Each category's requests per server."""
        return {name: self.categories.get(name, 0) / size for name in CATEGORIES if self.categories.get(name)}

    def polls(self) -> int:
        """Requests that poll (running actions, actions, images)."""
        return sum(self.categories.get(name, 0) for name in POLL_CATEGORIES)


def request_stats(entries: list[dict[str, Any]], size: int, t0: float, speed: float, end: float) -> RequestStats:
    """Totals, per server, the busiest minute (simulated and real), the lowest RateLimit-Remaining, categories."""
    times = sorted(parse_time(entry["time"]) for entry in entries)
    remaining = [entry["rate_limit_remaining"] for entry in entries if entry.get("rate_limit_remaining") is not None]
    errors = Counter(f"{entry['status']} {categorise(entry)}" for entry in entries if entry["status"] is None or entry["status"] >= 400)
    return RequestStats(
        total=len(entries),
        per_server=len(entries) / size,
        busiest_sim_minute=busiest_window(times, 60.0 / speed),
        busiest_real_minute=busiest_window(times, 60.0),
        lowest_remaining=min(remaining) if remaining else None,
        throttled=sum(1 for entry in entries if entry["status"] == 429),
        errors=errors,
        categories=dict(Counter(categorise(entry) for entry in entries)),
        rate=rate_series(times, t0, speed, end),
    )


@dataclass
class ServerTimeline:
    """One server in one run, in simulated seconds from the fleet's load.

    ``lock_end``: its lock was released; ``create_start``/``snapshot_end``: its snapshot ran; ``first_request``: the
    first request naming it; ``last_image_read``: the last read of its new snapshot (``GET /images/{id}``), which is
    when the tool saw it available (the library's baseline never reads it).
    """

    name: str
    lock_end: float
    create_start: float | None
    snapshot_end: float | None
    first_request: float | None
    last_image_read: float | None


_IMAGE_PATH = re.compile(r"^/v1/images/(\d+)$")


def timelines(fleet: BenchFleet, state: dict[str, Any], entries: list[dict[str, Any]], t0: float) -> dict[str, ServerTimeline]:
    """Each server's timeline, from the first accepted create_image in the request log and the snapshot's duration."""
    speed = fleet.timings.speed
    ids = {server["name"]: server["id"] for server in state["servers"]}
    image_server = {image["id"]: (image.get("created_from") or {}).get("id") for image in state["images"]}
    first_create: dict[int, float] = {}
    first_seen: dict[int, float] = {}
    last_read: dict[int, float] = {}
    for entry in entries:
        at = parse_time(entry["time"])
        names = (entry.get("query") or {}).get("name") if entry["path"] == "/v1/servers" else None
        if names and names[0] in ids:
            first_seen.setdefault(ids[names[0]], at)
        image = _IMAGE_PATH.match(entry["path"])
        if image and entry["method"] == "GET" and image_server.get(int(image.group(1))) is not None:
            last_read[image_server[int(image.group(1))]] = at
        match = _SERVER_PATH.match(entry["path"])
        if not match:
            continue
        server_id = int(match.group(1))
        first_seen.setdefault(server_id, at)
        if categorise(entry) == "create_image" and entry["status"] == 201:
            first_create.setdefault(server_id, at)

    def sim(at: float | None) -> float | None:
        return None if at is None else (at - t0) * speed

    result = {}
    for server in fleet.servers:
        server_id = ids[server.name]
        create_start = sim(first_create.get(server_id))
        end = None if create_start is None else create_start + fleet.snapshot_seconds(server)
        result[server.name] = ServerTimeline(server.name, server.lock_seconds, create_start, end, sim(first_seen.get(server_id)), sim(last_read.get(server_id)))
    return result


@dataclass
class SnapshotCounts:
    """What the run left behind: snapshots created, servers with more than one, servers without an available one."""

    created: int
    duplicates: int
    missing: int
    failed_actions: int


def snapshot_counts(state: dict[str, Any], server_names: set[str]) -> SnapshotCounts:
    """Count the run's snapshots from the final state (the fleet starts without any)."""
    ids = {server["id"] for server in state["servers"] if server["name"] in server_names}
    snapshots = available_snapshots(state)
    created = sum(len(snapshots.get(server_id, [])) for server_id in ids)
    duplicates = sum(max(0, len(snapshots.get(server_id, [])) - 1) for server_id in ids)
    missing = sum(1 for server_id in ids if not any(image["status"] == "available" for image in snapshots.get(server_id, [])))
    failed = sum(1 for action in state["actions"] if action["command"] == "create_image" and action["status"] == "error")
    return SnapshotCounts(created, duplicates, missing, failed)
