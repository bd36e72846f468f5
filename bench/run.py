"""The command line of the fleet benchmark: ``python bench/run.py [--sizes 10,50,200] [--strategies ...] [--quick]``.

It also runs the steady-state scenario (``bench/steady.py``: ``--steady-sizes``, ``--steady-strategies``,
``--steady-progress``, and ``--steady-large 1000`` for the long 1000-server fleet run) on a simulator of its own
at ``--steady-speed``, and the sliced scenario (``bench/sliced.py``: ``--sliced-size`` servers in steady state,
``snapshot_hosts.yml`` split into ``--sliced-count`` slices as AWX splits it, against one job and the peer script).

Run it from the repository root with the virtual environment's Python (``.venv/bin/python bench/run.py``). It
starts one simulator (``--latency-ms 30``, ``--speed``), and for each fleet size and strategy resets it to the
seeded fleet and measures the strategy; then it times one snapshot task against a ``uri`` task on the same
simulator, and the lookup over 1000 servers on simulators of its own. It prints a Markdown table and writes it
to ``docs/benchmarks.md``, with the chart of the 50-server run in ``docs/benchmark-50.png``; raw results and
every strategy's output go to ``bench/output/<time>/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import dataclasses
import datetime
import json
import os
import shlex
import threading
import time
from typing import Any

from bench.fleet import BenchFleet, Timings
from bench.micro import LookupResult, TaskOverheadResult, lookup_benchmark, task_overhead_benchmark
from bench.report import Goal, goals, goals_table, render
from bench.sliced import LAUNCHERS, SLICE_COUNT, SLICED_STRATEGIES, SlicedRun, default_launcher, missing_runner, run_sliced_scenario, sliced_timings
from bench.sliced_report import sliced_goals, sliced_method, sliced_table
from bench.steady import (
    DEFAULT_STEADY_STRATEGIES,
    PROGRESS,
    PROGRESS_BLIND,
    STEADY_LABELS,
    STEADY_STRATEGIES,
    STEADY_TIMINGS,
    SteadyFleet,
    SteadyResult,
    run_steady,
    start_args,
)
from bench.steady_nights import NIGHTS
from bench.steady_report import steady_goals
from bench.strategies import LABELS, ROOT, STRATEGIES, RunResult, StrategyOptions, ensure_collection_link, run_strategy
from hcloud_sim.launcher import start_simulator

try:
    from bench.chart import plot_size
except ImportError as missing:  # matplotlib is only needed for the chart
    plot_size = None
    CHART_UNAVAILABLE = f"no chart: {missing} (pip install matplotlib into the virtual environment)"
else:
    CHART_UNAVAILABLE = ""

DEFAULT_SIZES = (10, 50, 200)


def _int_list(text: str) -> list[int]:
    return [int(item) for item in text.split(",") if item.strip()]


def _strategy_list(text: str) -> list[str]:
    chosen = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in STRATEGIES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown strategy {', '.join(unknown)}: choose from {', '.join(STRATEGIES)}")
    return chosen


def _choices(allowed: tuple[str, ...]) -> Any:
    def parse(text: str) -> list[str]:
        chosen = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in chosen if item not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}: choose from {', '.join(allowed)}")
        return chosen

    return parse


def _add_sliced_options(parser: argparse.ArgumentParser) -> None:
    """The sliced scenario's options (``bench/sliced.py``)."""
    parser.add_argument("--sliced-size", type=int, default=1000, help="servers of the sliced scenario (default: 1000; 20 with --quick; 0: none)")
    parser.add_argument("--sliced-count", type=int, default=SLICE_COUNT, help=f"slices of the sliced run, as AWX's job_slice_count (default: {SLICE_COUNT})")
    parser.add_argument(
        "--sliced-strategies",
        type=_choices(SLICED_STRATEGIES),
        default=list(SLICED_STRATEGIES),
        help=f"of {','.join(SLICED_STRATEGIES)} (default: all; one_job first, the slices' wall is compared with it)",
    )
    parser.add_argument(
        "--sliced-launcher",
        choices=LAUNCHERS,
        default=None,
        help="run each job through ansible-runner as AWX does, or ansible-playbook (default: runner if .tmp/packaging-tools has it)",
    )
    parser.add_argument("--sliced-speed", type=float, default=None, help=f"speed of the sliced scenario (default: {STEADY_TIMINGS.speed:g}; 10 with --quick)")


