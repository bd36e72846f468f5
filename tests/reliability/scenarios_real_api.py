"""Scenarios about the real API as it stands in December 2026: 17 to 21.

Each one states the simulator's real-API settings in its own initial state (``REAL_API``), so that a change of the
simulator's defaults does not change what they test. Figures come from the simulator's request log and state, not from what the module says.
"""

from __future__ import annotations

import datetime
import re
import time
from typing import Any

import fleets
import observe
from context import RunContext, case
from harness import Trigger, sim_seconds

REAL_API = {"actions_id_cap": 25, "failed_image": "unavailable", "progress": "linear", "datacenters": "removed"}
ID_CAP = 25
SERIES = {"series": "nightly"}

FLEET_SIZE = 60
FLEET_SLOWDOWN = 1.3  # the bound: the fleet within 1.3 times the ideal
FLEET_OVERHEAD = 3.0  # s the ideal allows for the module's start and its first reads, before any snapshot runs

# 100 servers: 4 polls of 25 ids a round, 0.4 a second at the backoff's cap of 10 s (more while it ramps up): more
# than the budget pays, so the budget, not the backoff, paces the polls (with 50 the backoff alone stays under it).
STUCK_FLEET = 100
STUCK_SNAPSHOT_SECONDS = 40.0
STUCK_RATE = 0.25  # requests a second the waits may spend: poll_budget 0.25 of the simulator's 3600 an hour
STUCK_BURST = 20.0  # requests the budget holds at most (_budget.BURST): a run may spend them at once, then only STUCK_RATE
# Requests a replay of the log may find beyond the bucket without an over-spend: the log has the time a request
# arrived, not the time it was paid (a request paid while the bucket was full and sent late shows less refill).
STUCK_SLACK = 2.0
STUCK_USED_UP = 2.0  # requests: a bucket that ran below this was used up, the polls waited for it
STUCK_ROUND = STUCK_FLEET / ID_CAP / STUCK_RATE  # s the budget takes to pay one poll of every action

ADOPT_FAILS_AFTER = 4.0  # s the other client's snapshot runs before it fails, from the module's first request
ADOPT_PROMPT = 10.0  # s from the failure to the end of the task: seen, not waited out
ADOPT_WAIT_TIMEOUT = 40
LOCK_DECISION = 12.0  # s a skip or a fail on an invisible lock may take (lock_timeout is 30 s)
READ_ONLY = re.compile(r"read[- ]only", re.IGNORECASE)


