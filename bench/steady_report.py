"""The steady-state scenario's part of the report: its table, where the requests go, the goals set for it."""

from __future__ import annotations

from typing import Any

from bench.measure import CATEGORIES
from bench.steady import HOSTS_FORKS, KEEP, ROTATES, STEADY_LABELS, SteadyResult
from bench.steady_nights import PROTECTED_EVERY, series_after

FLOOR = 2  # one create and one delete per server
# The module's default poll_budget (plugins/module_utils/waiting/_budget.py): a quarter of 3600 requests an hour, bursts of 20.
POLL_BUDGET_PER_SECOND = 0.25
POLL_BURST = 20


# The goals of the nights other than the true steady state (issue 22): (strategy, size, night): requests per server.
NIGHT_GOALS = {("fleet", 200, "upgrade"): 3.0, ("fleet", 60, "nokeep"): 1.25}
NIGHT_FLOORS = {"upgrade": 2, "nokeep": 1}


def _label(result: SteadyResult) -> str:
    """The strategy, and the night when it is not the true steady state."""
    return STEADY_LABELS[result.strategy] + ("" if result.night == "steady" else f", {result.night} night")


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def budget_allowance(result: SteadyResult) -> float:
    """Polls the default budget allows over the run: a full burst plus 0.25 a second of its real wall time."""
    return POLL_BURST + POLL_BUDGET_PER_SECOND * result.process.wall