def _check_sliced_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The launcher this machine has, unless one is asked for; a missing ansible-runner or a bad count refused before anything runs."""
    args.sliced_launcher = args.sliced_launcher or default_launcher()
    if args.sliced_size and args.sliced_launcher == "runner" and default_launcher() != "runner":
        parser.error(missing_runner())  # before the other scenarios run, not after
    if args.sliced_count < 1:
        parser.error(f"--sliced-count {args.sliced_count}: at least 1")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description="Fleet benchmark of lockaware.hcloud against hcloud_sim.")
    parser.add_argument("--sizes", type=_int_list, default=list(DEFAULT_SIZES), help="fleet sizes, comma-separated (default: 10,50,200)")
    parser.add_argument("--strategies", type=_strategy_list, default=list(STRATEGIES), help="baseline,hosts,fleet,role (default: all four)")
    parser.add_argument("--quick", action="store_true", help="smoke test: size 10 only, fewer repetitions, report and chart under bench/output/")
    parser.add_argument("--seed", type=int, default=1, help="fleet seed (default: 1)")
    parser.add_argument("--speed", type=float, default=Timings.speed, help=f"simulated seconds per real second (default: {Timings.speed:g})")
    parser.add_argument("--latency-ms", type=int, default=Timings.latency_ms, help=f"latency per request (default: {Timings.latency_ms})")
    parser.add_argument("--rate-limit", type=int, default=Timings.rate_limit, help=f"requests per hour (default: {Timings.rate_limit})")
    parser.add_argument("--forks", type=int, default=StrategyOptions.forks, help=f"forks for snapshot_hosts.yml (default: {StrategyOptions.forks})")
    parser.add_argument("--fleet-concurrency", type=int, default=None, help="concurrency for snapshot_fleet.yml (default: the playbook's)")
    parser.add_argument("--baseline-budget", type=float, default=240.0, help="skip the baseline at sizes it would take longer than this (real s)")
    parser.add_argument("--run-timeout", type=float, default=StrategyOptions.timeout, help="stop a strategy after this many real seconds")
    parser.add_argument("--repetitions", type=int, default=None, help="repetitions of the two smaller benchmarks (default: 5, 3 with --quick)")
    parser.add_argument("--no-micro", action="store_true", help="skip the lookup and task-overhead benchmarks")
    parser.add_argument("--chart-size", type=int, default=50, help="fleet size to chart (default: 50)")
    parser.add_argument("--steady-sizes", type=_int_list, default=None, help="steady-state fleet sizes (default: 200; 10 with --quick; empty: none)")
    parser.add_argument(
        "--steady-strategies",
        type=_choices(STEADY_STRATEGIES),
        default=None,
        help=f"steady-state strategies, of {','.join(STEADY_STRATEGIES)} (default: {','.join(DEFAULT_STEADY_STRATEGIES)})",
    )
    parser.add_argument("--steady-progress", type=_choices(PROGRESS), default=None, help="the simulator's progress settings (default: linear,stuck)")
    parser.add_argument(
        "--steady-night",
        type=_choices(NIGHTS),
        default=["steady"],
        help="the nights of the steady scenario (bench/steady_nights.py): steady, upgrade (the first run after 0.1), nokeep (default: steady)",
    )
    parser.add_argument("--steady-large", type=int, default=0, help="also run snapshot_fleet.yml on this many servers in steady state (e.g. 1000; long)")
    parser.add_argument("--steady-large-progress", type=_choices(PROGRESS), default=["linear"], help="progress settings of the large run (default: linear)")
    parser.add_argument("--steady-speed", type=float, default=None, help=f"speed of the steady scenario (default: {STEADY_TIMINGS.speed:g}; 10 with --quick)")
    parser.add_argument(
        "--no-fleet", action="store_true", help="only the steady scenario (no fleet runs from an empty project, no micro benchmarks): docs/benchmarks-steady.md"
    )
    _add_sliced_options(parser)
    parser.add_argument("--output", type=Path, default=None, help="where the Markdown goes (default: docs/benchmarks.md; with --quick: bench/output/...)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [10]
        args.chart_size = 10
        # The steady scenario as a smoke test: 10 servers, fast, the fleet and the peer with linear progress.
        args.steady_sizes = args.steady_sizes or [10]
        args.steady_speed = args.steady_speed or 10.0
        args.steady_strategies = args.steady_strategies or ["fleet", "peer"]
        args.steady_progress = args.steady_progress or ["linear"]
        args.sliced_size = min(args.sliced_size, 20)
        args.sliced_speed = args.sliced_speed or 10.0
    args.steady_sizes = [200] if args.steady_sizes is None else args.steady_sizes
    args.steady_speed = args.steady_speed or STEADY_TIMINGS.speed
    args.steady_strategies = args.steady_strategies or list(DEFAULT_STEADY_STRATEGIES)
    args.steady_progress = args.steady_progress or list(PROGRESS)
    if args.no_fleet:
        args.sizes, args.no_micro = [], True
    args.repetitions = args.repetitions or (3 if args.quick else 5)
    _check_sliced_options(parser, args)
    return args


class LoadWatch(threading.Thread):
    """Samples the 1-minute load average: before, the highest during, after."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.before = os.getloadavg()[0]
        self.highest = self.before
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Sample every 5 s."""
        while not self._stop_event.wait(5.0):
            self.highest = max(self.highest, os.getloadavg()[0])

    def stop(self) -> tuple[float, float, float]:
        """Stop; ``(before, highest, after)``."""
        self._stop_event.set()
        self.join()
        after = os.getloadavg()[0]
        return self.before, max(self.highest, after), after


def _progress(result: RunResult, speed: float) -> str:
    available = (
        "NOT ALL AVAILABLE"
        if result.all_available is None
        else f"all available after {result.all_available:.0f} s sim ({result.all_available / speed:.1f} s real)"
    )
    ratio = "" if result.ratio is None else f", {result.ratio:.2f}x ideal {result.ideal:.0f} s"
    return (
        f"  {LABELS[result.strategy]:38} {available}{ratio}; process {result.process.wall:.1f} s real, exit {result.process.returncode}; "
        f"{result.requests.total} requests ({result.requests.per_server:.1f}/server); CPU {result.process.cpu_seconds:.1f} s; "
        f"{result.counts.created} created, {result.counts.duplicates} duplicates, {result.failures} failures"
    )


def run_fleets(args: argparse.Namespace, timings: Timings, options: StrategyOptions, workdir: Path) -> dict[str, Any]:
    """Every size and strategy, then the task-overhead benchmark, on one simulator."""
    results: list[RunResult] = []
    fleets: dict[int, BenchFleet] = {}
    notes: list[str] = []
    task: TaskOverheadResult | None = None
    sim_args = ["--fleet", "1", "--speed", f"{timings.speed:g}", "--latency-ms", str(timings.latency_ms), "--rate-limit", str(timings.rate_limit)]
    with start_simulator(sim_args) as sim:
        for size in args.sizes:
            fleet = BenchFleet.generate(size, args.seed, timings)
            fleets[size] = fleet
            ideal = fleet.ideal_seconds()
            print(f"{size} servers: {fleet.locked_count()} locked at the start; ideal {ideal:.0f} s simulated ({timings.real(ideal):.1f} s real)")
            for strategy in args.strategies:
                if strategy == "baseline":
                    estimate = fleet.estimate_baseline_real_seconds(timings.latency_ms / 1000 + 0.02)
                    if estimate > args.baseline_budget:
                        note = (
                            f"The baseline was not run at {size} servers: it would take about {estimate:.0f} s real "
                            f"(more than --baseline-budget {args.baseline_budget:g} s)."
                        )
                        notes.append(note)
                        print(f"  {note}")
                        continue
                result = run_strategy(sim, fleet, strategy, workdir, options)
                results.append(result)
                print(_progress(result, timings.speed), flush=True)
        if not args.no_micro:
            task = task_overhead_benchmark(sim, workdir, args.repetitions)
            print(f"one snapshot task: ours {task.task_ratio:.2f}x the uri task (playbooks {task.playbook_ratio:.2f}x)", flush=True)
    return {"results": results, "fleets": fleets, "notes": notes, "task": task}


def steady_plan(args: argparse.Namespace) -> list[tuple[int, str, str, str]]:
    """(size, progress, strategy, night) of every steady run, in order: each size's runs side by side."""
    plan = [
        (size, progress, strategy, night)
        for night in args.steady_night
        for size in args.steady_sizes
        for progress in args.steady_progress
        for strategy in args.steady_strategies
        if (progress == args.steady_progress[0] or strategy not in PROGRESS_BLIND) and (night != "nokeep" or strategy != "peer")
    ]
    if args.steady_large:
        plan += [(args.steady_large, progress, "fleet", "steady") for progress in args.steady_large_progress]
    return plan