def real_fleet(servers: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    """A fleet spec with fast durations and every real-API setting stated."""
    return fleets.fleet(servers, **{**REAL_API, **overrides})


def when(entry_or_text: dict[str, Any] | str) -> datetime.datetime:
    """The time of a request log entry (or an API timestamp)."""
    text = entry_or_text["time"] if isinstance(entry_or_text, dict) else entry_or_text
    return datetime.datetime.fromisoformat(text)


def action_polls(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``GET /actions?id=...`` requests of the log."""
    return [entry for entry in requests if entry["method"] == "GET" and entry["path"] == "/v1/actions"]


def check_action_polls(ctx: RunContext, requests: list[dict[str, Any]]) -> None:
    """Every poll of ``/actions`` asks for at most 25 ids, without ``per_page`` (as hcloud-go does since PR #794)."""
    polls = action_polls(requests)
    over = [entry for entry in polls if len((entry.get("query") or {}).get("id") or []) > ID_CAP]
    paged = [entry for entry in polls if "per_page" in (entry.get("query") or {})]
    ctx.check(not over, f"{len(over)} of {len(polls)} polls of /actions asked for more than {ID_CAP} ids (e.g. {[len(e['query']['id']) for e in over[:3]]})")
    ctx.check(not paged, f"{len(paged)} of {len(polls)} polls of /actions sent per_page (the endpoint takes only id)")


def check_stable_paging(ctx: RunContext, requests: list[dict[str, Any]]) -> None:
    """A listing read in pages (page 2 on) asks for a stable order, ``sort=id:asc``, as parallel page fetches need."""
    paged = [entry for entry in requests if entry["method"] == "GET" and int(((entry.get("query") or {}).get("page") or ["1"])[0]) > 1]
    unsorted = [entry for entry in paged if "id:asc" not in ((entry.get("query") or {}).get("sort") or [])]
    ctx.check(paged, "no listing was read in more than one page: the scenario did not happen")
    ctx.check(not unsorted, f"{len(unsorted)} of {len(paged)} page fetches without sort=id:asc: {shown(unsorted[:3])}")


def shown(entries: list[dict[str, Any]]) -> list[str]:
    """Request log entries, one line each, for messages."""
    return [observe.show_request(entry) for entry in entries]


def requests_about(ctx: RunContext, name: str) -> list[dict[str, Any]]:
    """The logged requests about one server: looking it up by name, or anything under its path."""
    prefix = f"/v1/servers/{ctx.ids[name]}"
    return [entry for entry in ctx.control.requests() if name in (entry.get("query") or {}).get("name", []) or f"{entry['path']}/".startswith(f"{prefix}/")]


def images_now(ctx: RunContext) -> dict[int, dict[str, Any]]:
    """Every image of the project now, by id, whatever its status."""
    return {image["id"]: image for image in ctx.control.state()["images"]}


# 17 ---------------------------------------------------------------------------------------------------------


def id_cap_fleet(ctx: RunContext) -> None:
    """17. actions_id_cap 25, 60 servers waiting at once: each snapshot seen soon after it is available.

    The snapshots take 6 to 11 s (by disk). The ideal run is the longest of them plus a few seconds to start; the
    fleet's slowest server must be done within 1.3 times that, and each server within 1.3 times its own snapshot
    plus the same start, as the module reports it in ``results[].seconds`` and as the request log times it. The
    polls ask for at most 25 ids each, without ``per_page``; the 60 servers are listed in two pages, in id order.
    """
    names = [f"cap-{index:02d}" for index in range(1, FLEET_SIZE + 1)]
    disks = {name: ctx.rng.choice((20, 40, 80, 120)) for name in names}
    base, per_gb = 5.0, 0.05  # real seconds: 6 s for 20 GB, 11 s for 120 GB
    timing = {"snapshot_seconds_base": sim_seconds(base), "snapshot_seconds_per_gb": sim_seconds(per_gb)}
    ctx.reset(real_fleet([fleets.server(name, disk=disks[name]) for name in names], **timing))
    ctx.mark_before()
    description = f"cap-{ctx.seed}"
    for name in names:
        ctx.expect(name, description)
    duration = {name: base + per_gb * disks[name] for name in names}
    run = ctx.cases([case("fleet", servers=names, description=description, lock_timeout=60, wait_timeout=300)], label="id-cap", timeout=150)
    fleet = run.result("fleet")
    ctx.check_ok(fleet, changed=True)
    requests = ctx.control.requests()
    check_action_polls(ctx, requests)
    check_stable_paging(ctx, requests)
    per_server = {result.get("server"): result for result in fleet.get("results", [])}
    slow = []
    for name in names:
        seconds = per_server.get(name, {}).get("seconds")
        bound = FLEET_SLOWDOWN * (duration[name] + FLEET_OVERHEAD)
        if seconds is None or seconds > bound:
            slow.append(f"{name}: {seconds} s for a {duration[name]:.0f} s snapshot (bound {bound:.1f} s)")
    ctx.check(not slow, f"{len(slow)} of {FLEET_SIZE} servers were seen late: {slow[:5]}")
    creates = [entry for entry in requests if entry["method"] == "POST" and entry["path"].endswith("/actions/create_image")]
    if ctx.check(creates, "no create_image request in the log"):
        ideal = max(duration.values()) + FLEET_OVERHEAD
        waited = (when(requests[-1]) - when(creates[0])).total_seconds()
        ctx.check(waited <= FLEET_SLOWDOWN * ideal, f"from the first create to the last request: {waited:.1f} s, more than {FLEET_SLOWDOWN} x {ideal:.1f} s")


# 18 ---------------------------------------------------------------------------------------------------------


def fail_when_done(ctx: RunContext, name: str, description: str, labels: dict[str, str], seconds: float) -> dict[str, Any]:
    """Another client's snapshot of ``name`` that fails after ``seconds``: its image is left ``unavailable``."""
    image = {"type": "snapshot", "description": description, "labels": labels}
    fail = {"code": "image_create_failed", "message": f"disk read error on {name}"}
    return ctx.control.lock(name, "create_image", sim_seconds(seconds), image=image, fail=fail)["image"]


def wait_unavailable(ctx: RunContext, image_id: int, timeout: float = 20.0) -> bool:
    """Whether the image is ``unavailable`` within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if images_now(ctx).get(image_id, {}).get("status") == "unavailable":
            return True
        time.sleep(0.1)
    return False


def failed_image(ctx: RunContext) -> None:
    """18. failed_image unavailable: an adopted snapshot that fails ends the task quickly, naming it; unavailable images
    never match, never count for keep, and are not deleted.

    - adopt: another client's snapshot with the same identity, adopted, fails 4 s after the module's first request:
      the task fails within 10 s of that (wait_timeout is 40 s), its message naming the image;
    - rematch: an unavailable image with the identity asked for: the module creates a good one beside it;
    - rotate: a series of 3 available snapshots and a newer unavailable one, keep 2: the two oldest available go,
      the unavailable one stays and is not counted.
    """
    adopt, rematch, rotate = "fi-adopt", "fi-rematch", "fi-rotate"
    managed = {**fleets.MANAGED, **SERIES}
    series = [fleets.snapshot(f"fi-old-{index}", managed, 24.0 * (index + 1)) for index in range(3)]
    ctx.reset(real_fleet([fleets.server(adopt), fleets.server(rematch), fleets.server(rotate, snapshots=series)]))
    descriptions = {name: f"{name}-{ctx.seed}" for name in (adopt, rematch, rotate)}
    broken = {
        rematch: fail_when_done(ctx, rematch, descriptions[rematch], managed, 0.5),
        rotate: fail_when_done(ctx, rotate, "fi-failed-newest", managed, 0.5),
    }
    for name, image in broken.items():
        ctx.check(wait_unavailable(ctx, image["id"]), f"{name}: the failed image {image['id']} was not left unavailable (simulator setting?)")
    ctx.mark_before()
    ctx.policy.rotations.append(observe.Rotation(ctx.ids[rotate], SERIES, 2))
    ctx.expect(adopt, descriptions[adopt], 0)
    ctx.expect(rematch, descriptions[rematch])
    ctx.expect(rotate, descriptions[rotate])
    adopted: dict[str, Any] = {}

    def other_client_starts(_entry: dict[str, Any]) -> None:
        adopted.update(fail_when_done(ctx, adopt, descriptions[adopt], managed, ADOPT_FAILS_AFTER))

    # The other client's snapshot starts as the module first asks for the server; the module's look at the images is
    # held back a second, so that it finds the snapshot being created and adopts it.
    ctx.control.faults([{"method": "GET", "path_regex": r"^/v1/images$", "mode": "delay", "delay_ms": 1000}])
    adopt_case = case(adopt, server=adopt, description=descriptions[adopt], labels=SERIES, wait_timeout=ADOPT_WAIT_TIMEOUT)
    adopting = ctx.start("snapshot.yml", {"cases": [adopt_case]}, label="fi-adopt")
    fired = ctx.bench.watch(adopting, [Trigger("GET", r"^/v1/servers$", other_client_starts, query={"name": adopt})])
    if not ctx.check(fired and adopted, f"{adopt}: the other client's snapshot was not started"):
        return
    first = ctx.finish(adopting)
    ended = when(ctx.control.requests()[-1])  # the adopt run's last request: nothing else runs meanwhile
    result = first.result(adopt)
    ctx.check_failed(result)
    msg = str(result.get("msg", ""))
    ctx.check(str(adopted["id"]) in msg or descriptions[adopt] in msg, f"{adopt}: the message does not name the failed snapshot {adopted['id']}: {msg!r}")
    action = next((each for each in ctx.control.state()["actions"] if any(res.get("id") == adopted["id"] for res in each.get("resources", []))), {})
    if ctx.check(action.get("finished"), f"{adopt}: the other client's action did not end: {action}"):
        late = (ended - when(action["finished"])).total_seconds()
        bound = f"bound {ADOPT_PROMPT} s; wait_timeout {ADOPT_WAIT_TIMEOUT}"
        ctx.check(late < ADOPT_PROMPT, f"{adopt}: the task ended {late:.1f} s after the adopted snapshot failed ({bound})")
    others = ctx.start_side_by_side(
        [
            [case(rematch, server=rematch, description=descriptions[rematch], labels=SERIES, wait_timeout=120)],
            [case(rotate, server=rotate, description=descriptions[rotate], labels=SERIES, keep=2, wait_timeout=120)],
        ],
        label="fi-others",
    )
    rest = ctx.finish(others)
    ctx.check_ok(rest.result(rematch), changed=True, outcome="created")
    ctx.check_ok(rest.result(rotate), changed=True, outcome="created")
    images = images_now(ctx)
    for name, image in {**broken, adopt: adopted}.items():
        ctx.check(images.get(image["id"], {}).get("status") == "unavailable", f"{name}: the unavailable image {image['id']} was deleted or changed")
    kept = sorted(snap.description for snap in observe.read_snapshots(ctx.control).values() if snap.server_name == rotate)
    ctx.check(kept == sorted(["fi-old-0", descriptions[rotate]]), f"{rotate}: keep=2 left {kept}, expected fi-old-0 and the new one")


# 19 ---------------------------------------------------------------------------------------------------------


def invisible_lock(ctx: RunContext) -> None:
    """19. A 423 locked with no visible action obeys on_locked; an action that ends in ``locked`` is a lock, not a failure.

    - skip / fail: locked for 120 s with no action listed, lock_timeout 30: skipped (resp. failed) within 12 s of the
      first request about the server;
    - wait: locked for 4 s with no action listed: waits, then one snapshot;
    - wait-timeout: locked for 120 s, lock_timeout 3: fails saying it is still locked, soon after 3 s;
    - fault-locked: the accepted create_image ends in error with code ``locked``: handled as a lock, one snapshot.
    """
    skip, fail, wait, timeout, faulted = "il-skip", "il-fail", "il-wait", "il-timeout", "il-fault"
    names = (skip, fail, wait, timeout, faulted)
    ctx.reset(real_fleet([fleets.server(name) for name in names]))
    for name in (skip, fail, timeout):
        ctx.control.lock(name, "rebuild", sim_seconds(120), visible=False)
    ctx.control.lock(wait, "rebuild", sim_seconds(4), visible=False)
    ctx.control.action_fault("create_image", times=1, code="locked", server=faulted)
    ctx.mark_before()
    descriptions = {name: f"{name}-{ctx.seed}" for name in names}
    for name in names:
        ctx.expect(name, descriptions[name], 1 if name in (wait, faulted) else 0)
    args = {name: {"server": name, "description": descriptions[name]} for name in names}
    deciding = ctx.start_side_by_side(
        [[case(skip, on_locked="skip", lock_timeout=30, **args[skip])], [case(fail, on_locked="fail", lock_timeout=30, **args[fail])]], label="il-decide"
    )
    waiting = ctx.start_side_by_side(
        [
            [case(wait, lock_timeout=60, **args[wait])],
            [case(timeout, lock_timeout=3, **args[timeout])],
            [case(faulted, lock_timeout=60, **args[faulted])],
        ],
        label="il-wait",
    )
    decided = ctx.finish(deciding)
    skipped = decided.result(skip)
    ctx.check_ok(skipped, changed=False, skipped=True, outcome="skipped")
    ctx.check("locked" in str(skipped.get("msg", "")).lower(), f"{skip}: the message does not say the server is locked: {skipped.get('msg')!r}")
    ctx.check_failed(decided.result(fail), "locked")
    for name in (skip, fail):
        about = requests_about(ctx, name)
        took = (when(about[-1]) - when(about[0])).total_seconds() if about else None
        bound = f"bound {LOCK_DECISION} s; lock_timeout 30"
        ctx.check(took is not None and took < LOCK_DECISION, f"{name}: deciding on an invisible lock took {took} s of requests ({bound})")
    waited = ctx.finish(waiting)
    ctx.check_ok(waited.result(wait), changed=True, outcome="created")
    ctx.check_failed(waited.result(timeout), "locked")
    ctx.check_ok(waited.result(faulted), changed=True, outcome="created")
    posts = [entry for entry in ctx.control.requests() if entry["method"] == "POST" and entry["path"] == f"/v1/servers/{ctx.ids[faulted]}/actions/create_image"]
    ctx.check([entry["status"] for entry in posts] == [201, 201], f"{faulted}: expected a create that ended in locked, then one retry: {shown(posts)}")
    writes = [entry for entry in observe.writes(ctx.control.requests()) if any(f"/servers/{ctx.ids[name]}/" in entry["path"] for name in (skip, fail))]
    ctx.check(all(entry["status"] == 423 for entry in writes), f"skip/fail: writes other than the refused create: {shown(writes)}")


# 20 ---------------------------------------------------------------------------------------------------------


def lowest_balance(times: list[float], rate: float, burst: float) -> float:
    """The fewest requests a token bucket of ``burst`` that refills at ``rate`` and is full at the first of ``times``
    (seconds, ascending) holds after paying for each request at ``times``: below 0, they went beyond it.

    This is what a ``RequestBudget`` promises: in any stretch of time, at most ``burst`` plus ``rate`` a second. A
    window of the log counted against ``rate`` alone is not: it may open while the bucket still holds requests (a
    controller that was busy spent fewer of them earlier), and the requests in it are then paid for.
    """
    tokens, last, lowest = burst, times[0] if times else 0.0, burst
    for at in times:
        tokens = min(burst, tokens + (at - last) * rate) - 1
        last = at
        lowest = min(lowest, tokens)
    return lowest


def progress_stuck(ctx: RunContext) -> None:
    """20. progress stuck at 0, 100 servers waiting 40 s: the polls stay within the budget, 0.25 requests a second.

    The polls (``GET /actions``) of the whole run, from the simulator's request log, replayed against the budget's
    token bucket (``lowest_balance``): the fleet wants more polls than the budget pays (the bucket runs empty), so
    a budget that paid more than it should shows here, however busy the controller was.
    """
    names = [f"stuck-{index:03d}" for index in range(1, STUCK_FLEET + 1)]
    ctx.reset(real_fleet([fleets.server(name) for name in names], progress="stuck", snapshot_seconds_base=sim_seconds(STUCK_SNAPSHOT_SECONDS)))
    ctx.mark_before()
    description = f"stuck-{ctx.seed}"
    for name in names:
        ctx.expect(name, description)
    run = ctx.cases([case("fleet", servers=names, description=description, lock_timeout=60, wait_timeout=300)], label="stuck", timeout=150)
    ctx.check_ok(run.result("fleet"), changed=True)
    requests = ctx.control.requests()
    check_action_polls(ctx, requests)
    creates = [entry for entry in requests if entry["method"] == "POST" and entry["path"].endswith("/actions/create_image")]
    if not ctx.check(creates, "no create_image in the log"):
        return
    first = when(creates[0])
    polls = [(when(entry) - first).total_seconds() for entry in requests if entry["method"] == "GET" and entry["path"].startswith("/v1/actions")]
    lowest = lowest_balance(polls, STUCK_RATE, STUCK_BURST)
    budget = f"a budget of {STUCK_BURST:.0f} at once and {STUCK_RATE} a second"
    span = f"{len(polls)} polls in {polls[-1] - polls[0]:.0f} s" if polls else "no polls"
    ctx.check(lowest < STUCK_USED_UP, f"{span} never used up {budget}: the scenario does not test the budget")
    ctx.check(lowest >= -STUCK_SLACK, f"{span} went {-lowest:.1f} requests beyond {budget}")
    waited = (when(requests[-1]) - first).total_seconds()
    allowed = STUCK_SNAPSHOT_SECONDS + STUCK_ROUND + 15
    snapshots = f"{STUCK_SNAPSHOT_SECONDS:.0f} s snapshots"
    ctx.check(waited < allowed, f"the fleet's requests went on {waited:.0f} s after the first create, for {snapshots} (allowed {allowed:.0f})")


# 21 ---------------------------------------------------------------------------------------------------------


def api_2026(ctx: RunContext) -> None:
    """21. The API of December 2026: no datacenter, no deprecated endpoint, strict bodies, read-only tokens.

    - full: shutdown, snapshot, protect and rotation (keep 1) on a server that carries no datacenter: every write the
      module sends is accepted (the simulator refuses unknown fields), and no request goes to a deprecated endpoint
      (checked after every run of the suite too);
    - with a read-only token: check mode works and writes nothing; a real run with shutdown fails at its first write,
      saying the token is read-only, and nothing changes (the server is still running, no snapshot).
    """
    full, plain = "api-full", "api-plain"
    managed = {**fleets.MANAGED, **SERIES}
    series = [fleets.snapshot(f"api-old-{index}", managed, 24.0 * (index + 1)) for index in range(2)]
    ctx.reset(real_fleet([fleets.server(full, snapshots=series), fleets.server(plain)]))
    ctx.check(all("datacenter" not in server for server in ctx.control.state()["servers"]), "servers carry a datacenter (simulator setting?)")
    ctx.mark_before()
    ctx.policy.rotations.append(observe.Rotation(ctx.ids[full], SERIES, 1))
    ctx.expect(full, f"{full}-{ctx.seed}")
    ctx.expect(plain, f"{plain}-{ctx.seed}", 0)
    read_only = ctx.bench.read_only_token
    plain_case = case(plain, server=plain, description=f"{plain}-{ctx.seed}")
    checked = ctx.playbook("snapshot.yml", {"cases": [plain_case]}, label="api-ro-check", check=True, token=read_only)
    ctx.check_ok(checked.result(plain), changed=True)
    ctx.check("would create" in str(checked.result(plain).get("msg")), f"read-only check mode: {checked.result(plain).get('msg')!r}")
    ctx.control.clear_requests()
    real_case = case(plain, server=plain, description=f"{plain}-{ctx.seed}", shutdown=True, labels=SERIES, keep=1)
    refused = ctx.cases([real_case], label="api-ro-real", token=read_only).result(plain)
    ctx.check_failed(refused)
    ctx.check(READ_ONLY.search(str(refused.get("msg", ""))), f"read-only run: the message does not say the token is read-only: {refused.get('msg')!r}")
    ro_writes = observe.writes(ctx.control.requests())
    ctx.check(len(ro_writes) <= 1, f"read-only run: {len(ro_writes)} write attempts, expected it to stop at the first: {shown(ro_writes)}")
    ctx.check(all(entry["status"] == 403 for entry in ro_writes), f"read-only run: a write went through: {shown(ro_writes)}")
    status = next(server["status"] for server in ctx.control.state()["servers"] if server["name"] == plain)
    ctx.check(status == "running", f"read-only run: {plain} is {status}, not running")
    ctx.control.clear_requests()
    done = ctx.cases([case(full, server=full, description=f"{full}-{ctx.seed}", shutdown=True, protect=True, labels=SERIES, keep=1)], label="api-full")
    ctx.check_ok(done.result(full), changed=True, outcome="created")
    writes = observe.writes(ctx.control.requests())
    kinds = {entry["path"].rsplit("/", 1)[-1] if "/actions/" in entry["path"] else entry["method"] for entry in writes}
    ctx.check({"shutdown", "create_image", "change_protection", "poweron", "DELETE"} <= kinds, f"the full run did not exercise every write: {sorted(kinds)}")
    refused_bodies = [entry for entry in writes if entry["status"] is None or entry["status"] >= 400]
    ctx.check(not refused_bodies, f"writes refused: {shown(refused_bodies)}")
    datacenters = [entry for entry in ctx.control.requests() if entry["path"].startswith("/v1/datacenters")]
    ctx.check(not datacenters, f"requests to /datacenters: {shown(datacenters)}")
