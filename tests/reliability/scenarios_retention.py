"""Scenario 23: a fleet with a year of history, rotated by retention rules (grandfather-father-son)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import fleets
import observe
from context import RunContext
from harness import FLEET_PLAYBOOK

RETENTION_SERVERS = 20
RULES = {"last": 2, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 3}
SERIES = {"series": "year"}
SERVER_LABEL = "lockaware.hcloud/server"
RETENTION_TIMEOUT = 240.0
PERIODS = {
    "hourly": lambda moment: moment.strftime("%Y-%m-%dT%H"),
    "daily": lambda moment: moment.strftime("%Y-%m-%d"),
    "weekly": lambda moment: "{}-W{:02d}".format(*moment.isocalendar()[:2]),
    "monthly": lambda moment: moment.strftime("%Y-%m"),
    "yearly": lambda moment: moment.strftime("%Y"),
}


def utc(text: str) -> datetime.datetime:
    """An API timestamp as an aware UTC datetime."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(datetime.UTC) if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def rules_keep(series: list[observe.Snap], new_id: int, rules: dict[str, int]) -> set[int]:
    """The suite's own reading of the rules: the IDs of ``series`` they keep, ``new_id`` counted as the newest."""
    available = [snap for snap in series if snap.status == "available"]
    ordered = sorted(available, key=lambda snap: (snap.id == new_id, utc(snap.created), snap.id), reverse=True)
    kept = {snap.id for snap in ordered[: rules.get("last", 0)]} | {new_id}
    for rule, period in PERIODS.items():
        newest: dict[str, int] = {}
        for snap in ordered:
            newest.setdefault(period(utc(snap.created)), snap.id)
        kept.update(list(newest.values())[: rules.get(rule, 0)])
    return kept | {snap.id for snap in series if snap.protected or snap.status != "available"}


@dataclass(frozen=True)
class RetentionRotation:
    """A rotation by rules the run may do: what the rules do not keep of the series (the run's new snapshot kept)."""

    server_id: int
    new_description: str
    rules: dict[str, int]

    def in_series(self, snap: observe.Snap) -> bool:
        """Made by the collection from this server, in the year series."""
        return snap.server_id == self.server_id and snap.managed and snap.labels.get("series") == SERIES["series"]

    def deletable(self, snaps: Iterable[observe.Snap]) -> set[int]:
        """The IDs rotation may delete; nothing without the new snapshot."""
        series = [snap for snap in snaps if self.in_series(snap)]
        new = [snap.id for snap in series if snap.description == self.new_description and snap.made_by_module]
        if len(new) != 1:
            return set()
        return {snap.id for snap in series if snap.status == "available"} - rules_keep(series, new[0], self.rules)


def year_of_history(ctx: RunContext, name: str, server_id: int | None) -> list[dict[str, Any]]:
    """A snapshot a day for two weeks, then one every 2 to 5 days back to 400 days; some by an earlier version
    (no server label), a protected one, one by hand and one of another series."""
    labelled = {**fleets.MANAGED, **SERIES, SERVER_LABEL: str(server_id)} if server_id else {**fleets.MANAGED, **SERIES}
    earlier = {**fleets.MANAGED, **SERIES}
    ages = [24.0 * day + ctx.rng.uniform(0, 20) for day in range(1, 15)]
    while ages[-1] < 24.0 * 400:
        ages.append(ages[-1] + 24.0 * ctx.rng.uniform(2, 5))
    snaps = [fleets.snapshot(f"{name}-{index:03d}", earlier if ctx.rng.random() < 0.1 else labelled, age) for index, age in enumerate(ages)]
    snaps.append(fleets.snapshot(f"{name}-protected", labelled, 24.0 * ctx.rng.uniform(30, 500), protected=True))
    snaps.append(fleets.snapshot(f"{name}-by-hand", dict(SERIES), 24.0 * ctx.rng.uniform(1, 30)))
    snaps.append(fleets.snapshot(f"{name}-other", {**labelled, "series": "other"}, 24.0 * ctx.rng.uniform(1, 30)))
    return snaps