def _steady_progress(result: SteadyResult) -> str:
    ratio = "not done" if result.ratio is None else f"{result.ratio:.2f}x ideal {result.ideal:.0f} s"
    return (
        f"  {STEADY_LABELS[result.strategy]:48} {result.night:7} {result.progress:6} {ratio}; process {result.process.wall:.0f} s real, exit "
        f"{result.process.returncode}; {result.requests.total} requests ({result.requests.per_server:.2f}/server), peak "
        f"{result.requests.busiest_real_minute}/min, {result.requests.throttled} 429s, {result.requests.polls()} polls; CPU "
        f"{result.process.cpu_seconds:.0f} s, RSS {result.process.peak_rss_mb:.0f} MB; {result.outcome.exact}/{result.size} exact, "
        f"{result.outcome.duplicates} duplicates, {result.failures} failures, {result.outcome.foreign_lost} lost"
    )


def run_steady_scenario(args: argparse.Namespace, options: StrategyOptions, workdir: Path) -> tuple[list[SteadyResult], Timings]:
    """Every steady run, on one simulator at the steady speed."""
    timings = Timings(
        speed=args.steady_speed,
        snapshot_seconds_base=STEADY_TIMINGS.snapshot_seconds_base,
        snapshot_seconds_per_gb=STEADY_TIMINGS.snapshot_seconds_per_gb,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
    )
    plan = steady_plan(args)
    results: list[SteadyResult] = []
    if not plan:
        return results, timings
    print(f"Steady state: {timings.describe()}", flush=True)
    with start_simulator(start_args(timings)) as sim:
        for size, progress, strategy, night in plan:
            steady = SteadyFleet.generate(size, args.seed, progress, timings, night)
            if strategy == args.steady_strategies[0] or (strategy == "fleet" and size == args.steady_large):
                print(f"{size} servers, {night} night, progress {progress}: ideal {steady.ideal_seconds():.0f} s simulated", flush=True)
            large = dataclasses.replace(options, fleet_concurrency=max(size, options.fleet_concurrency or 0)) if size > 256 and strategy == "fleet" else options
            results.append(run_steady(sim, steady, strategy, workdir, large))
            print(_steady_progress(results[-1]), flush=True)
    return results, timings


