"""Scenario 29: a cancelled restore drill leaves no scratch server behind after the next run.

``playbooks/restore_drill.yml`` (a user's command) drills a few servers, one of them protected (delete and rebuild
protection, a protected snapshot), with checks that take a moment. At a seeded moment after its first scratch server
was requested, the run is cancelled in each of the ways a run ends early: SIGINT to the process group (Ctrl-C),
SIGTERM to the group (a scheduler's stop), the controller dying (SIGKILL to the group and every process it started).
After each, the same command once more: it exits 0, and then no server carries the drill's mark (each one left counts
as a leaked scratch server: it costs money every hour); every server without the mark is still there, the protected
server keeps its protection, and no snapshot is gone (the suite's ``wrongly deleted`` count).
"""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

import fleets
from context import RunContext
from harness import PLAYBOOK_DIR, REPO_ROOT, Trigger, sim_seconds
from scenarios_cancel import wait_gone

DRILL_PLAYBOOK = REPO_ROOT / "playbooks" / "restore_drill.yml"
DRILL_LABEL = "lockaware.hcloud/drill"
DRILLED = ["app-1", "app-2"]
GUARDED = "vault-1"  # delete and rebuild protection, a protected snapshot: drilled, never touched
# From the first create request, the cancel falls within this many real seconds: a scratch server being created,
# checked, deleted, or the next one being created.
CANCEL_WINDOW = 4.0
CANCEL_ATTEMPTS = 3


def drill_fleet() -> dict[str, Any]:
    """Servers to drill (each with its own snapshots), and a bystander with no snapshot and no drill label."""
    drilled = [
        fleets.server(name, labels={"drill": "yes"}, snapshots=[fleets.snapshot(f"{name}-old", age_hours=30), fleets.snapshot(f"{name}-new", age_hours=2)])
        for name in DRILLED
    ]
    guarded = fleets.server(
        GUARDED, labels={"drill": "yes"}, protection={"delete": True, "rebuild": True}, snapshots=[fleets.snapshot("vault-golden", age_hours=5, protected=True)]
    )
    bystander = fleets.server("bystander", labels={"drill": "no"})
    timing = {"create_server_seconds": sim_seconds(0.8), "delete_server_seconds": sim_seconds(0.3)}
    return fleets.fleet([*drilled, guarded, bystander], poweron_seconds=sim_seconds(0.4), **timing)


def drill_cancel(ctx: RunContext) -> None:
    """29. SIGINT, SIGTERM and a dead controller at seeded moments of a drill; the next run leaves no scratch server."""
    ctx.reset(drill_fleet())
    ctx.mark_before()
    protected_before = protection(ctx)
    ways = ["SIGINT", "SIGTERM", "controller dies"]
    if ctx.fast:  # make test: the controller dies, or one of the signals a process can handle, chosen by the seed
        ways = [ctx.rng.choice(ways)]
    variables = {"label_selector": "drill=yes", "drill_checks": str(PLAYBOOK_DIR / "tasks" / "drill_checks.yml"), "drill_check_seconds": 1}
    for way in ways:
        left = cancel_once(ctx, way, dict(variables, run_id=f"cancel-{way.split()[0].lower()}-{ctx.seed}"))
        rerun = ctx.playbook(DRILL_PLAYBOOK, dict(variables, run_id=f"rerun-{ctx.seed}"), label=f"drill rerun after {way}", verbosity=0)
        ctx.check_exit_ok(rerun, f"the drill rerun after {way}")
        ctx.check("3 of 3 server(s) restorable" in rerun.stdout, f"after {way}: the rerun's summary: {rerun.tail()}")
        leaked = scratch_servers(ctx)
        ctx.outcome.leaked_scratch += len(leaked)
        ctx.check(not leaked, f"after {way} and a rerun: scratch servers left: {leaked}")
        ctx.check(protection(ctx) == protected_before, f"after {way}: protection changed: {protection(ctx)} (was {protected_before})")
        names = {server["name"] for server in ctx.control.state()["servers"]}
        ctx.check(names == set(ctx.ids), f"after {way}: servers {sorted(names)}, expected {sorted(ctx.ids)}")
        print(f"scenario 29 [{ctx.seed}] {way}: {left} scratch server(s) left by the cancelled run, none after the rerun (rc={rerun.rc})", file=sys.stderr)


def cancel_once(ctx: RunContext, way: str, variables: dict[str, Any]) -> int:
    """Start the drill, cancel it ``way`` a seeded moment after its first create request; returns the scratch servers left.

    On a loaded machine the log's watcher can see the create late, and a short drill can end before the signal: that
    run was not cancelled, so the drill is started again and cancelled sooner (at most ``CANCEL_ATTEMPTS`` times).
    """
    pause = round(ctx.rng.uniform(0.1, CANCEL_WINDOW), 2)
    for _attempt in range(CANCEL_ATTEMPTS):
        done = cancel_attempt(ctx, way, variables, pause)
        if done is None:
            print(f"scenario 29 [{ctx.seed}] {way}: the drill ended within {pause}s of the first create, before the signal: again, sooner", file=sys.stderr)
            pause = round(pause / 4, 2)
            continue
        if way != "controller dies":
            ctx.check(done.rc != 0, f"{way}: the cancelled drill exited 0")
        left = scratch_servers(ctx)
        print(f"scenario 29 [{ctx.seed}] {way} {pause}s after the first create: rc={done.rc}, scratch servers left {left}", file=sys.stderr)
        return len(left)
    ctx.check(False, f"{way}: the drill ended before the signal {CANCEL_ATTEMPTS} times: nothing was cancelled")
    return len(scratch_servers(ctx))


def cancel_attempt(ctx: RunContext, way: str, variables: dict[str, Any], pause: float) -> Any:
    """One drill cancelled ``way``, ``pause`` s after its first create; its finished run, or None if it ended first."""
    ctx.control.clear_requests()
    running = ctx.start(DRILL_PLAYBOOK, variables, label=f"drill cancel {way}", verbosity=0)
    workers: list[int] = []
    cancelled: list[bool] = []

    def fire(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        if not running.running():  # the drill ended first: nothing was cancelled
            return
        cancelled.append(True)
        workers.extend(running.descendants())
        ctx.outcome.cancellations += 1
        if way == "controller dies":
            running.kill_tree()
        else:
            running.signal_group(signal.SIGINT if way == "SIGINT" else signal.SIGTERM)

    fired = ctx.bench.watch(running, [Trigger("POST", r"^/v1/servers$", fire, status=201)])
    ctx.check(fired, f"{way}: no scratch server was requested before the run ended")
    done = ctx.finish(running, timeout=120)
    wait_gone(workers, 30)
    return done if cancelled else None


def scratch_servers(ctx: RunContext) -> list[str]:
    """The servers carrying the drill's mark."""
    return [server["name"] for server in ctx.control.state()["servers"] if DRILL_LABEL in (server.get("labels") or {})]


def protection(ctx: RunContext) -> dict[str, Any]:
    """Every server's protection and every protected snapshot, as the simulator holds them."""
    state = ctx.control.state()
    servers = {server["name"]: server["protection"] for server in state["servers"] if DRILL_LABEL not in (server.get("labels") or {})}
    snapshots = sorted(image["id"] for image in state["images"] if (image.get("protection") or {}).get("delete"))
    return {"servers": servers, "protected snapshots": snapshots}
