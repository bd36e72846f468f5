"""Scenarios about locks, races, crashes and concurrency: 1, 2, 3, 8, 9, 12 and 16."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import fleets
import observe
from context import RunContext, case
from harness import FLEET_PLAYBOOK, HOSTS_PLAYBOOK, Trigger, sim_seconds

RACES = ("fault-423", "rebuild", "backup", "snapshot", "retry")
LOAD_SERVERS = 200
LOAD_TIMEOUT = 180.0
LOAD_CONCURRENCY = 40
LOAD_FORKS = 30


def lock_action(ctx: RunContext, server: str, body: dict[str, Any], pause: float = 0.0) -> Callable[[dict[str, Any]], None]:
    """A trigger action: after ``pause`` s, another client starts an action on ``server``."""

    def act(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        ctx.control.lock(server, **body)

    return act


def delete_action(ctx: RunContext, server: str, pause: float) -> Callable[[dict[str, Any]], None]:
    """A trigger action: after ``pause`` s, the server is deleted."""

    def act(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        ctx.control.delete_server(server)

    return act


def hold_first_lock_check(ctx: RunContext, server: str, delay_ms: int) -> None:
    """Delay the module's first look at the server's running actions, so that a lock set meanwhile is seen."""
    ctx.control.faults([{"method": "GET", "path_regex": rf"^/v1/servers/{ctx.ids[server]}/actions$", "mode": "delay", "delay_ms": delay_ms}])


def lock_waits(ctx: RunContext) -> None:
    """1. A lock held 5 to 30 s by another action (rebuild, backup, shutdown): the module waits; one snapshot."""
    kinds = list(fleets.LOCK_KINDS)
    ctx.rng.shuffle(kinds)
    names = [f"wait-{kind}" for kind in kinds]
    ctx.reset(fleets.fleet([fleets.server(name) for name in names]))
    ctx.mark_before()
    # One lock lasts 5 to 30 s; the others end before it, so that the run lasts no longer than its longest lock.
    longest = ctx.rng.uniform(5, 30)
    durations = [longest, *(ctx.rng.uniform(5, longest) for _index in kinds[1:])]
    groups, triggers = [], []
    for kind, name, seconds in zip(kinds, names, durations, strict=True):
        ctx.expect(name, f"{name}-{ctx.seed}")
        hold_first_lock_check(ctx, name, 1000)
        # The lock starts as the module first asks for the server: it is held for `seconds` from the module's point of view.
        triggers.append(Trigger("GET", r"^/v1/servers$", lock_action(ctx, name, fleets.lock_body(kind, seconds)), query={"name": name}))
        groups.append([case(name, server=name, description=f"{name}-{ctx.seed}", lock_timeout=120)])
    running = ctx.start_side_by_side(groups, label="lock-wait")
    fired = ctx.bench.watch(running, triggers)
    ctx.check(len(fired) == len(triggers), f"locks not set: only {len(fired)} of {len(triggers)} servers were asked for")
    run = ctx.finish(running)
    for kind, name in zip(kinds, names, strict=True):
        result = run.result(name)
        ctx.check_ok(result, changed=True, outcome="created")
        lock = result.get("lock") or {}
        command = "create_image" if kind == "backup" else kind
        ctx.check(lock.get("waited", 0) > 0, f"{name}: did not wait for the {kind} lock: {lock}")
        ctx.check(command in [action.get("command") for action in lock.get("actions", [])], f"{name}: the {command} action is not reported: {lock}")


def lock_outlasts_timeout(ctx: RunContext) -> None:
    """2. A lock that outlasts ``lock_timeout``: fails naming the action, no snapshot; ``skip`` skips, ``fail`` fails at once."""
    kind = ctx.rng.choice(fleets.LOCK_KINDS)
    timeout = ctx.rng.randint(2, 4)
    name, description = "busy", f"busy-{ctx.seed}"
    ctx.reset(fleets.fleet([fleets.server(name)]))
    action = ctx.control.lock(name, **fleets.lock_body(kind, 120))["action"]
    ctx.mark_before()
    ctx.expect(name, description, 0)
    args = {"server": name, "description": description}
    run = ctx.cases([case("wait", lock_timeout=timeout, **args), case("skip", on_locked="skip", **args), case("fail", on_locked="fail", **args)])
    named = f"action {action['id']} ({action['command']}"
    ctx.check_failed(run.result("wait"), f"still locked after waiting {timeout} s", named)
    skipped = run.result("skip")
    ctx.check_ok(skipped, changed=False, skipped=True, outcome="skipped")
    ctx.check(named in str(skipped.get("msg")), f"skip: the message does not name {named}: {skipped.get('msg')!r}")
    ctx.check_failed(run.result("fail"), f"is locked by {named}")
    written = observe.writes(ctx.control.requests())
    ctx.check(not written, f"requests that write were sent: {[observe.show_request(entry) for entry in written]}")


def stage_race(ctx: RunContext, race: str, name: str, description: str) -> Trigger | None:
    """Fault rules (and the trigger, for real races) that make the module's create request lose a race."""
    create = {"method": "POST", "path_regex": ctx.create_path(name)}
    if race == "fault-423":
        rule = {"mode": "respond", "status": 423, "code": "locked", "message": "cannot perform operation because server is locked"}
        ctx.control.faults([dict(rule, times=ctx.rng.randint(1, 3), **create)])
        return None
    if race == "retry":
        # The create is refused (503, not applied); while the module looks for it and backs off, another client
        # makes the same snapshot, quickly: the module must find it before it sends create_image again.
        ctx.control.faults([dict(create, mode="respond", status=503, code="unavailable", message="service unavailable")])
        body = fleets.lock_body("snapshot", 1, description=description)
        return Trigger("POST", ctx.create_path(name), lock_action(ctx, name, body), status=503)
    ctx.control.faults([dict(create, mode="delay", delay_ms=1500)])
    body = fleets.lock_body(race, ctx.rng.uniform(2, 5), description=description)
    return Trigger("GET", rf"^/v1/servers/{ctx.ids[name]}/actions$", lock_action(ctx, name, body))