def steady_table(results: list[SteadyResult], speed: float) -> str:
    """One row per size, progress and strategy."""
    header = (
        "| servers | progress | strategy | done, sim s (real s) | ideal, sim s | wall / ideal | all available / ideal | requests "
        f"| per server (floor {FLOOR}) | peak in any minute (real) | 429s | lowest RateLimit-Remaining | polls (per real s) "
        f"| controller CPU s | peak RSS MB (processes) | servers with exactly {KEEP} | duplicates | failures | hand-made or protected lost |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for result in results:
        rc = "" if result.process.returncode in (0, None) else f" (exit {result.process.returncode})"
        if result.process.timed_out:
            rc = " (timed out)"
        done = "not all" if result.done is None else f"{result.done:.0f} ({result.done / speed:.0f})"
        exact = f"{result.outcome.exact} of {result.size}" if result.strategy in ROTATES else "n/a (no rotation)"
        lines.append(
            f"| {result.size} | {result.progress} | {_label(result)}{rc} | {done} | {result.ideal:.0f} | {_num(result.ratio)} "
            f"| {_num(result.available_ratio)} | {result.requests.total} | {result.requests.per_server:.2f} | {result.requests.busiest_real_minute} "
            f"| {result.requests.throttled} | {_num(result.requests.lowest_remaining, 0)} | {result.requests.polls()} ({result.poll_rate():.2f}) "
            f"| {result.process.cpu_seconds:.1f} | {result.process.peak_rss_mb:.0f} ({result.process.max_processes}) | {exact} "
            f"| {result.outcome.duplicates} | {result.failures} | {result.outcome.foreign_lost} |"
        )
    return "\n".join(lines)


def steady_breakdown(results: list[SteadyResult]) -> str:
    """Requests per server by what they were for, one column per run."""
    if not results:
        return ""
    names = [f"{_label(run)}, {run.size}, {run.progress}" for run in results]
    lines = ["| requests per server | " + " | ".join(names) + " |", "|---" * (len(results) + 1) + "|"]
    for category in CATEGORIES:
        if any(run.requests.categories.get(category) for run in results):
            lines.append(f"| {category} | " + " | ".join(f"{run.requests.categories.get(category, 0) / run.size:.2f}" for run in results) + " |")
    lines.append("| **all** | " + " | ".join(f"**{run.requests.per_server:.2f}**" for run in results) + " |")
    return "\n".join(lines)


def _find(results: list[SteadyResult], strategy: str, size: int, progress: str | None = None, night: str = "steady") -> list[SteadyResult]:
    return [run for run in results if run.strategy == strategy and run.size == size and (progress is None or run.progress == progress) and run.night == night]


def _row(text: str, measured: str, passed: bool | None) -> tuple[str, str, bool | None]:
    return text, measured, passed


def steady_goals(results: list[SteadyResult]) -> list[tuple[str, str, bool | None]]:
    """The steady-state goals, per run they apply to: ``(text, measured, verdict)`` (``None``: not measured)."""
    found: list[tuple[str, str, bool | None]] = []
    # The fleet-layer issue's goals: 2.5 requests per server at steady state; 1.3 x ideal at 1000 servers at the default budget.
    limits = {("fleet", 200): (1.15, 2.5), ("fleet", 1000): (1.3, 2.5), ("hosts", 200): (1.5, 8.0)}
    for (strategy, size), (ratio_limit, requests_limit) in limits.items():
        runs = _find(results, strategy, size)
        label = f"{STEADY_LABELS[strategy]}, {size} servers, steady state"
        if not runs:
            found.append(_row(f"{label}: wall / ideal at most {ratio_limit}, at most {requests_limit:g} requests per server", "not run", None))
            continue
        for run in runs:
            where = f"{label}, progress {run.progress}"
            found.append(_row(f"{where}: wall / ideal at most {ratio_limit}", _num(run.ratio), None if run.ratio is None else run.ratio <= ratio_limit))
            found.append(
                _row(f"{where}: at most {requests_limit:g} requests per server", _num(run.requests.per_server), run.requests.per_server <= requests_limit)
            )
            if strategy == "fleet":
                found.append(_row(f"{where}: no 429", str(run.requests.throttled), run.requests.throttled == 0))
            if strategy == "fleet" and run.progress == "stuck":
                allowed = budget_allowance(run)
                found.append(
                    _row(
                        f"{where}: polling within the budget (at most {POLL_BURST} + {POLL_BUDGET_PER_SECOND} per real second)",
                        f"{run.requests.polls()} polls, {allowed:.0f} allowed in {run.process.wall:.0f} s",
                        run.requests.polls() <= allowed,
                    )
                )
            if size == 1000:
                rss = run.process.peak_rss_mb
                found.append(_row(f"{where}: controller peak RSS under 1 GB", f"{rss:.0f} MB", rss < 1024))
    for peer in _find(results, "peer", 200) or [run for run in results if run.strategy == "peer"]:
        ours = _find(results, "fleet", peer.size, peer.progress)
        ratio = peer.requests.total / ours[0].requests.total if ours and ours[0].requests.total else None
        found.append(
            _row(
                f"{peer.size} servers, progress {peer.progress}: {STEADY_LABELS['fleet']} at least 10 times fewer requests than the peer",
                f"peer {peer.requests.total} ({peer.requests.per_server:.1f}/server), ours {ours[0].requests.total if ours else 'n/a'}: {_num(ratio, 1)}x",
                None if ratio is None else ratio >= 10,
            )
        )
    found += night_goals(results)
    for run in results:
        if run.strategy not in ROTATES:
            continue
        outcome = run.outcome
        exact = outcome.exact == run.size and outcome.duplicates == 0 and outcome.foreign_lost == 0 and run.failures == 0
        wanted = series_after(run.night, KEEP)
        found.append(
            _row(
                f"{_label(run)}, {run.size} servers, progress {run.progress}: every server exactly {wanted} of its series, nothing else touched",
                f"{outcome.exact} of {run.size} exact, {outcome.duplicates} duplicates, {outcome.foreign_lost} lost, {run.failures} failures",
                exact,
            )
        )
    return found


def night_goals(results: list[SteadyResult]) -> list[tuple[str, str, bool | None]]:
    """The goals of the upgrade night and the run without ``keep``; the latter's reads after the creates within the
    budget (a burst, then the default share of the rate limit per real second from the first create on)."""
    found: list[tuple[str, str, bool | None]] = []
    for (strategy, size, night), limit in NIGHT_GOALS.items():
        label = f"{STEADY_LABELS[strategy]}, {size} servers, {night} night"
        runs = _find(results, strategy, size, night=night)
        if not runs:
            found.append(_row(f"{label}: at most {limit:g} requests per server (floor {NIGHT_FLOORS[night]})", "not run", None))
        for run in runs:
            where = f"{label}, progress {run.progress}"
            per_server = run.requests.per_server
            found.append(_row(f"{where}: at most {limit:g} requests per server (floor {NIGHT_FLOORS[night]})", _num(per_server), per_server <= limit))
            if night == "nokeep":
                reads, seconds = run.after_creates
                allowed = POLL_BURST + POLL_BUDGET_PER_SECOND * seconds
                found.append(
                    _row(
                        f"{where}: every read of the waits after the creates (polls, new snapshots) paid from the budget "
                        f"(at most {POLL_BURST} + {POLL_BUDGET_PER_SECOND} per real second from the first create)",
                        f"{reads} reads, {allowed:.0f} allowed in {seconds:.0f} s",
                        reads <= allowed,
                    )
                )
    return found


def steady_method(speed: float, timings_line: str, options: Any) -> list[str]:
    """How the steady numbers were taken."""
    return [
        f"Steady state: every server holds {KEEP} snapshots of its series (one a night, the collection's description and labels, "
        f"`lockaware.hcloud/server=<id>`), one made by hand and, one server in {PROTECTED_EVERY}, a protected one of its series; "
        f"`keep: {KEEP}`. {timings_line}.",
        "Done: the strategy's process has exited and every server's new snapshot is available (its create_image POST in the request log "
        "plus the snapshot's duration), in simulated seconds from the reset that starts the locks; wall / ideal is done over the ideal "
        "(the largest lock release plus snapshot duration). All available / ideal leaves out the process's own exit (the baseline exits "
        "without waiting for its snapshots).",
        f"Floor: {FLOOR} requests per server (one create, one delete). Peak in any minute: the most requests in any 60 real seconds of "
        "the request log (the rate limit's bucket refills in real time). Polls: the lock, action and image polls (running actions, "
        f"`GET /actions`, `GET /actions/{{id}}`, `GET /images/{{id}}`); the default budget allows {POLL_BURST} plus {POLL_BUDGET_PER_SECOND} "
        "a second.",
        f"Strategies: `snapshot_fleet.yml -e keep={KEEP}` (`-e label_selector={options.label_selector}`); `snapshot_hosts.yml -f {HOSTS_FORKS} "
        f"-e keep={KEEP}` over a static inventory; the sequential baseline script (it does not rotate, so its servers hold {KEEP + 1}); "
        "above 256 servers snapshot_fleet.yml runs with `-e concurrency=<servers>` (its default is 256); "
        f"the peer, `bench/peer_script.py --keep {KEEP}` (its docstring gives its design: a thread pool of 256, the library's "
        "`wait_until_finished` with a 1 s doubling to 10 s backoff, one fresh series listing per server to rotate).",
        "Afterwards every rotating strategy must leave each server with exactly "
        f"{KEEP} unprotected available snapshots of its series, one new snapshot, and its hand-made and protected snapshots.",
    ]
