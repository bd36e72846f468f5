"""28. Rollback: a server is rebuilt only from its own snapshot (another image only when told), a rollback whose answer
is lost rebuilds exactly once, a rerun rebuilds nothing, and protected servers and protected snapshots are never touched.

Every server of the run has a case of its own (one inventory host each, side by side): rollbacks of its own snapshot,
by ID or by series, running or off; one through a lost answer (the rebuild applied, then answered 5xx or the
connection dropped; or refused without effect); another server's snapshot without and with ``allow_foreign_image``;
a rebuild-protected server; a delete-protected snapshot as the source. The same cases run in check mode first (no
write), then for real, then again (a rerun: nothing more). The counts come from the simulator's state and request log.
"""

from __future__ import annotations

import re
from typing import Any

import fleets
from context import RunContext, case

LABELS = {"reason": "pre-change"}
FAULT_MODES = (("after_commit", 500), ("after_commit", 502), ("after_commit", 504), ("drop", None), ("respond", 503))


def build_fleet(ctx: RunContext, owners: int) -> tuple[dict[str, Any], dict[str, bool]]:
    """The servers, each with the snapshots its case needs; which of the own-N servers are off."""
    off = {f"own-{index}": ctx.rng.random() < 0.4 for index in range(1, owners + 1)}
    servers = [
        fleets.server(
            name,
            status="off" if is_off else "running",
            snapshots=[
                fleets.snapshot(f"{name}-old", LABELS, age_hours=ctx.rng.uniform(30, 60)),
                fleets.snapshot(f"{name}-before", LABELS, age_hours=ctx.rng.uniform(1, 29)),
            ],
        )
        for name, is_off in off.items()
    ]
    servers += [
        fleets.server("lost", snapshots=[fleets.snapshot("lost-before", LABELS, age_hours=3)]),
        fleets.server("twin", snapshots=[fleets.snapshot("twin-before", LABELS, age_hours=2)]),
        fleets.server("foreign"),
        fleets.server("allowed"),
        fleets.server("guarded", protection={"delete": True, "rebuild": True}, snapshots=[fleets.snapshot("guarded-before", age_hours=5)]),
        fleets.server("vault", snapshots=[fleets.snapshot("vault-before", age_hours=8, protected=True)]),
    ]
    return fleets.fleet(servers, rebuild_seconds=1), off


def image_ids(ctx: RunContext) -> dict[str, int]:
    """Description -> image ID of every snapshot."""
    return {image["description"]: image["id"] for image in ctx.control.state()["images"] if image["type"] == "snapshot"}


def plan_cases(ctx: RunContext, owners: int, images: dict[str, int]) -> tuple[dict[str, dict], dict[str, int | None]]:
    """Each server's case, and the image it may end on (None: it must not be rebuilt at all)."""
    hosts: dict[str, dict] = {}
    allowed: dict[str, int | None] = {}
    for index in range(1, owners + 1):
        name = f"own-{index}"
        by_id = ctx.rng.random() < 0.5
        args = {"server": name, "snapshot_id": images[f"{name}-before"]} if by_id else {"server": name, "labels": LABELS}
        hosts[name] = {"cases": [case(f"{name}-{'id' if by_id else 'series'}", **args)]}
        allowed[name] = images[f"{name}-before"]
    hosts["lost"] = {"cases": [case("lost-answer", server="lost", snapshot_id=images["lost-before"])]}
    allowed["lost"] = images["lost-before"]
    hosts["foreign"] = {"cases": [case("foreign-refused", server="foreign", snapshot_id=images["twin-before"])]}
    allowed["foreign"] = None
    hosts["allowed"] = {"cases": [case("foreign-allowed", server="allowed", snapshot_id=images["twin-before"], allow_foreign_image=True)]}
    allowed["allowed"] = images["twin-before"]
    hosts["guarded"] = {"cases": [case("rebuild-protected", server="guarded", snapshot_id=images["guarded-before"])]}
    allowed["guarded"] = None
    hosts["vault"] = {"cases": [case("protected-source", server="vault", description="vault-before")]}
    allowed["vault"] = images["vault-before"]
    return hosts, allowed


def rebuilds_by_server(state: dict[str, Any]) -> dict[int, int]:
    """Server ID -> how many ``rebuild_server`` actions it has."""
    counts: dict[int, int] = {}
    for action in state["actions"]:
        if action["command"] == "rebuild_server":
            for resource in action["resources"]:
                if resource["type"] == "server":
                    counts[resource["id"]] = counts.get(resource["id"], 0) + 1
    return counts