def create_race(ctx: RunContext) -> None:
    """3. The lock appears between the module's check and its POST (423 on create_image): one snapshot.

    Five servers: a simulated 423 answer; real races in which another client's rebuild, backup, or snapshot with the
    same identity starts while the module's create request is in flight (held back a second and a half); and a
    create refused with 503 while another client makes the same snapshot before the module tries again.
    """
    names = {race: f"race-{race}" for race in RACES}
    ctx.reset(fleets.fleet([fleets.server(name) for name in names.values()]))
    ctx.mark_before()
    cases, triggers = {}, []
    for race, name in names.items():
        description = f"{name}-{ctx.seed}"
        ctx.expect(name, description)
        trigger = stage_race(ctx, race, name, description)
        triggers += [trigger] if trigger else []
        cases[race] = case(name, server=name, description=description, lock_timeout=60)
    running = ctx.start_side_by_side([[each] for each in cases.values()], label="race")
    fired = ctx.bench.watch(running, triggers)
    ctx.check(len(fired) == len(triggers), f"races not staged: {len(fired)} of {len(triggers)}")
    results = ctx.finish(running)
    requests = ctx.control.requests()
    for race, name in names.items():
        ctx.check_ok(results.result(name))
        statuses = [entry["status"] for entry in requests if entry["method"] == "POST" and entry["path"].endswith(f"/{ctx.ids[name]}/actions/create_image")]
        lost = 503 if race == "retry" else 423
        ctx.check(lost in statuses, f"{name}: the race did not happen (create_image answered {statuses})")


