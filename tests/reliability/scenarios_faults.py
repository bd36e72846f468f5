"""Scenarios about failing requests and actions, rotation and quota: 4, 5, 6, 7, 10 and 11."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable
from typing import Any

import fleets
import observe
from context import RunContext, case
from harness import Trigger, drain_rate_limit

AMBIGUOUS = (
    {"mode": "after_commit", "status": 500, "code": "server_error", "message": "internal server error"},
    {"mode": "after_commit", "status": 502, "code": "bad_gateway", "message": "bad gateway"},
    {"mode": "after_commit", "status": 504, "code": "timeout", "message": "gateway timeout"},
    {"mode": "drop"},
)
SERVER_ERRORS = {500: "server_error", 502: "bad_gateway", 503: "unavailable", 504: "timeout"}
READ_PATHS = (r"^/v1/servers$", r"^/v1/images$", r"^/v1/servers/\d+/actions$", r"^/v1/actions/\d+$", r"^/v1/images/\d+$")
DELETE_FAULTS = ({"mode": "respond", "status": 500, "code": "server_error"}, {"mode": "after_commit", "status": 503, "code": "unavailable"}, {"mode": "drop"})
SERIES = {"series": "nightly"}
MIN_GAP_AFTER_429 = 0.9
READ_PATIENCE = 120  # the module's deadline for one read (module_utils/api/_api.py), retries of rate limits included


def requests_to(ctx: RunContext, method: str, path_regex: str) -> list[dict[str, Any]]:
    """The logged requests with this method whose path matches."""
    return [entry for entry in ctx.control.requests() if entry["method"] == method and re.search(path_regex, entry["path"])]


def ambiguous_create(ctx: RunContext) -> None:
    """4. create_image applied, then answered 500, 502 or 504, or the connection dropped: one snapshot, the task succeeds."""
    faults = list(AMBIGUOUS)
    ctx.rng.shuffle(faults)
    names = [f"ambiguous-{index}" for index in range(1, len(faults) + 1)]
    ctx.reset(fleets.fleet([fleets.server(name) for name in names]))
    ctx.mark_before()
    cases = []
    for name, fault in zip(names, faults, strict=True):
        ctx.control.faults([dict(fault, method="POST", path_regex=ctx.create_path(name))])
        ctx.expect(name, f"{name}-{ctx.seed}")
        cases.append(case(name, server=name, description=f"{name}-{ctx.seed}"))
    run = ctx.cases(cases, label="ambiguous")
    for name, fault in zip(names, faults, strict=True):
        what = f"{name} ({fault['mode']} {fault.get('status', '')})".strip()
        # Recognised as our own: "created" and changed (a snapshot merely found would be "unchanged"), sent once.
        ctx.check_ok(run.result(name), what=what, changed=True, outcome="created")
        posts = requests_to(ctx, "POST", ctx.create_path(name))
        ctx.check(len(posts) == 1, f"{what}: create_image was sent {len(posts)} times: {[observe.show_request(entry) for entry in posts]}")


def rate_limited(ctx: RunContext) -> None:
    """5. 429 for a stretch of requests (the real bucket drained, or injected 429s): the run honours the headers, in time."""
    name, description = "throttled", f"throttled-{ctx.seed}"
    ctx.reset(fleets.fleet([fleets.server(name)]))
    ctx.mark_before()
    ctx.expect(name, description)
    limit_rule = {"mode": "respond", "status": 429, "code": "rate_limit_exceeded", "message": "limit of 3600 requests per hour reached"}
    ctx.control.faults([dict(limit_rule, method="POST", path_regex=ctx.create_path(name))])
    if ctx.run_index % 2:
        ctx.control.faults([dict(limit_rule, method="GET", path_regex=r"^/v1/", times=ctx.rng.randint(2, 4))])
    else:
        drain_rate_limit(ctx.bench.sim.url, ctx.bench.token, leave=ctx.rng.randint(0, 4))
        ctx.control.clear_requests()
    run = ctx.cases([case(name, server=name, description=description, lock_timeout=60)])
    ctx.check_ok(run.result(name), changed=True, outcome="created")
    requests = ctx.control.requests()
    limited = [index for index, entry in enumerate(requests) if entry["status"] == 429]
    ctx.check(limited, "no request was answered 429: the scenario did not happen")
    for index in (index for index in limited if index + 1 < len(requests)):
        gap = seconds_between(requests[index], requests[index + 1])
        ctx.check(gap >= MIN_GAP_AFTER_429, f"request {index + 1} came {gap:.2f} s after a 429: {observe.show_request(requests[index + 1])}")
    ctx.check(run.seconds < READ_PATIENCE, f"the run took {run.seconds:.0f} s, past the {READ_PATIENCE} s a read may take")


def seconds_between(first: dict[str, Any], second: dict[str, Any]) -> float:
    """Seconds between two logged requests."""
    return (datetime.datetime.fromisoformat(second["time"]) - datetime.datetime.fromisoformat(first["time"])).total_seconds()


def transient_reads(ctx: RunContext) -> None:
    """6. Transient 5xx on reads: bounded retries, success; a read that keeps failing fails after a few tries."""
    flaky, broken = "flaky", "broken"
    ctx.reset(fleets.fleet([fleets.server(flaky), fleets.server(broken)]))
    ctx.mark_before()
    ctx.expect(flaky, f"{flaky}-{ctx.seed}")
    ctx.expect(broken, f"{broken}-{ctx.seed}", 0)
    rules = []
    for path in ctx.rng.sample(READ_PATHS, ctx.rng.randint(2, len(READ_PATHS))):
        status = ctx.rng.choice(sorted(SERVER_ERRORS))
        rules.append({"method": "GET", "path_regex": path, "mode": "respond", "status": status, "code": SERVER_ERRORS[status], "times": ctx.rng.randint(1, 3)})
    broken_path = rf"^/v1/servers/{ctx.ids[broken]}$"
    rules.append(
        {"method": "GET", "path_regex": broken_path, "mode": "respond", "status": 503, "code": "unavailable", "message": "service unavailable", "times": 0}
    )
    ctx.control.faults(rules)
    groups = [[case(flaky, server=flaky, description=f"{flaky}-{ctx.seed}")], [case(broken, server=str(ctx.ids[broken]), description=f"{broken}-{ctx.seed}")]]
    run = ctx.finish(ctx.start_side_by_side(groups, label="reads"))
    ctx.check_ok(run.result(flaky), changed=True, outcome="created")
    faulted = [entry for entry in ctx.control.requests() if entry["fault"] and not entry["path"].endswith(f"/{ctx.ids[broken]}")]
    ctx.check(faulted, "no read failed: the scenario did not happen")
    ctx.check_failed(run.result(broken), "unavailable")
    attempts = len(requests_to(ctx, "GET", broken_path))
    ctx.check(2 <= attempts <= 6, f"a read that keeps failing was tried {attempts} times (expected a few, at most 6)")
    ctx.check(run.seconds < 60, f"the failing read took {run.seconds:.0f} s to give up")


def action_fails(ctx: RunContext) -> None:
    """7. The snapshot action fails: the task fails with the action's error; a rerun ends with one good snapshot."""
    name, description = "fails-once", f"fails-once-{ctx.seed}"
    shutdown = ctx.rng.random() < 0.5
    ctx.reset(fleets.fleet([fleets.server(name)]))
    ctx.mark_before()
    ctx.expect(name, description)
    code, message = "image_create_failed", f"disk read error at sector {ctx.rng.randrange(10**6)}"
    ctx.control.action_fault("create_image", times=1, code=code, message=message, server=name)
    args = {"server": name, "description": description, "shutdown": shutdown}
    run = ctx.cases([case("first", **args), case("rerun", **args)])
    first = run.result("first")
    ctx.check_failed(first, message, code)
    ctx.check((first.get("failure") or {}).get("code") == code, f"first: the structured failure does not carry {code}: {first.get('failure')}")
    ctx.check_ok(run.result("rerun"), changed=True, outcome="created")
    if shutdown:
        ctx.check((first.get("power") or {}).get("powered_on"), f"first: the server was not powered on again after the failure: {first.get('power')}")
        status = next(server["status"] for server in ctx.control.state()["servers"] if server["name"] == name)
        ctx.check(status == "running", f"the server is {status} at the end, not running")


