"""The sliced scenario: ``snapshot_hosts.yml`` over a steady-state fleet, split into slices the way AWX splits a job.

The fleet is the steady scenario's (``bench/steady.py``: 7 kept snapshots a server, a fifth locked, real-scale
durations, progress linear). Three strategies, each on a freshly reset simulator with the default 3600-an-hour limit:

- ``one_job``: the whole inventory as one job (a job template with a slice count of 1);
- ``sliced``: the inventory split into ``--sliced-count`` slices (4) as AWX splits it (``bench/slicing.py``), one job
  per slice, every job started at the same moment;
- ``peer``: ``bench/peer_script.py --keep 7``, one process over the whole fleet.

A job is launched either through ansible-runner as AWX's RunJob launches it (``bench/awx_slice_job.py`` in the
packaging tools' virtualenv: a private data dir with the guide's project playbook, the slice's inventory script and
``env/extravars``, the credential in ``envvars``), or with ``ansible-playbook -i <the slice's inventory script>``.
Both run ``-f 50`` per job, as ``snapshot_hosts.yml`` runs in the steady scenario.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fleet import Timings
from bench.measure import ProcessResult, TreeSampler, wait_or_kill
from bench.recap import parse_recap
from bench.slicing import inventory_script, script_data, split
from bench.steady import HOSTS_FORKS, KEEP, STEADY_TIMINGS, SteadyFleet, SteadyResult, measure_steady, start_args, steady_command
from bench.strategies import BIN, ROOT, StrategyOptions, strategy_env
from hcloud_sim.launcher import SimulatorProcess, start_simulator

SLICE_COUNT = 4
SLICED_STRATEGIES = ("one_job", "sliced", "peer")
LAUNCHERS = ("runner", "playbook")
RUNNER_PYTHON = ROOT / ".tmp" / "packaging-tools" / "bin" / "python"
RUNNER_JOB = ROOT / "bench" / "awx_slice_job.py"
# The AWX project's playbook, as docs/guide.md's AWX section writes it for snapshot_hosts.yml.
PROJECT_PLAYBOOK = "---\n- name: Snapshot with lockaware.hcloud\n  ansible.builtin.import_playbook: lockaware.hcloud.snapshot_hosts\n"


@dataclass(frozen=True)
class SliceJob:
    """One job of a run: its hosts, command line, standard input and where its output goes."""

    number: int
    hosts: list[str]
    command: list[str]
    env: dict[str, str]
    stdin: str | None
    log: Path


@dataclass(frozen=True)
class SliceOutcome:
    """How one job ran and what its recap reported."""

    number: int
    hosts: int
    process: ProcessResult
    reported: int  # hosts its recap names
    failed: int  # of which failed or unreachable
    missing: list[str]  # hosts of the slice its recap does not name

    def summary(self) -> dict[str, Any]:
        """JSON-able."""
        process = self.process
        return {
            "job": self.number,
            "hosts": self.hosts,
            "wall_real_s": process.wall,
            "returncode": process.returncode,
            "timed_out": process.timed_out,
            "peak_rss_mb": process.peak_rss_mb,
            "reported": self.reported,
            "failed": self.failed,
            "missing": self.missing,
        }


@dataclass
class SlicedRun:
    """One strategy of the scenario, measured: the steady figures of the whole run, each job's own, the floor's writes."""

    strategy: str
    launcher: str
    result: SteadyResult
    jobs: list[SliceOutcome]
    floor_writes: int
    rate_limit: int

    def summary(self) -> dict[str, Any]:
        """JSON-able: the steady figures of the whole run, each job's, the floor's writes."""
        jobs = [job.summary() for job in self.jobs]
        return {
            "strategy": self.strategy,
            "launcher": self.launcher,
            "floor_writes": self.floor_writes,
            "rate_limit": self.rate_limit,
            "jobs": jobs,
            **self.result.summary(),
        }


def job_env(sim: SimulatorProcess, launcher: str) -> dict[str, str]:
    """A job's environment; through ansible-runner the credential comes in ``envvars``, as AWX injects it."""
    env = strategy_env(sim)
    return {key: value for key, value in env.items() if not key.startswith("HCLOUD_")} if launcher == "runner" else env


