"""The benchmark's report: machine, timings, the fleet table, the two smaller benchmarks, the goals, the breakdowns.

Everything is Markdown, printed and written to ``docs/benchmarks.md``.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
from dataclasses import dataclass
from typing import Any

from bench.fleet import BenchFleet, Timings
from bench.measure import CATEGORIES
from bench.micro import LookupResult, TaskOverheadResult, median
from bench.role_strategy import ROLE_FORKS, host_goals
from bench.steady_report import steady_breakdown, steady_method, steady_table
from bench.strategies import LABELS, RunResult, StrategyOptions, fleet_concurrency

OURS = ("hosts", "fleet")


@dataclass
class Goal:
    """One goal of the issue and whether one run met it (``None``: not measured)."""

    text: str
    measured: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        """PASS, MISS or not measured."""
        return {True: "PASS", False: "MISS", None: "not measured"}[self.passed]


def machine_info() -> dict[str, str]:
    """What the benchmark ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            memory = f"{int(meminfo.readline().split()[1]) / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = ", ".join(f"{name} {_version(name)}" for name in ("ansible-core", "hcloud", "matplotlib"))
    return {
        "machine": f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {memory} memory",
        "python": f"Python {platform.python_version()}, {versions}",
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _baseline_time(results: list[RunResult], size: int) -> float | None:
    return next((result.all_available for result in results if result.strategy == "baseline" and result.size == size), None)


def fleet_table(results: list[RunResult], speed: float) -> str:
    """One row per size and strategy."""
    header = (
        "| servers | strategy | all snapshots available, sim s (real s) | ideal, sim s | x ideal | baseline / this | requests | per server "
        "| busiest minute, sim (real) | lowest RateLimit-Remaining | 429s | controller CPU s | peak RSS MB (processes) | created | duplicates | failures |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for result in results:
        baseline = _baseline_time(results, result.size)
        speedup = None if baseline is None or result.all_available is None or result.strategy == "baseline" else baseline / result.all_available
        available = "not all" if result.all_available is None else f"{result.all_available:.0f} ({result.all_available / speed:.1f})"
        rc = "" if result.process.returncode in (0, None) else f" (exit {result.process.returncode})"
        if result.process.timed_out:
            rc = " (timed out)"
        lines.append(
            f"| {result.size} | {LABELS[result.strategy]}{rc} | {available} | {result.ideal:.0f} | {_num(result.ratio, 2)} | {_num(speedup, 1)} "
            f"| {result.requests.total} | {result.requests.per_server:.1f} | {result.requests.busiest_sim_minute} ({result.requests.busiest_real_minute}) "
            f"| {_num(result.requests.lowest_remaining, 0)} | {result.requests.throttled} | {result.process.cpu_seconds:.1f} "
            f"| {result.process.peak_rss_mb:.0f} ({result.process.max_processes}) | {result.counts.created} | {result.counts.duplicates} | {result.failures} |"
        )
    return "\n".join(lines)


def lookup_table(lookup: LookupResult) -> str:
    """The lookup against the pages in order."""
    return "\n".join(
        [
            f"| {lookup.servers} servers | median wall s at {lookup.latency_ms} ms latency | requests | median wall s at 0 ms latency (CPU floor) |",
            "|---|---|---|---|",
            f"| `query('lockaware.hcloud.servers')` | {median(lookup.lookup_seconds):.2f} | {lookup.lookup_requests} "
            f"| {median(lookup.floor_lookup_seconds):.2f} |",
            f"| `hcloud` `client.servers.get_all()` | {median(lookup.pages_seconds):.2f} | {lookup.pages_requests} "
            f"| {median(lookup.floor_pages_seconds):.2f} |",
            f"| ratio (pages / lookup) | **{lookup.ratio:.2f}x** | | {median(lookup.floor_pages_seconds) / median(lookup.floor_lookup_seconds):.2f}x |",
        ]
    )


def task_table(task: TaskOverheadResult) -> str:
    """Our snapshot task against the uri task."""
    return "\n".join(
        [
            f"| one snapshot, unlocked server ({task.repetitions} runs each, medians) | task s | playbook wall s | requests |",
            "|---|---|---|---|",
            f"| `lockaware.hcloud.snapshot` (`wait: false`) | {median(task.snapshot_task):.2f} | {median(task.snapshot_playbook):.2f} "
            f"| {median([float(count) for count in task.snapshot_requests]):.0f} |",
            f"| `ansible.builtin.uri` POST create_image | {median(task.uri_task):.2f} | {median(task.uri_playbook):.2f} "
            f"| {median([float(count) for count in task.uri_requests]):.0f} |",
            f"| ratio | **{task.task_ratio:.2f}x** | {task.playbook_ratio:.2f}x | |",
        ]
    )


def _find(results: list[RunResult], strategy: str, size: int) -> RunResult | None:
    return next((result for result in results if result.strategy == strategy and result.size == size), None)


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _verdict(value: float | None, limit: float, at_most: bool = True) -> bool | None:
    if value is None:
        return None
    return value <= limit if at_most else value >= limit


def goals(results: list[RunResult], lookup: LookupResult | None, task: TaskOverheadResult | None) -> list[Goal]:
    """The issue's goals, for each of our two playbooks where a goal is about a fleet run."""
    found: list[Goal] = []
    for strategy in OURS:
        label = LABELS[strategy]
        at50, at200 = _find(results, strategy, 50), _find(results, strategy, 200)
        ratio50 = at50.ratio if at50 else None
        found.append(Goal(f"50 servers, {label}: at most 1.3x the ideal", _times(ratio50), _verdict(ratio50, 1.3)))
        baseline = _baseline_time(results, 50)
        speedup = None if baseline is None or at50 is None or at50.all_available is None else baseline / at50.all_available
        found.append(Goal(f"50 servers, {label}: at least 5x faster than the baseline", _times(speedup), _verdict(speedup, 5, at_most=False)))
        ratio200 = at200.ratio if at200 else None
        found.append(Goal(f"200 servers, {label}: at most 1.5x the ideal", _times(ratio200), _verdict(ratio200, 1.5)))
        runs = [result for result in results if result.strategy == strategy]
        per_server = sum(result.requests.total for result in runs) / sum(result.size for result in runs) if runs else None
        measured = f"{_num(per_server, 1)} over {len(runs)} run(s)"
        found.append(Goal(f"{label}: at most 10 API requests per server on average", measured, _verdict(per_server, 10)))
        total200 = float(at200.requests.total) if at200 else None
        found.append(Goal(f"200 servers, {label}: under 1800 requests", _num(total200, 0), _verdict(total200, 1799)))
    found += [Goal(text, measured, verdict) for text, measured, verdict in host_goals(results, LABELS)]
    servers = lookup.servers if lookup else 1000
    ratio = lookup.ratio if lookup else None
    found.append(Goal(f"lookup over {servers} servers: at least 3x faster than the pages in order", _times(ratio), _verdict(ratio, 3, at_most=False)))
    ratio = task.task_ratio if task else None
    measured = _times(ratio) + (f" (playbooks {task.playbook_ratio:.2f}x)" if task else "")
    found.append(Goal("our snapshot task at most 2x the uri task", measured, _verdict(ratio, 2)))
    return found


def goals_table(found: list[Goal]) -> str:
    """PASS/MISS per goal."""
    lines = ["| goal | measured | result |", "|---|---|---|"]
    lines += [f"| {goal.text} | {goal.measured} | **{goal.verdict}** |" for goal in found]
    return "\n".join(lines)


def breakdown_table(results: list[RunResult], strategy: str) -> str:
    """Requests per server by what they were for, for one strategy at every size."""
    runs = [result for result in results if result.strategy == strategy]
    if not runs:
        return ""
    lines = ["| requests per server | " + " | ".join(f"{run.size} servers" for run in runs) + " |", "|---" * (len(runs) + 1) + "|"]
    for category in CATEGORIES:
        if any(run.requests.categories.get(category) for run in runs):
            lines.append(f"| {category} | " + " | ".join(f"{run.requests.categories.get(category, 0) / run.size:.2f}" for run in runs) + " |")
    lines.append("| **all** | " + " | ".join(f"**{run.requests.per_server:.2f}**" for run in runs) + " |")
    lines.append("| of which polling | " + " | ".join(f"{run.requests.polls() / run.size:.2f}" for run in runs) + " |")
    return "\n".join(lines)


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f} s, max {max(values):.0f} s" if values else "none"


def diagnosis(results: list[RunResult], fleets: dict[int, BenchFleet], options: StrategyOptions) -> list[str]:
    """Measurements that explain the time of each run: when servers were started, worker limits, start-up, CPU."""
    notes = []
    for result in results:
        fleet = fleets[result.size]
        label = f"- {result.size} servers, {LABELS[result.strategy]}"
        if result.strategy == "baseline":
            snapshots = sum(fleet.snapshot_seconds(server) for server in fleet.servers)
            notes.append(
                f"{label}: {_times(result.ratio)} the ideal, so no tool can be more than {_times(result.ratio)} faster than it here (the ideal is a floor). "
                "It does not wait for the snapshots, and only a lock stalls its loop. A sequential script that also waited for each snapshot "
                f"would need at least the sum of the snapshot durations, {snapshots:.0f} s simulated ({snapshots / result.ideal:.1f}x the ideal)."
            )
            continue
        workers = ROLE_FORKS if result.strategy == "role" else (fleet_concurrency(options) or result.size)
        unlocked = [t.create_start for name, t in result.servers.items() if t.create_start is not None and not fleet.by_name()[name].lock_command]
        locked = [t.create_start - t.lock_end for name, t in result.servers.items() if t.create_start is not None and fleet.by_name()[name].lock_command]
        first = [t.first_request for t in result.servers.values() if t.first_request is not None]
        what = "forks" if result.strategy == "role" else "concurrency"
        seen = [t.last_image_read - t.snapshot_end for t in result.servers.values() if t.last_image_read is not None and t.snapshot_end is not None]
        speed = fleet.timings.speed
        seen_real = f"median {statistics.median(seen) / speed:.1f} s, max {max(seen) / speed:.1f} s real" if seen else "none"
        line = (
            f"{label} ({what} {workers}): snapshot started, unlocked servers: {_spread(unlocked)} after the start; "
            f"locked servers: {_spread(locked)} after their lock was released; first request naming a server: {_spread(first)} simulated "
            f"({_spread([value / speed for value in first])} real); "
            f"the tool saw a snapshot available {_spread(seen)} simulated after it was ({seen_real}: polling is not scaled by the speed)"
        )
        if workers < result.size:
            bound = sum(fleet.snapshot_seconds(server) for server in fleet.servers) / workers
            line += (
                f"; each of the {workers} workers holds its server until the snapshot is available (wait: true), so the run needs at least "
                f"sum(snapshot durations) / {workers} = {bound:.0f} s simulated ({bound / result.ideal:.2f}x the ideal)"
            )
        cores = os.cpu_count() or 1
        floor = result.process.cpu_seconds / cores
        line += (
            f"; controller CPU {result.process.cpu_seconds:.0f} s ({result.process.cpu_seconds / result.size:.2f} s per server): on {cores} cores "
            f"that alone is {floor:.0f} s real, {floor * speed:.0f} s simulated ({floor * speed / result.ideal:.2f}x the ideal at this speed, "
            f"{floor / result.ideal:.2f}x at speed 1); peak RSS {result.process.peak_rss_mb:.0f} MB"
        )
        notes.append(line + ".")
    return notes


def lookup_note(lookup: LookupResult) -> str:
    """Why the lookup's ratio is what it is: the simulator's CPU per page against the latency."""
    pages = -(-lookup.servers // 50)
    per_page = median(lookup.floor_pages_seconds) / pages * 1000
    ceiling = median(lookup.pages_seconds) / max(median(lookup.floor_lookup_seconds), 1e-9)
    return (
        f"Without latency the {pages} pages take {median(lookup.floor_pages_seconds):.2f} s in order "
        f"and the lookup {median(lookup.floor_lookup_seconds):.2f} s: about {per_page:.0f} ms of CPU per page of 50 servers (the simulator "
        f"renders them in one Python process whose threads share one core under the GIL, and the client parses them), "
        f"against {lookup.latency_ms} ms of latency. Concurrent pages can only hide the latency, so on this machine "
        f"the lookup cannot be more than about {ceiling:.1f}x faster than the pages in order (pages at {lookup.latency_ms} ms / lookup at 0 ms)."
    )


def method_notes(timings: Timings, options: StrategyOptions) -> list[str]:
    """How the numbers were taken."""
    return [
        "Every strategy runs on a freshly reset simulator with the same fleet; the fleet's locks start at the reset, which is time 0.",
        "All snapshots available: computed per server as the time the simulator answered the first accepted `create_image` POST (request log, "
        "millisecond resolution) plus the snapshot's duration, and checked against `GET /_sim/state`, which the harness polls every 1-2 s "
        "(control routes are neither logged nor rate limited, so the harness's own requests are not counted). Times are simulated seconds "
        f"(real seconds x {timings.speed:g}).",
        f"Ideal: the largest, over servers, of lock release plus snapshot duration, from the fleet spec. Busiest minute: the most requests in any window "
        f"of one simulated minute ({60 / timings.speed:g} real seconds), and in brackets in any 60 real seconds "
        "(what the hourly bucket sees). Lowest RateLimit-Remaining: "
        f"the bucket of {timings.rate_limit} an hour, refilled in real time, full at each reset.",
        "Controller CPU: `getrusage(RUSAGE_CHILDREN)` before and after the strategy's process (its forks and module processes included). "
        "Peak RSS: the process tree's summed resident memory, sampled from /proc every 0.25 s (the number of processes at the peak in brackets). "
        "The simulator runs in its own process and is not counted.",
        f"Speed: the simulator divides every duration by {timings.speed:g}, but request latency, process start-up and the collection's polling "
        f"intervals (about 1 to 10 s, real) are not scaled. A lock or snapshot therefore lasts {timings.speed:g}x fewer real seconds than it would, "
        f"which makes each poll interval {timings.speed:g}x coarser in simulated time (a late poll costs more of the ratio), makes process "
        "start-up and CPU weigh more, and makes polling requests fewer than at speed 1. To see a strategy at real time, run it alone, e.g. "
        "`.venv/bin/python bench/run.py --sizes 50 --strategies hosts --speed 1 --no-micro --output bench/output/speed1/benchmarks.md` "
        "(about 5 minutes). The baseline's 5 s poll is scaled.",
        f"Playbook options: snapshot_hosts.yml with `-f {options.forks}` (the forks it documents); snapshot_fleet.yml with "
        f"`-e label_selector={options.label_selector}` (every server of the benchmark fleet carries that label) and "
        + (f"`-e concurrency={options.fleet_concurrency}`" if options.fleet_concurrency else f"its default concurrency ({fleet_concurrency(options)})")
        + ".",
    ]


def render(context: dict[str, Any]) -> str:
    """The whole report."""
    timings: Timings = context["timings"]
    options: StrategyOptions = context["options"]
    results: list[RunResult] = context["results"]
    info = machine_info()
    parts = [
        "# Benchmarks",
        "",
        "Generated by `bench/run.py`. Reproduce with:",
        "",
        "```console",
        f"$ {context['command']}",
        "```",
        "",
        f"- Date: {context['date']}; whole benchmark {context['wall']:.0f} s real.",
        f"- Machine: {info['machine']}; {info['python']}.",
        f"- Load average (1 min) before / max during / after: {context['load'][0]:.2f} / {context['load'][1]:.2f} / {context['load'][2]:.2f} "
        "(the machine was shared with other work).",
        f"- Fleet (seed {context['seed']}): {timings.describe()}.",
    ]
    parts += [f"- {note}" for note in context["notes"]]
    parts.append("")
    if results:
        parts += ["## Fleet runs", "", fleet_table(results, timings.speed), ""]
    steady = context.get("steady") or []
    if steady:
        steady_timings: Timings = context["steady_timings"]
        parts += [
            "## Steady state: seven kept snapshots per server, real-scale durations",
            "",
            steady_table(steady, steady_timings.speed),
            "",
            "Where the requests go:",
            "",
            steady_breakdown(steady),
            "",
            *[f"- {note}" for note in steady_method(steady_timings.speed, steady_timings.describe(), options)],
            "",
        ]
    parts += context.get("extra_sections") or []  # scenarios with their own report module (bench/sliced_report.py)
    if context.get("chart"):
        parts += [f"![50-server run]({context['chart']})", ""]
    if context.get("lookup"):
        parts += ["## The lookup over a large fleet", "", lookup_table(context["lookup"]), "", lookup_note(context["lookup"]), ""]
    if context.get("task"):
        parts += ["## One snapshot as an Ansible task", "", task_table(context["task"]), ""]
    parts += ["## Goals", "", goals_table(context["goals"]), ""]
    for strategy in OURS:
        table = breakdown_table(results, strategy)
        if table:
            parts += [f"## Where the requests go: {LABELS[strategy]}", "", table, ""]
    notes = diagnosis(results, context["fleets"], options) if results else []
    if notes:
        parts += ["## What limits the time", "", *notes, ""]
    if results:
        parts += ["## Method", "", *[f"- {note}" for note in method_notes(timings, options)], ""]
    return "\n".join(parts)