def rotation_fleet(ctx: RunContext, name: str, twin: str) -> dict[str, Any]:
    """A server with a series of managed snapshots, protected, unmarked and other-series ones, and a twin with the same series."""
    ages = ctx.rng.sample(range(6, 400, 3), 8)
    count = ctx.rng.randint(2, 5)
    managed = {**fleets.MANAGED, **SERIES}
    snaps = [fleets.snapshot(f"rota-old-{index}", managed, ages[index]) for index in range(count)]
    snaps += [fleets.snapshot(f"rota-protected-{index}", managed, ages[count + index], protected=True) for index in range(ctx.rng.randint(1, 2))]
    snaps += [fleets.snapshot("rota-manual", SERIES, ages[-1]), fleets.snapshot("rota-weekly", {**fleets.MANAGED, "series": "weekly"}, ages[-2])]
    twin_snaps = [fleets.snapshot("twin-nightly", managed, 500), fleets.snapshot("twin-manual", {}, 600)]
    return fleets.fleet([fleets.server(name, snapshots=snaps), fleets.server(twin, snapshots=twin_snaps)])


def expected_deletions(ctx: RunContext, name: str, keep: int) -> set[str]:
    """The descriptions rotation must delete once the new snapshot exists (the suite's own reckoning)."""
    new = observe.Snap(10**9, ctx.ids[name], name, "(new)", "available", {**fleets.MANAGED, **SERIES}, False, "9999")
    snaps = {**ctx.before, new.id: new}
    doomed = observe.Rotation(ctx.ids[name], SERIES, keep).deletable(snaps.values())
    return {snaps[snap_id].description for snap_id in doomed}