def count_rebuilds(ctx: RunContext, allowed: dict[str, int | None], what: str) -> None:
    """Count rebuilds, rebuilds from an image the server was not to get, and rebuilds beyond one per server."""
    state = ctx.control.state()
    counts = rebuilds_by_server(state)
    images = {server["name"]: (server.get("image") or {}).get("id") for server in state["servers"]}
    ctx.outcome.rebuilds = sum(counts.values())
    for name, image_id in allowed.items():
        made = counts.get(ctx.ids[name], 0)
        wrong = made > 0 and (image_id is None or images[name] != image_id)
        ctx.outcome.wrong_rebuilds += int(wrong)
        ctx.check(not wrong, f"{what}: server {name} was rebuilt ({made}x) and holds image {images[name]}, allowed {image_id}")
        expected = 0 if image_id is None else 1
        ctx.outcome.repeated_rebuilds += max(0, made - expected)
        ctx.check(made == expected, f"{what}: server {name} has {made} rebuilds, expected {expected}")


def count_protected_touched(ctx: RunContext, protected_images: set[int], what: str) -> None:
    """Writes to a protected snapshot or a rebuild-protected server in the log; protection and images as before."""
    guarded = ctx.ids["guarded"]
    pattern = re.compile(rf"^/v1/(images/({'|'.join(map(str, protected_images))})|servers/{guarded})(/|$)")
    touched = [entry for entry in ctx.control.requests() if entry["method"] not in ("GET", "HEAD") and pattern.match(entry["path"])]
    state = ctx.control.state()
    still = {image["id"] for image in state["images"] if (image.get("protection") or {}).get("delete")}
    server = next(item for item in state["servers"] if item["name"] == "guarded")
    changed = len(protected_images - still) + int(not server["protection"]["rebuild"]) + int((server.get("image") or {}).get("type") != "system")
    ctx.outcome.protected_touched += len(touched) + changed
    ctx.check(not touched and not changed, f"{what}: protected resources touched: {[entry['path'] for entry in touched]}, {changed} changed")


def rollback(ctx: RunContext) -> None:
    """Check mode, the real run through a lost answer, and a rerun; counted from the simulator."""
    owners = 2 if ctx.fast else 4
    fleet, off = build_fleet(ctx, owners)
    ctx.reset(fleet)
    images = image_ids(ctx)
    hosts, allowed = plan_cases(ctx, owners, images)
    protected_images = {images["vault-before"]}

    ctx.playbook("rollback.yml", label="rollback-check", hosts=hosts, check=True)

    mode, status = ctx.rng.choice(FAULT_MODES)
    rule = {"method": "POST", "path_regex": rf"^/v1/servers/{ctx.ids['lost']}/actions/rebuild$", "mode": mode, "times": 1}
    ctx.control.faults([dict(rule, status=status, code="server_error" if status != 503 else "unavailable") if status else rule])
    run = ctx.playbook("rollback.yml", label=f"rollback-{mode}", hosts=hosts)
    results = {result["case"]["name"]: result for result in run.results}
    for name, result in results.items():
        if name in ("foreign-refused", "rebuild-protected"):
            ctx.check_failed(result, "nothing was changed")
        else:
            ctx.check_ok(result, changed=True, outcome="restored")
    ctx.check(
        results.get("lost-answer", {}).get("recovered") == (mode != "respond"),
        f"lost answer ({mode}): recovered is {results.get('lost-answer', {}).get('recovered')}",
    )
    count_rebuilds(ctx, allowed, f"after the run ({mode})")

    rerun = ctx.playbook("rollback.yml", label="rollback-rerun", hosts=hosts)
    for name, result in ((result["case"]["name"], result) for result in rerun.results):
        if name not in ("foreign-refused", "rebuild-protected"):
            ctx.check_ok(result, what=f"rerun {name}", changed=False, outcome="unchanged")
    ctx.outcome.repeated_rebuilds = ctx.outcome.wrong_rebuilds = 0  # counted again on the end state, which includes the first count
    count_rebuilds(ctx, allowed, "after the rerun")
    count_protected_touched(ctx, protected_images, "after the rerun")
    status_now = {server["name"]: server["status"] for server in ctx.control.state()["servers"]}
    for name, was_off in off.items():
        ctx.check(status_now[name] == ("off" if was_off else "running"), f"{name} was {'off' if was_off else 'running'}, is {status_now[name]}")
    ctx.check_running([name for name, was_off in off.items() if not was_off] + ["lost", "allowed", "vault"], "after the rerun")
