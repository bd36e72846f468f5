"""Several projects in one run: ``snapshot_fleet.yml`` with ``projects`` against each project alone.

N projects (default 5) of S servers (default 200) in steady state (``bench/steady.py``: 7 kept, a fifth locked,
snapshots of 1 to 5 minutes simulated), one simulator each (its own token and request budget, the real API's
3600 requests an hour), each fleet seeded differently. Each project is first run alone (``snapshot_fleet.yml``
with its token in the environment, as today), then all of them in ONE run (``-e @projects.yml``, ``-f N``).
Goal (issue 24): the one run done within 1.2 x the slowest project alone (done: the process exited and every new
snapshot is available, in simulated seconds from the reset), every project exact (7 kept per series), no duplicate,
no failure, no 429, and the exit status 0.

    .venv/bin/python bench/projects.py                          # the full run: 5 x 200 at speed 2 (about 20 minutes)
    .venv/bin/python bench/projects.py --size 40 --speed 20     # a quick check (about 2 minutes)

It prints a Markdown report and writes it with the raw results to ``bench/output/projects-<time>/``; ``--report
docs/benchmarks-projects.md`` writes the report there too.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import contextlib
import dataclasses
import datetime
import json
import os
import time

import yaml

from bench.measure import run_process
from bench.report import Goal, goals_table
from bench.steady import STEADY_TIMINGS, SteadyFleet, SteadyResult, measure_steady, run_steady, start_args
from bench.strategies import BIN, ROOT, StrategyOptions, ensure_collection_link, strategy_env
from hcloud_sim.launcher import SimulatorProcess, start_simulator

GOAL_RATIO = 1.2


@dataclasses.dataclass
class ProjectsRun:
    """Every project alone, then all of them in one run."""

    alone: list[SteadyResult]
    together: list[SteadyResult]
    together_done: float | None  # simulated seconds from the first reset until the last project was done

    @property
    def slowest_alone(self) -> float | None:
        """The slowest project alone (None if one never got done)."""
        dones = [result.done for result in self.alone]
        return None if None in dones else max(done for done in dones if done is not None)

    @property
    def ratio(self) -> float | None:
        """The one run over the slowest project alone."""
        slowest = self.slowest_alone
        return None if slowest is None or self.together_done is None else self.together_done / slowest

    def sound(self) -> bool:
        """Every project exact, without duplicate, failure or 429, and every process exited 0."""
        return all(
            result.process.returncode == 0
            and result.outcome.exact == result.size
            and not (result.outcome.duplicates or result.failures or result.outcome.foreign_lost or result.requests.throttled)
            for result in self.alone + self.together
        )

    def goals(self) -> list[Goal]:
        """The issue's goal for several projects, and what else must hold."""
        ratio = self.ratio
        projects, size = len(self.alone), self.alone[0].size
        return [
            Goal(
                f"{projects} projects x {size} servers in one run within {GOAL_RATIO} x the slowest project alone",
                "not done" if ratio is None else f"{self.together_done:.0f} s vs {self.slowest_alone:.0f} s simulated: {ratio:.2f} x",
                None if ratio is None else ratio <= GOAL_RATIO,
            ),
            Goal("every project exact (7 kept), no duplicate, no failure, no 429, exit 0", "yes" if self.sound() else "no", self.sound()),
        ]


def projects_file(sims: list[SimulatorProcess], workdir: Path, options: StrategyOptions) -> Path:
    """The ``projects`` extra vars, each with the selector a project alone runs with (the simulators' tokens are no
    secrets: no vault here)."""
    projects = [
        {"name": f"p{index + 1}", "api_endpoint": sim.url, "api_token": sim.token, "label_selector": options.label_selector} for index, sim in enumerate(sims)
    ]
    path = workdir / "projects.yml"
    path.write_text(yaml.safe_dump({"projects": projects}, sort_keys=False), encoding="utf-8")
    return path


def run_alone(sim: SimulatorProcess, steady: SteadyFleet, index: int, workdir: Path, options: StrategyOptions) -> SteadyResult:
    """One project alone, as ``bench/steady.py`` runs ``snapshot_fleet.yml``; its log kept under the project's name."""
    result = run_steady(sim, steady, "fleet", workdir, options)
    for suffix in (".log", ".requests.json.gz"):
        (workdir / f"steady-fleet-{steady.size}-{steady.progress}{suffix}").rename(workdir / f"projects-alone-p{index + 1}{suffix}")
    return result