def prepare_job(steady: SteadyFleet, hosts: list[str], number: int, name: str, launcher: str, sim: SimulatorProcess, workdir: Path) -> SliceJob:
    """Write one job's inventory script (and, through ansible-runner, its private data dir); its command line."""
    fleet_inventory = steady.fleet.inventory(sys.executable)["all"]
    data = script_data(fleet_inventory["hosts"], fleet_inventory["vars"], hosts)
    log = workdir / f"{name}-job{number}.log"
    if launcher == "playbook":
        inventory = workdir / f"{name}-job{number}-inventory.py"
        inventory.write_text(inventory_script(data), encoding="utf-8")
        inventory.chmod(0o700)
        command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "playbooks/snapshot_hosts.yml", "-f", str(HOSTS_FORKS), "-e", f"keep={steady.keep}"]
        return SliceJob(number, hosts, command, job_env(sim, launcher), None, log)
    private = workdir / f"{name}-job{number}"
    for part in ("project", "inventory", "env"):
        (private / part).mkdir(parents=True, exist_ok=True)
    (private / "project" / "snapshot_hosts.yml").write_text(PROJECT_PLAYBOOK, encoding="utf-8")
    (private / "inventory" / "hosts").write_text(inventory_script(data), encoding="utf-8")
    (private / "inventory" / "hosts").chmod(0o700)
    (private / "env" / "extravars").write_text(json.dumps({"keep": steady.keep}), encoding="utf-8")
    job = {
        "private_data_dir": str(private),
        "playbook": "snapshot_hosts.yml",
        "forks": HOSTS_FORKS,
        "envvars": {"HCLOUD_TOKEN": sim.token, "HCLOUD_ENDPOINT": sim.url},
    }
    return SliceJob(number, hosts, [str(RUNNER_PYTHON), str(RUNNER_JOB)], job_env(sim, launcher), json.dumps(job), log)


def _run_one(job: SliceJob, timeout: float, results: dict[int, ProcessResult]) -> None:
    with job.log.open("w", encoding="utf-8") as log:
        started = time.time()
        stdin = subprocess.PIPE if job.stdin is not None else subprocess.DEVNULL
        process = subprocess.Popen(job.command, cwd=ROOT, env=job.env, stdout=log, stderr=subprocess.STDOUT, stdin=stdin, start_new_session=True, text=True)
        if job.stdin is not None and process.stdin is not None:
            process.stdin.write(job.stdin)
            process.stdin.close()
        sampler = TreeSampler(process.pid)
        sampler.start()
        returncode, timed_out = wait_or_kill(process, timeout)
        ended = time.time()
        sampler.stop()
    # CPU is measured for all the jobs together (getrusage cannot tell children apart): NaN here.
    results[job.number] = ProcessResult(returncode, started, ended, float("nan"), sampler.peak_rss / 2**20, 0.0, sampler.max_processes, timed_out)


def run_together(jobs: list[SliceJob], timeout: float) -> tuple[list[ProcessResult], ProcessResult]:
    """Start every job at once and wait for all: each job's process, and the set as one (first start to last exit)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    results: dict[int, ProcessResult] = {}
    threads = [threading.Thread(target=_run_one, args=(job, timeout, results), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    each = [results[job.number] for job in jobs]
    codes = [result.returncode for result in each]
    returncode = None if None in codes else next((code for code in codes if code), 0)
    whole = ProcessResult(
        returncode=returncode,
        started=min(result.started for result in each),
        ended=max(result.ended for result in each),
        cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        peak_rss_mb=sum(result.peak_rss_mb for result in each),  # the sum of each job's peak: at most this at once
        max_child_rss_mb=after.ru_maxrss / 1024,
        max_processes=sum(result.max_processes for result in each),
        timed_out=any(result.timed_out for result in each),
    )
    return each, whole


def floor_writes(entries: list[dict]) -> int:
    """The writes the run cannot do without, from its request log: accepted snapshot creates and image deletes."""
    return sum(
        1
        for entry in entries
        if entry["status"] is not None
        and entry["status"] < 400
        and (
            (entry["method"] == "POST" and entry["path"].endswith("/actions/create_image"))
            or (entry["method"] == "DELETE" and entry["path"].startswith("/v1/images/"))
        )
    )


def _jobs_for(strategy: str, steady: SteadyFleet, count: int, launcher: str, sim: SimulatorProcess, workdir: Path, options: StrategyOptions) -> list[SliceJob]:
    name = f"sliced-{strategy}-{steady.size}"
    if strategy == "peer":
        command = steady_command("peer", steady, workdir, options)
        return [SliceJob(1, [server.name for server in steady.fleet.servers], command, strategy_env(sim), None, workdir / f"{name}.log")]
    slices = split([server.name for server in steady.fleet.servers], count if strategy == "sliced" else 1)
    return [prepare_job(steady, hosts, number, name, launcher, sim, workdir) for number, hosts in enumerate(slices, start=1)]


def run_sliced(sim: SimulatorProcess, steady: SteadyFleet, strategy: str, count: int, launcher: str, workdir: Path, options: StrategyOptions) -> SlicedRun:
    """Reset the simulator to the steady fleet, start the strategy's jobs together, let the snapshots end, and measure."""
    jobs = _jobs_for(strategy, steady, count, launcher, sim, workdir, options)
    load_before = os.getloadavg()[0]
    sim.control.reset(steady.spec(datetime.datetime.now(datetime.timezone.utc)))
    reset_at = time.time()
    each, whole = run_together(jobs, options.timeout)
    log = workdir / f"sliced-{strategy}-{steady.size}.log"
    result = measure_steady(sim, steady, "peer" if strategy == "peer" else "hosts", jobs[0].command, whole, reset_at, log, load_before)
    outcomes = []
    for job, process in zip(jobs, each, strict=True):
        recap = parse_recap(job.log.read_text(encoding="utf-8", errors="replace")) if strategy != "peer" else None
        reported = len(recap.hosts & set(job.hosts)) if recap else 0
        failed = len(recap.failed & set(job.hosts)) if recap else 0
        outcomes.append(SliceOutcome(job.number, len(job.hosts), process, reported, failed, recap.missing(job.hosts) if recap else []))
    writes = floor_writes(sim.control.requests())
    return SlicedRun(strategy, "script" if strategy == "peer" else launcher, result, outcomes, writes, steady.timings.rate_limit)


