"""The sliced scenario's part of the report: its table, its goals (issue 24) and how the figures were taken.

Goals are ``(text, measured, verdict)`` tuples (``None``: not measured); ``bench/run.py`` makes ``Goal`` rows of them.
"""

from __future__ import annotations

import math

from bench.sliced import SlicedRun
from bench.steady import HOSTS_FORKS, KEEP
from bench.steady_report import POLL_BUDGET_PER_SECOND, POLL_BURST, budget_allowance

WALL_LIMIT = 1.2  # the slices' wall, at most this times the one job's
REQUESTS_LIMIT = 2.5  # per server
RESERVED_SHARE = 0.75  # of the limit, left to the project's other users (minus the floor's own writes)
LAUNCHER_LABELS = {"runner": "ansible-runner", "playbook": "ansible-playbook", "script": "one process"}


def label(run: SlicedRun) -> str:
    """What ran, in words."""
    if run.strategy == "peer":
        return "peer (concurrent hcloud script)"
    jobs = "one job" if run.strategy == "one_job" else f"{len(run.jobs)} slices"
    forks = f"-f {HOSTS_FORKS}" + (" each" if len(run.jobs) > 1 else "")
    return f"snapshot_hosts.yml, {jobs} ({forks}, {LAUNCHER_LABELS[run.launcher]})"


def _one_job(runs: list[SlicedRun], run: SlicedRun) -> SlicedRun | None:
    return next((other for other in runs if other.strategy == "one_job" and other.result.size == run.result.size), None)


def wall_ratio(runs: list[SlicedRun], run: SlicedRun) -> float | None:
    """The run's wall (first start to the slowest job's exit) over the one job's."""
    one = _one_job(runs, run)
    return None if one is None else run.result.process.wall / max(one.result.process.wall, 1e-9)


def remaining_floor(run: SlicedRun) -> float:
    """The lowest RateLimit-Remaining the goal allows: three quarters of the limit, minus the floor's own writes."""
    return RESERVED_SHARE * run.rate_limit - run.floor_writes


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _reported(run: SlicedRun) -> str:
    if run.strategy == "peer":
        return "n/a (no recap)"
    reported = sum(job.reported for job in run.jobs)
    failed = sum(job.failed for job in run.jobs)
    return f"{reported} of {sum(job.hosts for job in run.jobs)} ({failed} failed)"