def controller_killed(ctx: RunContext) -> None:
    """8. The controller dies mid-wait (ansible-playbook's process group killed): a rerun adopts; one snapshot."""
    name, description = "victim", f"victim-{ctx.seed}"
    ctx.reset(fleets.fleet([fleets.server(name)], snapshot_seconds_base=sim_seconds(12)))
    ctx.mark_before()
    ctx.expect(name, description)
    cases = [case(name, server=name, description=description)]
    running = ctx.start("snapshot.yml", {"cases": cases}, label="killed")
    pause = round(ctx.rng.uniform(0.5, 2.5), 2)

    def kill(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        running.kill_group()

    fired = ctx.bench.watch(running, [Trigger("POST", ctx.create_path(name), kill, status=201)])
    killed = ctx.finish(running)
    if not ctx.check(fired and killed.killed, f"the run was not killed while waiting: {killed.describe()}\n{killed.tail()}"):
        return
    time.sleep(0.2)
    ctx.check(not running.group_alive(), "processes of the killed run's group are still alive")
    live = [snap for snap in observe.read_snapshots(ctx.control).values() if snap.server_name == name]
    ctx.check([snap.status for snap in live] == ["creating"], f"after the kill: expected one snapshot being created, found {[snap.show() for snap in live]}")
    rerun = ctx.cases(cases, label="rerun")
    result = rerun.result(name)
    ctx.check_ok(result, adopted=True, outcome="adopted")
    ctx.check((result.get("snapshot") or {}).get("status") == "available", f"rerun: the adopted snapshot was not waited for: {result.get('snapshot')}")


def concurrent_runs(ctx: RunContext) -> None:
    """9. Two runs of playbooks/snapshot_fleet.yml at once on the same servers: one snapshot per server.

    Once both runs have looked their servers up, half of the servers are locked for a few seconds: both runs wait for
    them and go for them at about the same moment. The other half are free, and raced for as the runs reach them.
    """
    names = [f"twin-{index}" for index in range(1, 9)]
    ctx.reset(fleets.fleet([fleets.server(name) for name in names]))
    ctx.mark_before()
    today = observe.utc_today()
    for name in names:
        ctx.expect(name, f"{name}-{today}")
    locked, seconds = ctx.rng.sample(names, len(names) // 2), ctx.rng.uniform(5, 8)

    def lock_half(_entry: dict[str, Any]) -> None:
        for name in locked:
            ctx.control.lock(name, **fleets.lock_body(ctx.rng.choice(fleets.LOCK_KINDS), seconds))

    looked_up = {"status": "running"}
    triggers = [Trigger("GET", r"^/v1/servers$", lambda _entry: None, query=looked_up), Trigger("GET", r"^/v1/servers$", lock_half, query=looked_up)]
    fleet_vars = {"label_selector": "env=reliability", "concurrency": len(names), "lock_timeout": 120}
    runs = [ctx.start(FLEET_PLAYBOOK, fleet_vars, label=f"fleet-{index}") for index in (1, 2)]
    fired = ctx.bench.watch(runs, triggers)
    ctx.check(len(fired) == len(triggers), "the two runs did not both look their servers up")
    for running in runs:
        run = ctx.finish(running)
        ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")


def server_gone(ctx: RunContext) -> None:
    """12. The server never there, or deleted while the module waits for its lock or for its snapshot: a clear error."""
    waiting, creating = "gone-waiting", "gone-creating"
    # Snapshots of creating's 100 GB disk take 11 s, long enough to delete the server while the module waits.
    ctx.reset(fleets.fleet([fleets.server(waiting), fleets.server(creating, disk=100)], snapshot_seconds_per_gb=sim_seconds(0.1)))
    ctx.control.lock(waiting, **fleets.lock_body(ctx.rng.choice(fleets.LOCK_KINDS), 120))
    ghost = f"ghost-{ctx.rng.randrange(1000, 9999)}"
    ctx.mark_before()
    for name in (waiting, creating):
        ctx.expect(name, f"{name}-{ctx.seed}", 0)
    cases = [
        case(ghost, server=ghost),
        case("no-such-id", server=str(ctx.rng.randrange(700000, 799999))),
        case(waiting, server=waiting, description=f"{waiting}-{ctx.seed}", lock_timeout=120),
        case(creating, server=creating, description=f"{creating}-{ctx.seed}", lock_timeout=120),
    ]
    triggers = [
        Trigger("GET", rf"^/v1/servers/{ctx.ids[waiting]}/actions$", delete_action(ctx, waiting, ctx.rng.uniform(0.5, 2.0))),
        Trigger("POST", ctx.create_path(creating), delete_action(ctx, creating, ctx.rng.uniform(0.5, 3.0)), status=201),
    ]
    running = ctx.start_side_by_side([cases[:3], cases[3:]], label="server-gone")
    fired = ctx.bench.watch(running, triggers)
    run = ctx.finish(running)
    ctx.check(len(fired) == len(triggers), f"servers not deleted mid-run: {len(fired)} of {len(triggers)}")
    ctx.check_failed(run.result(ghost), f"server {ghost} not found")
    ctx.check_failed(run.result("no-such-id"), "not found")
    for name in (waiting, creating):
        result = run.result(name)
        ctx.check_failed(result, name)
        msg = str(result.get("msg", ""))
        ctx.check("not found" in msg or "deleted" in msg, f"{name}: the failure does not say the server is gone: {msg!r}")
    ctx.check(run.seconds < 90, f"the failures were not prompt: {run.describe()}")


def load(ctx: RunContext) -> None:
    """16. Load: 200 servers, a fifth locked at random for 5 to 30 s: one snapshot each.

    snapshot_fleet.yml works on all of them, 40 at a time, while snapshot_hosts.yml runs on an inventory of 30 of
    them with 30 forks (one module process per host), both at once: every server ends with one snapshot, whichever
    run made it, and neither run fails.
    """
    ctx.control.reset({"fleet": LOAD_SERVERS, "seed": ctx.seed})
    ctx.control.settings(**fleets.settings())
    state = ctx.control.state()
    ctx.ids = observe.server_ids(state)
    with_backups = {server["name"] for server in state["servers"] if server.get("backup_window")}
    for name in ctx.rng.sample(sorted(ctx.ids), LOAD_SERVERS // 5):
        kinds = fleets.LOCK_KINDS if name in with_backups else ("rebuild", "shutdown")
        ctx.control.lock(name, **fleets.lock_body(ctx.rng.choice(kinds), ctx.rng.uniform(5, 30)))
    ctx.mark_before()
    today = observe.utc_today()
    for name in ctx.ids:
        ctx.expect(name, f"{name}-{today}")
    fleet = ctx.start(FLEET_PLAYBOOK, {"concurrency": LOAD_CONCURRENCY, "lock_timeout": 120}, label="load-fleet")
    forked_hosts = {name: {} for name in ctx.rng.sample(sorted(ctx.ids), LOAD_FORKS)}
    hosts = ctx.start(HOSTS_PLAYBOOK, {"lock_timeout": 120}, label="load-hosts", hosts=forked_hosts, verbosity=0)
    for running in (fleet, hosts):
        run = ctx.finish(running, timeout=LOAD_TIMEOUT)
        ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")
        if running is fleet:
            ctx.check(f"of {LOAD_SERVERS} servers" in run.stdout, f"the fleet run's summary does not cover {LOAD_SERVERS} servers:\n{run.tail()}")
        else:
            recap_ok = run.stdout.count(" failed=0 ")
            ctx.check(recap_ok == LOAD_FORKS, f"{run.describe()}: {recap_ok} of {LOAD_FORKS} hosts finished without failure:\n{run.tail()}")
