"""What one run of one scenario works with (the bench, a seeded random generator) and what it counts."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import observe
from harness import Bench, PlaybookRun, RunningPlaybook

# The counts that must be zero for a run to pass.
INVARIANTS = (
    "duplicates",
    "wrongly_deleted",
    "check_writes",
    "leaks",
    "silent_failures",
    "left_off",
    "wrong_rebuilds",
    "repeated_rebuilds",
    "protected_touched",
    "leaked_scratch",
)


@dataclass
class Outcome:
    """The figures of one scenario run, and what went wrong in it."""

    expected: int = 0
    found: int = 0
    duplicates: int = 0
    wrongly_deleted: int = 0
    check_writes: int = 0
    leaks: int = 0
    silent_failures: int = 0  # runs that failed a server, or were meant to fail, and exited 0 all the same
    cancellations: int = 0  # signals sent to a running playbook (SIGINT, SIGTERM, SIGKILL)
    left_off: int = 0  # servers that were running and are off at the end
    rebuilds: int = 0  # rebuild_server actions at the end (rollbacks)
    wrong_rebuilds: int = 0  # servers rebuilt from an image that was not their own snapshot (or the one allowed), or not to be rebuilt
    repeated_rebuilds: int = 0  # rebuilds beyond one per rollback request (a lost answer sent again, a rerun restoring again)
    protected_touched: int = 0  # writes to a protected snapshot or a rebuild-protected server, or their protection changed
    leaked_scratch: int = 0  # a restore drill's scratch servers still there after the run that should remove them
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """No problem and every invariant count zero."""
        return not self.problems and not any(getattr(self, name) for name in INVARIANTS)


class RunContext:
    """One run of one scenario: the bench, a seeded ``random.Random``, the outcome, and helpers that count as they go."""

    def __init__(self, bench: Bench, seed: int, run_index: int, fast: bool = False) -> None:
        self.bench = bench
        self.fast = fast  # the suite's fast subset (make test): a scenario may try a seeded part of its cases
        self.control = bench.control
        self.seed = seed
        self.run_index = run_index
        self.rng = random.Random(seed)
        self.outcome = Outcome()
        self.ids: dict[str, int] = {}
        self.before: dict[int, observe.Snap] = {}
        self.policy = observe.DeletionPolicy()
        self.targets: dict[tuple[str, str], int] = {}
        self.deprecated_seen: set[str] = set()

    # checks -----------------------------------------------------------------------------------------------

    def check(self, condition: Any, message: str) -> bool:
        """Record ``message`` as a problem unless ``condition`` holds."""
        if not condition:
            self.outcome.problems.append(observe.redact(observe.redact(message, self.bench.token), self.bench.read_only_token))
        return bool(condition)

    def check_failed(self, result: dict[str, Any], *needles: str, what: str = "") -> None:
        """The module failed, and its message holds every needle (case-insensitive)."""
        name = what or (result.get("case") or {}).get("name", "?")
        if not self.check(result.get("failed"), f"{name}: expected a failure, got {short(result)}"):
            return
        msg = str(result.get("msg", "")).lower()
        missing = [needle for needle in needles if needle.lower() not in msg]
        self.check(not missing, f"{name}: failure message lacks {missing}: {result.get('msg')!r}")

    def check_exit_failed(self, run: PlaybookRun, what: str = "") -> None:
        """The run failed as a scheduler sees it: a non-zero exit status and at least one failed host in the recap.

        A run that exits 0 here is a silent failure: cron, AWX and CI would report a good night.
        """
        name = what or run.describe()
        recap = observe.recap(run.stdout)
        if run.rc == 0:
            self.outcome.silent_failures += 1
        self.check(run.rc not in (0, None), f"{name}: exited {run.rc} although it was meant to fail (recap {recap})")
        self.check(any(counts.get("failed", 0) for counts in recap.values()), f"{name}: the recap shows no failed host: {recap}")

    def check_exit_ok(self, run: PlaybookRun, what: str = "") -> None:
        """The run succeeded as a scheduler sees it: exit status 0 and no failed or unreachable host in the recap."""
        name = what or run.describe()
        recap = observe.recap(run.stdout)
        bad = {host: counts for host, counts in recap.items() if counts.get("failed") or counts.get("unreachable")}
        self.check(run.rc == 0 and recap and not bad, f"{name}: expected exit 0 and a clean recap, got rc={run.rc}, recap {recap}\n{run.tail()}")

    def check_ok(self, result: dict[str, Any], what: str = "", **expected: Any) -> None:
        """The module succeeded, with these keys of its result as given."""
        name = what or (result.get("case") or {}).get("name", "?")
        if not self.check(result and not result.get("failed"), f"{name}: expected success, got {short(result)}"):
            return
        for key, value in expected.items():
            self.check(result.get(key) == value, f"{name}: expected {key}={value!r}, got {result.get(key)!r} ({short(result)})")

    # the simulator ----------------------------------------------------------------------------------------

    def reset(self, fleet: dict[str, Any]) -> dict[str, int]:
        """Reset the simulator to ``fleet``; remembers and returns the server IDs."""
        self.control.reset(fleet)
        self.ids = observe.server_ids(self.control.state())
        return self.ids

    def mark_before(self) -> None:
        """Remember the live snapshots now: what the run must not wrongly delete."""
        self.before = observe.read_snapshots(self.control)

    def expect(self, server: str, description: str, count: int = 1) -> None:
        """At the end, ``count`` live snapshots of ``server`` with ``description`` must exist (available)."""
        self.targets[(server, description)] = count

    def create_path(self, server: str) -> str:
        """The regex of the create_image path of a server."""
        return rf"^/v1/servers/{self.ids[server]}/actions/create_image$"

    def check_no_deprecated(self, what: str) -> None:
        """No request of the log so far went to a deprecated or removed endpoint (each such request reported once)."""
        marked = [entry for entry in self.control.requests() if entry.get("deprecated") and entry["correlation_id"] not in self.deprecated_seen]
        self.deprecated_seen.update(entry["correlation_id"] for entry in marked)
        self.check(not marked, f"{what}: requests to deprecated endpoints: {[observe.show_request(entry) for entry in marked]}")

    def check_running(self, names: list[str], what: str) -> None:
        """Every one of these servers is running (none left off by a cancelled run); counts those left off."""
        status = {server["name"]: server["status"] for server in self.control.state()["servers"]}
        off = [name for name in names if status.get(name) != "running"]
        self.outcome.left_off += len(off)
        self.check(not off, f"{what}: servers left off: {[(name, status.get(name)) for name in off]}")

    # ansible-playbook -------------------------------------------------------------------------------------

    def playbook(self, playbook: str | Path, extra_vars: dict[str, Any] | None = None, timeout: float | None = None, **kwargs: Any) -> PlaybookRun:
        """Run a playbook in the foreground; counts leaks (and writes, in check mode)."""
        return self.finish(self.start(playbook, extra_vars, **kwargs), check=kwargs.get("check", False), timeout=timeout)

    def start(self, playbook: str | Path, extra_vars: dict[str, Any] | None = None, **kwargs: Any) -> RunningPlaybook:
        """Start a playbook in the background; pass it to ``finish``."""
        if kwargs.get("check"):
            self.control.clear_requests()
        return self.bench.start(playbook, extra_vars, **kwargs)

    def finish(self, running: RunningPlaybook, check: bool = False, timeout: float | None = None) -> PlaybookRun:
        """Wait for a playbook started with ``start``; counts leaks (and writes, in check mode)."""
        run = running.finish() if timeout is None else running.finish(timeout)
        self.check(not run.timed_out, f"{run.describe()}: did not finish in time")
        for token in (self.bench.token, self.bench.read_only_token):
            leaks = observe.token_leaks(token, {"stdout": run.stdout, "stderr": run.stderr}, [run.workdir])
            self.outcome.leaks += len(leaks)
            self.check(not leaks, f"{run.describe()}: a token appears in {leaks}")
        self.check_no_deprecated(run.describe())
        if check:
            written = observe.writes(self.control.requests())
            self.outcome.check_writes += len(written)
            self.check(not written, f"{run.describe()}: check mode wrote: {[observe.show_request(entry) for entry in written]}")
        return run

    def start_side_by_side(self, groups: list[list[dict[str, Any]]], label: str, **kwargs: Any) -> RunningPlaybook:
        """Start ``snapshot.yml`` on one local host per group of cases: the groups run side by side, in one ansible-playbook."""
        hosts = {f"{label}-{index}": {"cases": group} for index, group in enumerate(groups, start=1)}
        return self.start("snapshot.yml", label=label, hosts=hosts, **kwargs)

    def check_runs(self, runs: list[dict[str, Any]]) -> list[PlaybookRun]:
        """Run several playbooks side by side in check mode (each ``Bench.start`` keyword arguments); counts their writes once."""
        self.control.clear_requests()
        started = [self.bench.start(check=True, **run) for run in runs]
        finished = [self.finish(running) for running in started]
        written = observe.writes(self.control.requests())
        self.outcome.check_writes += len(written)
        self.check(not written, f"check mode wrote: {[observe.show_request(entry) for entry in written]}")
        return finished

    def cases(self, playbook_cases: list[dict[str, Any]], **kwargs: Any) -> PlaybookRun:
        """Run ``snapshot.yml`` with these cases (``{name, args, token_option}``) in the foreground."""
        return self.playbook("snapshot.yml", {"cases": playbook_cases}, label=kwargs.pop("label", playbook_cases[0]["name"]), **kwargs)

    # the end state ----------------------------------------------------------------------------------------

    def conclude(self) -> Outcome:
        """Read the end state and count expected/found snapshots, duplicates and wrong deletions."""
        after = observe.read_snapshots(self.control)
        self.save_evidence(after)
        self.check_no_deprecated("at the end")
        wrong = []
        for (server, description), count in self.targets.items():
            matching = [snap for snap in after.values() if snap.server_name == server and snap.description == description]
            self.outcome.expected += count
            self.outcome.found += len(matching)
            if len(matching) != count or any(snap.status != "available" for snap in matching):
                wrong.append(f"{server}/{description!r}: expected {count} available, found {[snap.show() for snap in matching]}")
        shown = wrong[:5] + ([f"... and {len(wrong) - 5} more"] if len(wrong) > 5 else [])
        for line in shown:
            self.check(False, line)
        groups = observe.duplicate_groups(after.values())
        self.outcome.duplicates += sum(len(group) - 1 for group in groups)
        for group in groups:
            self.check(False, f"duplicate snapshots: {[snap.show() for snap in group]}")
        gone = observe.wrongly_deleted(self.before, after, self.policy)
        self.outcome.wrongly_deleted += len(gone)
        self.check(not gone, f"wrongly deleted: {[snap.show() for snap in gone]}")
        return self.outcome

    def save_evidence(self, after: dict[int, observe.Snap]) -> None:
        """Keep the request log and the end state of this run beside the runs' files."""
        evidence = {"seed": self.seed, "requests": self.control.requests(), "snapshots": [vars(snap) for snap in after.values()]}
        path = self.bench.workroot / f"evidence-{self.seed}.json"
        path.write_text(json.dumps(evidence, indent=1), encoding="utf-8")


def case(name: str, token_option: bool = False, **args: Any) -> dict[str, Any]:
    """One case of ``snapshot.yml``: the module's arguments under a name."""
    return {"name": name, "args": args, "token_option": token_option}


def short(result: dict[str, Any]) -> str:
    """The telling part of a module result, for messages."""
    if not result:
        return "no result"
    keys = ("failed", "changed", "outcome", "adopted", "skipped", "msg")
    return repr({key: result.get(key) for key in keys if key in result})
