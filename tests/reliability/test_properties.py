"""A randomized, seeded property test: hypothesis draws lock timings and fault sequences, the invariants must hold.

Each example resets the simulator to a server with a snapshot series (managed, protected, unmarked, other series,
and a twin server with the same series), maybe a lock by another client (a rebuild, a backup, or a snapshot of the
same identity) that starts at once or a little later, and up to four fault rules on create_image, on reads and on
DELETE. Then ``SnapshotTask`` runs through the Python API (``HcloudApi.connect``, as the module does), and a clean
rerun follows. Whatever the task reported, the end state must show:

- at most one live snapshot per identity (server and description), as far as the module is concerned: a
  snapshot the module made (it carries the request label) never comes after another live one of its identity (a
  fleet lock of another client starts blindly, and may make a second one after the module's: that one is not the
  module's doing);
- nothing outside the series deleted, and no protected snapshot deleted or unprotected;
- never fewer than ``keep`` available snapshots of the series (or all of them, if there were fewer);
- after the clean rerun: an available snapshot of the identity, and nothing left to rotate;
- the token in no failure result.

``after_commit`` is drawn with 5xx statuses only: a 423 or 429 answer says that the API did not apply the request.
Sleeps of the task are capped at 0.3 s to keep examples short (the simulator runs in real time). Shrinking is off,
so that a failure is reported at once, as drawn. ``RELIABILITY_SEED`` and ``RELIABILITY_EXAMPLES`` set the seed and
the number of examples; ``RELIABILITY_METRICS`` names a JSON file for the figures.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import observe
from harness import sim_seconds
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec

SEED = int(os.environ.get("RELIABILITY_SEED", "1"))
EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "15"))
SERIES = {"series": "nightly"}
MANAGED_SERIES = {"lockaware.hcloud/managed": "true", **SERIES}
CODES = {500: "server_error", 502: "bad_gateway", 503: "unavailable", 504: "timeout", 423: "locked", 429: "rate_limit_exceeded"}
TARGETS = {"create": ("POST", r"/actions/create_image$"), "read": ("GET", r"^/v1/"), "delete": ("DELETE", r"^/v1/images/\d+$")}
METRICS: dict[str, int] = {"examples": 0, "expected": 0, "found": 0, "duplicates": 0, "wrongly_deleted": 0, "leaks": 0, "task_failures": 0}


def fault_rules() -> st.SearchStrategy[dict[str, Any]]:
    """One fault rule: respond with any of the statuses, after_commit with a 5xx, or drop the connection."""
    respond = st.fixed_dictionaries({"mode": st.just("respond"), "status": st.sampled_from(sorted(CODES))})
    after_commit = st.fixed_dictionaries({"mode": st.just("after_commit"), "status": st.sampled_from([500, 502, 503, 504])})
    drop = st.fixed_dictionaries({"mode": st.just("drop")})
    return st.tuples(st.sampled_from(sorted(TARGETS)), st.one_of(respond, after_commit, drop), st.integers(1, 3)).map(
        lambda drawn: {**drawn[1], "target": drawn[0], "times": drawn[2]}
    )


WORLDS = st.fixed_dictionaries(
    {
        "lock_kind": st.sampled_from(["none", "rebuild", "backup", "snapshot"]),
        "lock_seconds": st.floats(0.5, 3.0),
        "lock_delay": st.sampled_from([0.0, 0.3, 0.8, 1.5]),
        "faults": st.lists(fault_rules(), max_size=4),
        "keep": st.integers(1, 3),
        "series": st.integers(0, 4),
    }
)


def fast_sleep(seconds: float) -> None:
    """The task's sleeps, capped."""
    time.sleep(min(seconds, 0.3))


def world_fleet(world: dict[str, Any], description: str) -> dict[str, Any]:
    """The fleet spec of one example."""
    snapshots = [{"description": f"prop-old-{index}", "labels": MANAGED_SERIES, "age_hours": 10 + 5 * index} for index in range(world["series"])]
    snapshots += [
        {"description": "prop-protected", "labels": MANAGED_SERIES, "age_hours": 100, "protected": True},
        {"description": "prop-manual", "labels": SERIES, "age_hours": 110},
        {"description": "prop-weekly", "labels": {"lockaware.hcloud/managed": "true", "series": "weekly"}, "age_hours": 120},
    ]
    server: dict[str, Any] = {"name": "prop", "disk": 20, "backup_window": "22-02", "labels": {}, "snapshots": snapshots}
    kind = world["lock_kind"]
    if kind != "none":
        lock: dict[str, Any] = {"command": kind, "seconds": sim_seconds(world["lock_seconds"]), "delay": sim_seconds(world["lock_delay"])}
        if kind in ("backup", "snapshot"):
            image_labels = SERIES if kind == "snapshot" else {}
            lock.update(command="create_image", image={"type": kind, "description": description if kind == "snapshot" else "backup", "labels": image_labels})
        server["locks"] = [lock]
    twin = {"name": "prop-twin", "disk": 20, "labels": {}, "snapshots": [{"description": "twin-old", "labels": MANAGED_SERIES, "age_hours": 1}]}
    settings_spec = {"snapshot_seconds_base": sim_seconds(1), "snapshot_seconds_per_gb": 0, "snapshot_quota": 1000}
    return {"settings": settings_spec, "servers": [server, twin]}