def missing_runner() -> str:
    """What to do when ansible-runner is not there."""
    return f"no ansible-runner: {RUNNER_PYTHON.relative_to(ROOT)} is missing (`make packaging` builds it); or use --sliced-launcher playbook"


def default_launcher() -> str:
    """ansible-runner when the packaging tools' virtualenv has it (``make packaging`` builds it), else ansible-playbook."""
    return "runner" if RUNNER_PYTHON.exists() else "playbook"


def sliced_timings(speed: float | None, latency_ms: int, rate_limit: int) -> Timings:
    """The steady scenario's durations at ``speed`` (default: the steady speed)."""
    return Timings(
        speed=speed or STEADY_TIMINGS.speed,
        snapshot_seconds_base=STEADY_TIMINGS.snapshot_seconds_base,
        snapshot_seconds_per_gb=STEADY_TIMINGS.snapshot_seconds_per_gb,
        latency_ms=latency_ms,
        rate_limit=rate_limit,
    )


def run_sliced_scenario(
    size: int, strategies: list[str], count: int, launcher: str, timings: Timings, seed: int, workdir: Path, options: StrategyOptions
) -> list[SlicedRun]:
    """Every strategy on one simulator, one after the other, each from a fresh reset."""
    if launcher == "runner" and not RUNNER_PYTHON.exists():
        raise SystemExit(missing_runner())
    runs: list[SlicedRun] = []
    steady = SteadyFleet.generate(size, seed, "linear", timings)
    print(f"Sliced: {size} servers in steady state (keep {KEEP}), ideal {steady.ideal_seconds():.0f} s simulated; {timings.describe()}", flush=True)
    with start_simulator(start_args(timings)) as sim:
        for strategy in strategies:
            runs.append(run_sliced(sim, steady, strategy, count, launcher, workdir, options))
            print(progress_line(runs[-1]), flush=True)
    return runs


def progress_line(run: SlicedRun) -> str:
    """One line per run while the benchmark goes on."""
    result = run.result
    walls = ", ".join(f"{job.process.wall:.0f}" for job in run.jobs)
    return (
        f"  {run.strategy:8} ({run.launcher}, {len(run.jobs)} job(s), walls {walls} s real, exit {result.process.returncode}): "
        f"{result.requests.total} requests ({result.requests.per_server:.2f}/server), {result.requests.throttled} 429s, "
        f"{result.requests.polls()} polls, lowest remaining {result.requests.lowest_remaining}, floor writes {run.floor_writes}; "
        f"{result.outcome.exact}/{result.size} exact, {result.outcome.duplicates} duplicates, {result.failures} failures; "
        f"CPU {result.process.cpu_seconds:.0f} s"
    )