def sliced_table(runs: list[SlicedRun], speed: float) -> str:
    """One row per strategy and size."""
    header = (
        "| servers | strategy | hosts per job | wall, slowest job, real s (each job) | wall / one-job wall | done, sim s (real s) | requests "
        "| per server | 429s | polls, all jobs (per real s) | lowest RateLimit-Remaining | floor's writes | goal: lowest at least "
        f"| servers with exactly {KEEP} | duplicates | failures | hosts in the recaps | controller CPU s | peak RSS MB |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for run in runs:
        result = run.result
        rc = "" if result.process.returncode in (0, None) else f" (exit {result.process.returncode})"
        rc = " (timed out)" if result.process.timed_out else rc
        walls = ", ".join(f"{job.process.wall:.0f}" for job in run.jobs)
        done = "not all" if result.done is None else f"{result.done:.0f} ({result.done / speed:.0f})"
        hosts = "/".join(str(job.hosts) for job in run.jobs)
        lines.append(
            f"| {result.size} | {label(run)}{rc} | {hosts} | {result.process.wall:.0f} ({walls}) | {_num(wall_ratio(runs, run))} | {done} "
            f"| {result.requests.total} | {result.requests.per_server:.2f} | {result.requests.throttled} "
            f"| {result.requests.polls()} ({result.poll_rate():.2f}) | {_num(result.requests.lowest_remaining, 0)} | {run.floor_writes} "
            f"| {remaining_floor(run):.0f} | {result.outcome.exact} of {result.size} | {result.outcome.duplicates} | {result.failures} "
            f"| {_reported(run)} | {result.process.cpu_seconds:.1f} | {result.process.peak_rss_mb:.0f} |"
        )
    return "\n".join(lines)


def _row(text: str, measured: str, passed: bool | None) -> tuple[str, str, bool | None]:
    return text, measured, passed


def _slice_goals(runs: list[SlicedRun], run: SlicedRun) -> list[tuple[str, str, bool | None]]:
    result = run.result
    where = f"{label(run)}, {result.size} servers, steady state"
    ratio = wall_ratio(runs, run)
    one = _one_job(runs, run)
    walls = "no one-job run" if one is None else f"{result.process.wall:.0f} s / {one.result.process.wall:.0f} s = {_num(ratio)}"
    lowest = result.requests.lowest_remaining
    floor = remaining_floor(run)
    allowed = budget_allowance(result)
    return [
        _row(f"{where}: wall at most {WALL_LIMIT} x the one-job wall", walls, None if ratio is None else ratio <= WALL_LIMIT),
        _row(f"{where}: at most {REQUESTS_LIMIT:g} requests per server", f"{result.requests.per_server:.2f}", result.requests.per_server <= REQUESTS_LIMIT),
        _row(f"{where}: no 429", str(result.requests.throttled), result.requests.throttled == 0),
        _row(
            f"{where}: lowest RateLimit-Remaining at least {RESERVED_SHARE:g} x {run.rate_limit} minus the floor's writes",
            f"{_num(lowest, 0)}, at least {RESERVED_SHARE * run.rate_limit:.0f} - {run.floor_writes} = {floor:.0f}",
            None if lowest is None else lowest >= floor,
        ),
        _row(
            f"{where}: polling of all slices together within one budget ({POLL_BURST} + {POLL_BUDGET_PER_SECOND} per real second)",
            f"{result.requests.polls()} polls, {allowed:.0f} allowed in {result.process.wall:.0f} s",
            result.requests.polls() <= allowed,
        ),
    ]


def sliced_goals(runs: list[SlicedRun]) -> list[tuple[str, str, bool | None]]:
    """The issue's goals for the slices, and exact rotation for every strategy."""
    found: list[tuple[str, str, bool | None]] = []
    for run in runs:
        if run.strategy == "sliced":
            found += _slice_goals(runs, run)
    for run in runs:
        outcome = run.result.outcome
        missing = sum(len(job.missing) for job in run.jobs)
        exact = outcome.exact == run.result.size and outcome.duplicates == 0 and outcome.foreign_lost == 0 and run.result.failures == 0 and missing == 0
        recaps = run.strategy != "peer"  # the peer prints a line per server, no recap
        found.append(
            _row(
                f"{label(run)}, {run.result.size} servers: every server exactly {KEEP}, no duplicate, nothing else touched"
                + (", every host in a recap" if recaps else ""),
                f"{outcome.exact} of {run.result.size} exact, {outcome.duplicates} duplicates, {outcome.foreign_lost} lost, {run.result.failures} failures"
                + (f", {missing} hosts missing from the recaps" if recaps else ""),
                exact,
            )
        )
    if not any(run.strategy == "sliced" for run in runs):
        found.append(_row("snapshot_hosts.yml in slices: the issue's goals (wall, requests, 429, RateLimit-Remaining)", "not run", None))
    return found


def sliced_method(count: int, timings_line: str) -> list[str]:
    """How the sliced figures were taken."""
    return [
        f"The fleet is the steady state's ({KEEP} kept snapshots a server, a hand-made one each, a protected one every fourth, a fifth "
        f"of the servers locked at the start, progress linear, `keep: {KEEP}`). {timings_line}.",
        f"Slices as AWX makes them (`awx/main/models/inventory.py` `get_sliced_hosts`, `jobs.py` `get_effective_slice_ct`): the hosts "
        f"ordered by name, slice n of {count} takes every {count}th host from the (n-1)th, the slice count never more than the hosts; "
        "each job's inventory is the executable script AWX writes (`bench/slicing.py`). Every job of a run starts at the same moment.",
        "Launcher: ansible-runner runs each job as AWX's RunJob does (`bench/awx_slice_job.py`, the packaging tools' ansible-runner 2.4: "
        "private data dir, the guide's project playbook importing `lockaware.hcloud.snapshot_hosts`, the credential in `envvars`, "
        "`env/extravars` with keep); ansible-playbook runs `playbooks/snapshot_hosts.yml -i <the slice's script>`. The one job is run "
        "the same way with a slice count of 1; the peer, `bench/peer_script.py`, is one process over the whole fleet.",
        "Wall: first start to the slowest job's exit, real seconds (each job's in brackets); every job waits for its snapshots, so every "
        "snapshot is available by then. Done: as in the steady state (exit and every new snapshot available, simulated seconds).",
        "Polls: lock, action and image polls of all jobs together, and per real second of the wall; one budget allows "
        f"{POLL_BURST} plus {POLL_BUDGET_PER_SECOND} a second, the default poll_budget of one process. Floor's writes: accepted "
        "`create_image` POSTs plus image DELETEs in the request log. Lowest RateLimit-Remaining: the lowest in the request log "
        f"(the bucket of {RESERVED_SHARE:g} of the limit is what the project's other users should keep, less what the floor must write).",
        "Controller CPU: all the jobs together (`getrusage` of the children); peak RSS: the sum of each job's peak (its process tree, "
        "sampled every 0.25 s), an upper bound of what was resident at once. Hosts in the recaps: hosts of each job's own slice that its "
        "PLAY RECAP names (and of them, failed or unreachable).",
    ]