def run_sliced(args: argparse.Namespace, options: StrategyOptions, workdir: Path) -> tuple[list[SlicedRun], list[str]]:
    """The sliced scenario on a simulator of its own, and its section of the report."""
    if not args.sliced_size or not args.sliced_strategies:
        return [], []
    timings = sliced_timings(args.sliced_speed, args.latency_ms, args.rate_limit)
    runs = run_sliced_scenario(args.sliced_size, args.sliced_strategies, args.sliced_count, args.sliced_launcher, timings, args.seed, workdir, options)
    section = [
        f"## Sliced: snapshot_hosts.yml in {args.sliced_count} slices as AWX runs them, one job, the peer",
        "",
        sliced_table(runs, timings.speed),
        "",
        *[f"- {note}" for note in sliced_method(args.sliced_count, timings.describe())],
        "",
    ]
    return runs, section


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report, write it and the chart."""
    args = parse_args(argv)
    started = time.time()
    load = LoadWatch()
    load.start()
    timings = Timings(speed=args.speed, latency_ms=args.latency_ms, rate_limit=args.rate_limit)
    options = StrategyOptions(forks=args.forks, fleet_concurrency=args.fleet_concurrency, timeout=args.run_timeout)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    workdir = ROOT / "bench" / "output" / stamp.strftime("%Y%m%dT%H%M%SZ")
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_collection_link()
    print(f"Timings: {timings.describe()}")
    print(f"Raw results and logs: {workdir.relative_to(ROOT)}/", flush=True)
    measured = run_fleets(args, timings, options, workdir)
    steady, steady_timings = run_steady_scenario(args, options, workdir)
    sliced, sliced_section = run_sliced(args, options, workdir)
    lookup: LookupResult | None = None
    if not args.no_micro:
        lookup = lookup_benchmark(repetitions=args.repetitions, seed=args.seed)
        print(f"lookup over {lookup.servers} servers: {lookup.ratio:.2f}x faster than the pages in order", flush=True)
    docs = ROOT / "docs"
    # The steady scenario alone (--no-fleet) has a page of its own; docs/benchmarks.md links to it.
    default_name = "benchmarks-steady.md" if args.no_fleet else "benchmarks.md"
    if args.no_fleet and not steady and sliced:  # the sliced scenario alone (make bench-sliced)
        default_name = "benchmarks-sliced.md"
    output = (args.output or (workdir / default_name if args.quick else docs / default_name)).resolve()
    chart_dir = output.parent
    chart_dir.mkdir(parents=True, exist_ok=True)
    chart = None
    charted = [result for result in measured["results"] if result.size == args.chart_size]
    if charted and plot_size is not None:
        chart = plot_size(charted, timings.speed, chart_dir / f"benchmark-{args.chart_size}.png")
    elif charted:
        print(CHART_UNAVAILABLE, flush=True)
    found = goals(measured["results"], lookup, measured["task"]) if not args.no_fleet else []
    if steady or not sliced:  # the sliced scenario alone (make bench-sliced) lists no steady goals as not run
        found += [Goal(text, value, verdict) for text, value, verdict in steady_goals(steady)]
    found += [Goal(text, value, verdict) for text, value, verdict in sliced_goals(sliced)] if sliced else []
    context = {
        **measured,
        "timings": timings,
        "options": options,
        "seed": args.seed,
        "lookup": lookup,
        "goals": found,
        "chart": chart.name if chart else None,
        "command": shlex.join([".venv/bin/python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": stamp.strftime("%Y-%m-%d %H:%M UTC"),
        "wall": time.time() - started,
        "load": load.stop(),
        "steady": steady,
        "steady_timings": steady_timings,
        "extra_sections": sliced_section,
    }
    report = render(context)
    output.write_text(report, encoding="utf-8")
    raw = {
        "timings": vars(timings),
        "results": [result.summary() for result in measured["results"]],
        "lookup": lookup.summary() if lookup else None,
        "task": measured["task"].summary() if measured["task"] else None,
        "steady": [result.summary() for result in steady],
        "sliced": [run.summary() for run in sliced],
        "goals": [vars(goal) for goal in found],
        "load": context["load"],
        "wall": context["wall"],
    }
    (workdir / "results.json").write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    print()
    print(report)
    print(f"Written: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}" + (f", {chart.relative_to(ROOT)}" if chart else ""))
    print(goals_table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
