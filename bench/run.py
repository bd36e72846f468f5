"""The command line of the fleet benchmark: ``python bench/run.py [--sizes 10,50,200] [--strategies ...] [--quick]``.

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
import datetime
import json
import os
import shlex
import threading
import time
from typing import Any

from bench.fleet import BenchFleet, Timings
from bench.micro import LookupResult, TaskOverheadResult, lookup_benchmark, task_overhead_benchmark
from bench.report import goals, goals_table, render
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
    parser.add_argument("--output", type=Path, default=None, help="where the Markdown goes (default: docs/benchmarks.md; with --quick: bench/output/...)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [10]
        args.chart_size = 10
    args.repetitions = args.repetitions or (3 if args.quick else 5)
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
    lookup: LookupResult | None = None
    if not args.no_micro:
        lookup = lookup_benchmark(repetitions=args.repetitions, seed=args.seed)
        print(f"lookup over {lookup.servers} servers: {lookup.ratio:.2f}x faster than the pages in order", flush=True)
    docs = ROOT / "docs"
    output = (args.output or (workdir / "benchmarks.md" if args.quick else docs / "benchmarks.md")).resolve()
    chart_dir = output.parent
    chart_dir.mkdir(parents=True, exist_ok=True)
    chart = None
    charted = [result for result in measured["results"] if result.size == args.chart_size]
    if charted and plot_size is not None:
        chart = plot_size(charted, timings.speed, chart_dir / f"benchmark-{args.chart_size}.png")
    elif charted:
        print(CHART_UNAVAILABLE, flush=True)
    found = goals(measured["results"], lookup, measured["task"])
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
    }
    report = render(context)
    output.write_text(report, encoding="utf-8")
    raw = {
        "timings": vars(timings),
        "results": [result.summary() for result in measured["results"]],
        "lookup": lookup.summary() if lookup else None,
        "task": measured["task"].summary() if measured["task"] else None,
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
