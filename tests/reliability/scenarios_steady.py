"""Scenario 22: the steady state of a nightly ``keep: 7`` run, while another client changes the same project."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import fleets
import observe
from context import RunContext
from harness import FLEET_PLAYBOOK

STEADY_SERVERS = 200
KEEP = 7
SERVER_LABEL = "lockaware.hcloud/server"
STEADY_TIMEOUT = 150.0
CHURN_PAUSE = 0.3


def steady_fleet(ctx: RunContext, ids: dict[str, int] | None) -> dict[str, Any]:
    """Every server with ``KEEP`` snapshots of its series (a few made by an earlier version, without the server
    label), a protected one, a hand-made one, and one the other client will delete."""
    servers = []
    for index in range(STEADY_SERVERS):
        name = f"steady-{index:03d}"
        labelled = {**fleets.MANAGED, SERVER_LABEL: str(ids[name])} if ids else dict(fleets.MANAGED)
        snaps = []
        for day in range(1, KEEP + 1):
            earlier_version = ctx.rng.random() < 0.1 or not ids
            snaps.append(fleets.snapshot(f"{name}-day-{day}", fleets.MANAGED if earlier_version else labelled, 24.0 * day + ctx.rng.uniform(0, 2)))
        snaps.append(fleets.snapshot(f"{name}-protected", labelled, 24.0 * 30, protected=True))
        snaps.append(fleets.snapshot(f"{name}-by-hand", {}, 24.0 * ctx.rng.uniform(1, 9)))
        snaps.append(fleets.snapshot(f"churn-{name}", {}, 24.0 * ctx.rng.uniform(1, 9)))
        servers.append(fleets.server(name, snapshots=snaps))
    return fleets.fleet(servers, snapshot_quota=10 * STEADY_SERVERS * (KEEP + 5))


class OtherClient(threading.Thread):
    """Another client of the project: deletes old hand-made snapshots and makes new ones, until stopped."""

    def __init__(self, ctx: RunContext, doomed: list[int], server_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self._ctx, self._doomed, self._servers = ctx, list(doomed), list(server_ids)
        self._rng = ctx.rng.__class__(ctx.seed)
        self._stop_event = threading.Event()
        self.created: list[int] = []
        self.deleted = 0

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        bench = self._ctx.bench
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{bench.sim.url}{path}", data=data, method=method, headers={"Authorization": f"Bearer {bench.token}", "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return json.loads(text) if text else {}
        except urllib.error.HTTPError:
            return {}  # locked, conflict, rate limited: another client just tries something else

    def run(self) -> None:
        """Alternate: delete one old hand-made snapshot (so page boundaries shift), create one on a random server.

        A round every ``CHURN_PAUSE`` s: about 6 requests a second, several page shifts during every listing of the
        run. (It was 20 a second, which drains a 3600-an-hour project in 3 minutes; a run's waits now leave such a
        client its share, as the crowd in the API's headers tells them, so the run would outlast the bucket.)
        """
        while not self._stop_event.wait(CHURN_PAUSE):
            if self._doomed:
                self._request("DELETE", f"/images/{self._doomed.pop(self._rng.randrange(len(self._doomed)))}")
                self.deleted += 1
            created = self._request(
                "POST",
                f"/servers/{self._rng.choice(self._servers)}/actions/create_image",
                {"type": "snapshot", "description": f"other client {len(self.created) + 1}"},
            )
            if created.get("image"):
                self.created.append(created["image"]["id"])

    def stop(self) -> None:
        """Stop and wait."""
        self._stop_event.set()
        self.join()


def steady_churn(ctx: RunContext) -> None:
    """22. Steady state under churn: 200 servers, each with ``keep: 7`` snapshots of its series, one fleet run.

    Meanwhile another client deletes old hand-made snapshots and creates new ones in the same project, so that
    every paged listing sees items move. Afterwards each series holds exactly ``keep`` available snapshots
    (the new one among them; protected, hand-made and other clients' snapshots untouched), the earlier
    version's snapshots keep their labels (no relabelling), and no server has a duplicate (a snapshot missed by the
    identity check would have made one; one missed by rotation's listing would leave ``keep + 1``).
    """
    ctx.reset(steady_fleet(ctx, None))
    ctx.reset(steady_fleet(ctx, ctx.ids))
    ctx.mark_before()
    churn = [snap.id for snap in ctx.before.values() if snap.description.startswith("churn-")]
    for snap_id in churn:  # the other client's to delete
        del ctx.before[snap_id]
    today = observe.utc_today()
    rotations = {name: observe.Rotation(server_id, {}, KEEP) for name, server_id in ctx.ids.items()}
    for name in ctx.ids:
        ctx.expect(name, f"{name}-{today}")
    ctx.policy.rotations.extend(rotations.values())
    other = OtherClient(ctx, churn, sorted(ctx.ids.values()))
    other.start()
    try:
        run = ctx.finish(ctx.start(FLEET_PLAYBOOK, {"keep": KEEP, "lock_timeout": 120}, label="steady"), timeout=STEADY_TIMEOUT)
    finally:
        other.stop()
    ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")
    after = observe.read_snapshots(ctx.control)
    wrong = []
    for name, rotation in rotations.items():
        series = [snap for snap in after.values() if rotation.in_series(snap) and snap.status == "available"]
        if len(series) != KEEP + 1:  # keep, plus the protected one older than all of them
            wrong.append(f"{name}: {len(series)} snapshots of its series, expected {KEEP} and the protected one")
        relabelled = [snap.show() for snap in series if snap.id in ctx.before and snap.labels != ctx.before[snap.id].labels]
        if relabelled:  # the earlier version's snapshots stay as they were (the legacy part of the series): no writes
            wrong.append(f"{name}: series snapshots whose labels changed: {relabelled}")
    for line in wrong[:5] + ([f"... and {len(wrong) - 5} more"] if len(wrong) > 5 else []):
        ctx.check(False, line)
    ctx.check(other.deleted > 0 and other.created, f"the other client did nothing during the run (deleted {other.deleted}, created {len(other.created)})")
