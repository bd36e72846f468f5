"""Running the scenarios: one simulator for the whole suite, each scenario several times with seeds of its own."""

from __future__ import annotations

import functools
import json
import os
import queue
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import observe
from context import Outcome, RunContext
from harness import REPO_ROOT, Bench, ensure_collection_link, make_workroot, new_token, start_suite_simulator
from scenarios import Scenario

PROPERTY_TEST = Path(__file__).resolve().parent / "test_properties.py"
PROPERTY_TIMEOUT = 600.0
PROPERTY_SECONDS = 40.0  # about what the property test takes, for the order of the queue


@dataclass
class Row:
    """The figures of one line of the table: one scenario over all its runs."""

    label: str
    outcomes: list[Outcome] = field(default_factory=list)

    def total(self, name: str) -> int:
        """The sum of one figure over the runs."""
        return sum(getattr(outcome, name) for outcome in self.outcomes)

    @property
    def passed(self) -> int:
        """Runs that passed."""
        return sum(outcome.passed for outcome in self.outcomes)

    @property
    def ok(self) -> bool:
        """Every run passed."""
        return bool(self.outcomes) and self.passed == len(self.outcomes)

    @property
    def seconds(self) -> float:
        """Time spent in this scenario."""
        return sum(outcome.seconds for outcome in self.outcomes)


def run_seed(base_seed: int, scenario: Scenario, run_index: int) -> int:
    """The seed of one run: the same base seed gives the same runs."""
    return base_seed * 10_000 + scenario.number * 100 + run_index


def run_once(bench: Bench, scenario: Scenario, seed: int, run_index: int, fast: bool = False) -> Outcome:
    """One run of one scenario; a crash of the scenario code is a failed run, not a crashed suite."""
    ctx = RunContext(bench, seed, run_index, fast=fast)
    started = time.monotonic()
    try:
        scenario.run(ctx)
        ctx.conclude()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        ctx.outcome.problems.append(f"the scenario crashed: {type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    ctx.outcome.seconds = time.monotonic() - started
    return ctx.outcome


def run_scenario(bench: Bench, scenario: Scenario, runs: int, base_seed: int, say: Callable[[str], None], fast: bool = False) -> Row:
    """One scenario ``runs`` times (``fast``: the suite's fast subset, which a scenario may run a part of)."""
    row = Row(scenario.label)
    for run_index in range(runs):
        seed = run_seed(base_seed, scenario, run_index)
        outcome = run_once(bench, scenario, seed, run_index, fast)
        row.outcomes.append(outcome)
        verdict = "passed" if outcome.passed else "FAILED"
        say(f"{scenario.label} run {run_index + 1}/{runs} (seed {seed}): {verdict} in {outcome.seconds:.1f} s")
        for problem in outcome.problems:
            say(f"    - {problem}")
    return row


def run_property_test(bench: Bench, base_seed: int, say: Callable[[str], None]) -> Row:
    """The hypothesis property test (pytest), against the suite's simulator; its output is searched for the token."""
    workdir = bench.new_workdir("property-test")
    metrics_file = workdir / "metrics.json"
    env = dict(
        os.environ,
        RELIABILITY_SEED=str(base_seed),
        RELIABILITY_METRICS=str(metrics_file),
        RELIABILITY_SIM_URL=bench.sim.url,
        RELIABILITY_SIM_TOKEN=bench.token,
    )
    command = [sys.executable, "-m", "pytest", str(PROPERTY_TEST), "-q", "-p", "no:cacheprovider", "--rootdir", str(PROPERTY_TEST.parent)]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=PROPERTY_TIMEOUT, check=False)
        output, returncode = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output, returncode = f"{exc.stdout or ''}{exc.stderr or ''}\ntimed out after {PROPERTY_TIMEOUT:g} s", -1
    outcome = property_outcome(bench, output, returncode, metrics_file)
    outcome.seconds = time.monotonic() - started
    say(f"P. property test: {'passed' if outcome.passed else 'FAILED'} in {outcome.seconds:.1f} s")
    for problem in outcome.problems:
        say(f"    - {problem}")
    row = Row("P. property test (hypothesis)")
    row.outcomes.append(outcome)
    return row