def retention_fleet(ctx: RunContext, ids: dict[str, int] | None) -> dict[str, Any]:
    """``RETENTION_SERVERS`` servers, each with a year of history."""
    names = [f"year-{index:02d}" for index in range(RETENTION_SERVERS)]
    servers = [fleets.server(name, snapshots=year_of_history(ctx, name, (ids or {}).get(name))) for name in names]
    return fleets.fleet(servers, snapshot_quota=200 * RETENTION_SERVERS)


def retention_year(ctx: RunContext) -> None:
    """23. Retention over a year of history: 20 servers, each ~120 snapshots back to 400 days, rules
    ``last 2, daily 7, weekly 4, monthly 12, yearly 3``, one fleet run in check mode, one real, one again.

    Check mode writes nothing. After the real run each series holds exactly what the suite's own reading of the
    rules keeps (the new snapshot counted first; protected, hand-made and other series' snapshots untouched, the
    earlier version's kept ones labelled with their server); a second run deletes nothing.
    """
    ctx.reset(retention_fleet(ctx, None))
    ctx.reset(retention_fleet(ctx, ctx.ids))
    ctx.mark_before()
    today = observe.utc_today()
    rotations = {name: RetentionRotation(server_id, f"{name}-{today}", RULES) for name, server_id in ctx.ids.items()}
    for name in ctx.ids:
        ctx.expect(name, f"{name}-{today}")
    ctx.policy.rotations.extend(rotations.values())  # type: ignore[arg-type]
    extra = {"retention": RULES, "snapshot_labels": SERIES, "lock_timeout": 120}
    checked = ctx.playbook(FLEET_PLAYBOOK, extra, check=True, label="retention-check", timeout=RETENTION_TIMEOUT)
    ctx.check(checked.rc == 0, f"{checked.describe()} failed:\n{checked.tail()}")
    ctx.check("retention: 20 servers: kept" in checked.stdout, f"check mode's summary lacks the retention cost line:\n{checked.tail()}")
    run = ctx.playbook(FLEET_PLAYBOOK, extra, label="retention", timeout=RETENTION_TIMEOUT)
    ctx.check(run.rc == 0, f"{run.describe()} failed:\n{run.tail()}")
    ctx.check(" EUR a month net" in run.stdout, f"the summary lacks the cost line:\n{run.tail()}")
    after = observe.read_snapshots(ctx.control)
    wrong = []
    for name, rotation in rotations.items():
        series = [snap for snap in after.values() if rotation.in_series(snap)]
        before = [snap for snap in ctx.before.values() if rotation.in_series(snap)]
        new = [snap for snap in series if snap.description == rotation.new_description]
        if len(new) != 1:
            wrong.append(f"{name}: {len(new)} new snapshots")
            continue
        expected = rules_keep([*before, new[0]], new[0].id, RULES)
        kept = {snap.id for snap in series}
        if kept != expected:
            wrong.append(f"{name}: kept {sorted(kept - expected)} beyond the rules, lost {sorted(expected - kept)} they keep")
        relabelled = [snap.show() for snap in series if snap.id in ctx.before and snap.labels != ctx.before[snap.id].labels]
        if relabelled:  # the earlier version's snapshots stay as they were (the legacy part of the series): no writes
            wrong.append(f"{name}: series snapshots whose labels changed: {relabelled}")
        if len(before) - len(expected) + 1 < 50:
            wrong.append(f"{name}: only {len(before) - len(expected) + 1} deletions: the history is too short to test the rules")
    for line in wrong[:5] + ([f"... and {len(wrong) - 5} more"] if len(wrong) > 5 else []):
        ctx.check(False, line)
    again = ctx.playbook(FLEET_PLAYBOOK, extra, label="retention-again", timeout=RETENTION_TIMEOUT)
    ctx.check(again.rc == 0, f"{again.describe()} failed:\n{again.tail()}")
    ctx.check(set(observe.read_snapshots(ctx.control)) == set(after), "a second run at the same moment changed the snapshots")