def run_together(sims: list[SimulatorProcess], steadies: list[SteadyFleet], workdir: Path, options: StrategyOptions) -> tuple[list[SteadyResult], float | None]:
    """Reset every simulator, run every project in one ``snapshot_fleet.yml``, and measure each project."""
    args = [
        str(BIN / "ansible-playbook"),
        "playbooks/snapshot_fleet.yml",
        "-e",
        f"@{projects_file(sims, workdir, options)}",
        "-e",
        f"keep={steadies[0].keep}",
        "-f",
        str(len(sims)),
    ]
    env = {key: value for key, value in strategy_env(sims[0]).items() if not key.startswith("HCLOUD_")}
    load_before = os.getloadavg()[0]
    now = datetime.datetime.now(datetime.timezone.utc)
    resets = []
    for sim, steady in zip(sims, steadies, strict=True):
        sim.control.reset(steady.spec(now))
        resets.append(time.time())
    log = workdir / "projects-together.log"
    process = run_process(args, env, ROOT, log, options.timeout)
    results = [
        measure_steady(sim, steady, "projects", args, process, reset_at, workdir / f"projects-together-p{index + 1}.log", load_before)
        for index, (sim, steady, reset_at) in enumerate(zip(sims, steadies, resets, strict=True))
    ]
    speed = steadies[0].timings.speed
    dones = [None if result.done is None else result.done + (reset_at - resets[0]) * speed for result, reset_at in zip(results, resets, strict=True)]
    return results, None if None in dones else max(done for done in dones if done is not None)


def result_row(label: str, result: SteadyResult) -> str:
    """One line of the report's table."""
    done = "not done" if result.done is None else f"{result.done:.0f}"
    return (
        f"| {label} | {done} | {result.ideal:.0f} | {result.process.wall:.0f} | {result.requests.per_server:.2f} | "
        f"{result.outcome.exact}/{result.size} | {result.outcome.duplicates} | {result.failures} | {result.requests.throttled} | {result.process.returncode} |"
    )


def render(run: ProjectsRun, steadies: list[SteadyFleet], command: str) -> str:
    """The Markdown report."""
    lines = [
        "# Several projects in one run",
        "",
        f"`{command}`, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs. "
        f"{len(steadies)} projects x {steadies[0].size} servers in steady state (7 kept, a fifth locked), one simulator each; "
        f"{steadies[0].timings.describe()}.",
        "",
        goals_table(run.goals()),
        "",
        "| run | done (sim s) | ideal (sim s) | process (real s) | requests/server | exact | duplicates | failures | 429 | exit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [result_row(f"p{index + 1} alone", result) for index, result in enumerate(run.alone)]
    lines += [result_row(f"p{index + 1} in the one run", result) for index, result in enumerate(run.together)]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--projects", type=int, default=5)
    parser.add_argument("--size", type=int, default=200, help="servers per project")
    parser.add_argument("--speed", type=float, default=STEADY_TIMINGS.speed, help="simulated seconds per real second")
    parser.add_argument("--progress", default="linear", choices=("linear", "stuck"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--report", type=Path, help="also write the report here (docs/benchmarks-projects.md)")
    args = parser.parse_args(argv)
    ensure_collection_link()
    timings = dataclasses.replace(STEADY_TIMINGS, speed=args.speed)
    steadies = [SteadyFleet.generate(args.size, args.seed + index, args.progress, timings) for index in range(args.projects)]
    workdir = ROOT / "bench" / "output" / f"projects-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    workdir.mkdir(parents=True)
    options = StrategyOptions(timeout=max(900.0, 4 * timings.real(max(steady.ideal_seconds() for steady in steadies))))
    with contextlib.ExitStack() as stack:
        sims = [
            stack.enter_context(start_simulator([*start_args(timings), "--token", f"bench-project-{index + 1}"], cwd=ROOT)) for index in range(args.projects)
        ]
        alone = [run_alone(sim, steady, index, workdir, options) for index, (sim, steady) in enumerate(zip(sims, steadies, strict=True))]
        together, together_done = run_together(sims, steadies, workdir, options)
    run = ProjectsRun(alone, together, together_done)
    report = render(run, steadies, "python bench/projects.py " + " ".join(argv))
    (workdir / "report.md").write_text(report, encoding="utf-8")
    (workdir / "results.json").write_text(
        json.dumps({"alone": [r.summary() for r in alone], "together": [r.summary() for r in together], "together_done": together_done}, indent=1),
        encoding="utf-8",
    )
    if args.report:
        args.report.write_text(report, encoding="utf-8")
    print(report)
    return 0 if all(goal.passed for goal in run.goals()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