def property_outcome(bench: Bench, output: str, returncode: int, metrics_file: Path) -> Outcome:
    """The property test's figures from its metrics file, and its failure from its output."""
    try:
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        metrics = {}
    leaks = observe.token_leaks(bench.token, {"pytest output": output})
    outcome = Outcome(
        expected=metrics.get("expected", 0),
        found=metrics.get("found", 0),
        duplicates=metrics.get("duplicates", 0),
        wrongly_deleted=metrics.get("wrongly_deleted", 0),
        leaks=metrics.get("leaks", 0) + len(leaks),
    )
    if returncode != 0:
        outcome.problems.append(observe.redact("pytest failed:\n" + "\n".join(output.splitlines()[-40:]), bench.token))
    return outcome


def check_leak_search(bench: Bench) -> list[str]:
    """Plant the token in a run's output (canary.yml) and make sure the leak search finds it; raises if not."""
    run = bench.run("canary.yml", label="canary")
    found = observe.token_leaks(bench.token, {"stdout": run.stdout, "stderr": run.stderr}, [run.workdir])
    if run.rc != 0 or "stdout" not in found:
        raise RuntimeError(f"the leak search did not find the planted token ({run.describe()}): {found}")
    return [Path(place).name for place in found]


def check_deprecated_marks(bench: Bench) -> str:
    """Ask for a removed endpoint (``/datacenters``) and make sure the request log marks it; raises if not.

    Every scenario run fails on such marks (``RunContext.check_no_deprecated``): this shows the check can see one.
    """
    request = urllib.request.Request(f"{bench.sim.url}/datacenters", headers={"Authorization": f"Bearer {bench.token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        exc.read()
    marked = [entry for entry in bench.control.requests() if entry.get("deprecated")]
    bench.control.clear_requests()
    if not marked:
        raise RuntimeError("the simulator's request log does not mark a request to /datacenters as deprecated")
    return observe.show_request(marked[-1])


def run_suite(
    scenarios: list[Scenario], runs: int, base_seed: int, properties: bool, say: Callable[[str], None], lanes: int = 2, fast: bool = False
) -> tuple[list[Row], Path]:
    """Run everything in ``lanes`` lanes side by side, each with a simulator of its own; returns the rows and the runs' files.

    A lane takes the next scenario (all its runs) or the property test from a queue, longest first, until the queue
    is empty. The rows come back in the order of ``scenarios``, the property test last.
    """
    ensure_collection_link()
    workroot = make_workroot()
    say(f"the runs' files are under {workroot}")
    jobs: list[tuple[float, str, Callable[[Bench], Row]]] = [
        (scenario.seconds * runs, scenario.label, functools.partial(run_scenario, scenario=scenario, runs=runs, base_seed=base_seed, say=say, fast=fast))
        for scenario in scenarios
    ]
    if properties:
        jobs.append((PROPERTY_SECONDS, "P", functools.partial(run_property_test, base_seed=base_seed, say=say)))
    pending: queue.Queue[tuple[str, Callable[[Bench], Row]]] = queue.Queue()
    for _seconds, key, job in sorted(jobs, key=lambda item: -item[0]):
        pending.put((key, job))
    rows: dict[str, Row] = {}
    lane_count = max(1, min(lanes, len(jobs)))
    with ThreadPoolExecutor(max_workers=lane_count) as pool:
        for lane in [pool.submit(run_lane, index, workroot, pending, rows, say) for index in range(lane_count)]:
            lane.result()
    order = [scenario.label for scenario in scenarios] + (["P"] if properties else [])
    return [rows[key] for key in order], workroot


def run_lane(index: int, workroot: Path, pending: queue.Queue, rows: dict[str, Row], say: Callable[[str], None]) -> None:
    """One lane: a simulator of its own, its leak-search self-test, then jobs from the queue until it is empty."""
    lane_root = workroot / f"lane-{index + 1}"
    lane_root.mkdir()
    with start_suite_simulator(new_token()) as sim:
        bench = Bench(sim, lane_root)
        say(f"lane {index + 1}: simulator at {sim.url}; self-test: the leak search finds a planted token in {check_leak_search(bench)}")
        say(f"lane {index + 1}: self-test: the request log marks deprecated endpoints ({check_deprecated_marks(bench)})")
        while True:
            try:
                key, job = pending.get_nowait()
            except queue.Empty:
                return
            rows[key] = job(bench)
