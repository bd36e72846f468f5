"""The nights of the steady-state scenario: what each server holds before the run, and what it must hold after.

``steady``: the true steady state, every kept snapshot made by this version (``lockaware.hcloud/server=<id>``).
``upgrade``: the first run after upgrading from 0.1. The kept snapshots are as 0.1 made them (``git show
316115d:plugins/module_utils/_snapshot_task.py``: the description ``<name>-<UTC date>`` and the labels
``lockaware.hcloud/managed=true`` and ``lockaware.hcloud/request=<20 hex digits>``, no server label), and so is the
protected one (0.1 never protected, a user did: the managed label only). Each server also holds a snapshot made by
hand that looks like one of 0.1's (its description, no managed label) and is older than all of them: counted in
the series, it would be the first rotation deletes.
``nokeep``: the module without ``keep`` (nothing rotates: each server holds its series and the new snapshot).

In every night a server's series is what rotation counts (0.1's rule, ``_series.earlier_versions``): snapshots made
from it with ``lockaware.hcloud/managed=true`` and either its own server label or none.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

NIGHTS = ("steady", "upgrade", "nokeep")
MANAGED_LABEL = "lockaware.hcloud/managed"
SERVER_LABEL = "lockaware.hcloud/server"
REQUEST_LABEL = "lockaware.hcloud/request"
PROTECTED_EVERY = 4


def rotates(night: str) -> bool:
    """Whether the run of this night is given ``keep``."""
    return night != "nokeep"


def series_after(night: str, keep: int) -> int:
    """Unprotected available snapshots of each server's series after the run: ``keep``, or one more without it."""
    return keep if rotates(night) else keep + 1


def server_snapshots(night: str, name: str, server_id: int, index: int, keep: int, now: datetime.datetime) -> list[dict[str, Any]]:
    """The initial snapshots of one server (the simulator's ``age_hours`` form), one a night before ``now``."""
    legacy = night == "upgrade"
    series = {MANAGED_LABEL: "true"} if legacy else {MANAGED_LABEL: "true", SERVER_LABEL: str(server_id)}
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)  # UTC: the default description's date
    snapshots = []
    for night_back in range(1, keep + 1):
        # Nightly, around 02:00 UTC, one UTC day apart: night 1 carries yesterday's date whatever the hour now (an
        # age of "about 24 h" put it on today's date after 23:30, and the run found today's snapshot made).
        made = midnight - datetime.timedelta(days=night_back) + datetime.timedelta(hours=2, minutes=index % 60)
        request = uuid.UUID(int=index * 100 + night_back).hex[: 20 if legacy else 32]
        labels = {**series, REQUEST_LABEL: request}
        snapshots.append({"description": f"{name}-{made:%Y-%m-%d}", "labels": labels, "age_hours": _hours(now, made)})
    snapshots.append({"description": f"{name} before the upgrade", "labels": {}, "age_hours": 24.0 * (2 + index % 8)})
    if legacy:
        made = midnight - datetime.timedelta(days=keep + 1) + datetime.timedelta(hours=2)
        snapshots.append({"description": f"{name}-{made:%Y-%m-%d}", "labels": {}, "age_hours": _hours(now, made)})
    if index % PROTECTED_EVERY == 0:
        snapshots.append({"description": f"{name} golden", "labels": dict(series), "age_hours": 24.0 * 30, "protected": True})
    return snapshots


def _hours(now: datetime.datetime, made: datetime.datetime) -> float:
    return (now - made).total_seconds() / 3600.0


def in_series(image: dict[str, Any], server_id: int) -> bool:
    """Whether rotation counts the snapshot in the server's series (its own server label, or 0.1's: none)."""
    labels = image.get("labels") or {}
    made_from = (image.get("created_from") or {}).get("id") == server_id
    return made_from and labels.get(MANAGED_LABEL) == "true" and labels.get(SERVER_LABEL) in (None, str(server_id))


def untouchable(night: str, names: list[str], keep: int, now: datetime.datetime) -> list[str]:
    """The descriptions of the snapshots the run must leave (made by hand, or protected)."""
    expected = [f"{name} before the upgrade" for name in names]
    expected += [f"{name} golden" for name in names[::PROTECTED_EVERY]]
    if night == "upgrade":
        made = now.replace(hour=0, minute=0, second=0, microsecond=0) - datetime.timedelta(days=keep + 1)
        expected += [f"{name}-{made:%Y-%m-%d}" for name in names]
    return expected