def start_other_snapshot(ctx: RunContext, name: str) -> Callable[[dict[str, Any]], None]:
    """A trigger action: once the module's snapshot is done, another client starts a snapshot of the same series."""

    def act(_entry: dict[str, Any]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(server["locked"] for server in ctx.control.state()["servers"] if server["name"] == name):
            time.sleep(0.02)
        image = {"description": "rota-other-client", "labels": {**fleets.MANAGED, **SERIES}}
        ctx.control.lock(name, "create_image", 120, image=image)

    return act


def series_left(ctx: RunContext, name: str) -> list[observe.Snap]:
    """The available snapshots of the series left on the server."""
    rotation = observe.Rotation(ctx.ids[name], SERIES, 1)
    return [snap for snap in observe.read_snapshots(ctx.control).values() if rotation.in_series(snap) and snap.status == "available"]


def rotation(ctx: RunContext) -> None:
    """10. Rotation with keep among unmarked, protected, other-series and still-creating snapshots, a DELETE failing half-way.

    Only the right ones go, never fewer than keep remain, and a rerun completes the rotation.
    """
    name, twin, keep = "rota", "rota-twin", ctx.rng.randint(1, 3)
    description = f"rota-{ctx.seed}"
    ctx.reset(rotation_fleet(ctx, name, twin))
    ctx.mark_before()
    ctx.expect(name, description)
    ctx.policy.rotations.append(observe.Rotation(ctx.ids[name], SERIES, keep))
    doomed = expected_deletions(ctx, name, keep)
    args = {"server": name, "description": description, "labels": SERIES, "keep": keep}
    predicted = ctx.cases([case("check", **args)], check=True, label="rotation-check").result("check")
    ctx.check({snap["description"] for snap in predicted.get("deleted", [])} == doomed, f"check mode predicts {predicted.get('deleted')}, expected {doomed}")
    victim = ctx.rng.choice(sorted(doomed)) if doomed else None
    if victim:
        victim_id = next(snap.id for snap in ctx.before.values() if snap.description == victim)
        ctx.control.faults([dict(ctx.rng.choice(DELETE_FAULTS), method="DELETE", path_regex=rf"^/v1/images/{victim_id}$")])
    ctx.control.faults([{"method": "GET", "path_regex": r"^/v1/images/\d+$", "mode": "delay", "delay_ms": 1500}])
    running = ctx.start("snapshot.yml", {"cases": [case("interrupted", **args)]}, label="rotation")
    ctx.check(ctx.bench.watch(running, [Trigger("POST", ctx.create_path(name), start_other_snapshot(ctx, name), status=201)]), "no create request")
    interrupted = ctx.finish(running).result("interrupted")
    if victim:
        ctx.check_failed(interrupted, "deleting snapshot", victim)
    else:
        ctx.check_ok(interrupted, changed=True)
    ctx.check(len(series_left(ctx, name)) >= keep, f"fewer than keep={keep} left after the interrupted run: {series_left(ctx, name)}")
    rerun = ctx.cases([case("rerun", **args)], label="rotation-rerun").result("rerun")
    ctx.check_ok(rerun)
    left = {snap.description for snap in series_left(ctx, name)}
    should_stay = {snap.description for snap in ctx.before.values() if observe.Rotation(ctx.ids[name], SERIES, keep).in_series(snap)} - doomed
    ctx.check(left == should_stay | {description}, f"keep={keep}: left {sorted(left)}, expected {sorted(should_stay | {description})}")
    others = [snap for snap in observe.read_snapshots(ctx.control).values() if snap.description == "rota-other-client"]
    ctx.check([snap.status for snap in others] == ["creating"], f"the other client's snapshot being created: {[snap.show() for snap in others]}")


def quota(ctx: RunContext) -> None:
    """11. The snapshot quota is reached (resource_limit_exceeded): a clear error, nothing deleted to make room."""
    name, twin = "full", "full-twin"
    managed = {**fleets.MANAGED, **SERIES}
    snaps = [fleets.snapshot(f"full-old-{index}", managed, 24 * (index + 1)) for index in range(3)] + [fleets.snapshot("full-manual", {}, 100)]
    ctx.reset(fleets.fleet([fleets.server(name, snapshots=snaps), fleets.server(twin, snapshots=[fleets.snapshot("twin-old", managed, 30)])]))
    ctx.control.settings(snapshot_quota=len(snaps) + 1)
    ctx.mark_before()
    description = f"full-{ctx.seed}"
    ctx.expect(name, description, 0)
    args = {"description": description, "labels": SERIES, "keep": 1}
    fleet_mode = bool(ctx.run_index % 2)
    run = ctx.cases([case("quota", servers=[name, twin], **args) if fleet_mode else case("quota", server=name, **args)], label="quota")
    result = run.result("quota")
    ctx.check_failed(result, *(["failed: full, full-twin"] if fleet_mode else ["resource_limit_exceeded", "nothing was deleted"]))
    for each in result.get("results", []):
        ctx.check_failed(each, "resource_limit_exceeded", "nothing was deleted", what=f"servers: {each.get('server')}")
    deletes = requests_to(ctx, "DELETE", r".")
    ctx.check(not deletes, f"snapshots were deleted to make room: {[observe.show_request(entry) for entry in deletes]}")