def concrete_rules(world: dict[str, Any]) -> list[dict[str, Any]]:
    """The simulator's fault rules for the drawn faults."""
    rules = []
    for fault in world["faults"]:
        method, path = TARGETS[fault["target"]]
        rule = {"method": method, "path_regex": path, "mode": fault["mode"], "times": fault["times"]}
        if fault["mode"] != "drop":
            rule.update(status=fault["status"], code=CODES[fault["status"]], message=f"simulated {fault['status']}")
        rules.append(rule)
    return rules


def run_task(sim: Any, description: str, keep: int) -> tuple[dict[str, Any] | None, TaskFailed | None]:
    """One run of the task; returns its result or its failure."""
    clock = Clock(sleep=fast_sleep)
    api = HcloudApi.connect(sim.token, sim.url, 10, clock=clock)
    defaults = {name: spec.get("default") for name, spec in argument_spec().items()}
    params = dict(defaults, server="prop", description=description, labels=SERIES, keep=keep, lock_timeout=30, wait_timeout=60)
    options = SnapshotOptions.from_params(params)
    try:
        return SnapshotTask(api, options, clock=clock, pacing=Pacing(api.rate_limit)).run(), None
    except TaskFailed as failed:
        return None, failed


def check_invariants(before: dict[int, observe.Snap], after: dict[int, observe.Snap], rotation: observe.Rotation, keep: int) -> list[str]:
    """What is wrong with the state after a run, compared with before it."""
    problems = [f"duplicates: {[snap.show() for snap in group]}" for group in observe.blamed_duplicates(after.values())]
    wrong = observe.wrongly_deleted(before, after, observe.DeletionPolicy(rotations=[rotation]))
    problems += [f"wrongly deleted: {snap.show()}" for snap in wrong]
    problems += [f"protection removed: {snap.show()}" for snap in before.values() if snap.protected and snap.id in after and not after[snap.id].protected]
    series_before = [snap for snap in before.values() if rotation.in_series(snap) and snap.status == "available"]
    series_after = [snap for snap in after.values() if rotation.in_series(snap) and snap.status == "available"]
    if len(series_after) < min(keep, len(series_before)):
        problems.append(f"fewer than keep={keep} left in the series: {[snap.show() for snap in series_after]}")
    return problems


def identity_statuses(snaps: dict[int, observe.Snap], description: str) -> list[str]:
    """The statuses of the live snapshots of the example's identity."""
    return [snap.status for snap in snaps.values() if snap.server_name == "prop" and snap.description == description]


def record(after: dict[int, observe.Snap], description: str, problems: list[str], leaked: bool, failed: bool) -> None:
    """Add one example's figures to the metrics (and the file, if asked for)."""
    METRICS["examples"] += 1
    METRICS["expected"] += 1
    METRICS["found"] += min(1, len(identity_statuses(after, description)))
    METRICS["duplicates"] += sum(len(group) - 1 for group in observe.blamed_duplicates(after.values()))
    METRICS["wrongly_deleted"] += sum(1 for problem in problems if problem.startswith(("wrongly deleted", "protection removed")))
    METRICS["leaks"] += int(leaked)
    METRICS["task_failures"] += int(failed)
    path = os.environ.get("RELIABILITY_METRICS")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(METRICS, handle)


@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(world=WORLDS)
def test_invariants_hold_under_drawn_locks_and_faults(sim: Any, world: dict[str, Any]) -> None:
    """Locks and faults never lead to a duplicate, a wrong deletion, fewer than keep, or a leaked token."""
    description = f"prop-{METRICS['examples']}"
    sim.control.reset(world_fleet(world, description))
    prop_id = observe.server_ids(sim.control.state())["prop"]
    sim.control.faults(concrete_rules(world))
    rotation = observe.Rotation(prop_id, SERIES, world["keep"])
    before = observe.read_snapshots(sim.control)
    first, failed = run_task(sim, description, world["keep"])
    after = observe.read_snapshots(sim.control)
    problems = check_invariants(before, after, rotation, world["keep"])
    leaked = failed is not None and sim.token in json.dumps(failed.result(), default=str)
    if first is not None and "available" not in identity_statuses(after, description):
        problems.append(f"the task succeeded, but no snapshot of the identity is available: {identity_statuses(after, description)}")
    sim.control.clear_faults()
    rerun, rerun_failed = run_task(sim, description, world["keep"])
    final = observe.read_snapshots(sim.control)
    problems += [f"after the rerun: {problem}" for problem in check_invariants(before, final, rotation, world["keep"])]
    if rerun is None:
        problems.append(f"the clean rerun failed: {rerun_failed.msg if rerun_failed else '?'}")
    if "available" not in identity_statuses(final, description):
        problems.append(f"after the rerun, no snapshot of the identity is available: {identity_statuses(final, description)}")
    if rotation.deletable(final.values()):
        problems.append(f"the rerun left the rotation incomplete: {sorted(rotation.deletable(final.values()))}")
    record(final, description, problems, leaked, failed is not None)
    assert not leaked, "the token appears in a failure result"
    assert not problems, f"world {world}: first run {'failed: ' + failed.msg if failed else 'succeeded'}; " + "; ".join(problems)
