# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide before acting: from the listing of a server's snapshots, the plan for one task.

Check mode reports the plan, a real run carries it out. Nothing here talks to the API.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import (
    SnapshotIdentity,
    find_matches,
    identity_window,
    is_managed,
    series_labels,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions

UNCHANGED, ADOPT, CREATE = "unchanged", "adopt", "create"


@dataclass(frozen=True)
class PresentPlan:
    """``state=present``: leave the matching snapshot, adopt the one being created, or create one."""

    step: str
    match: dict | None = None


@dataclass(frozen=True)
class AbsentPlan:
    """``state=absent``: the snapshots to delete, those left (not ours), those that block the deletion."""

    delete: list = field(default_factory=list)
    left: list = field(default_factory=list)
    blocked: list = field(default_factory=list)


def identity(options: SnapshotOptions, server: dict, now: datetime.datetime) -> SnapshotIdentity:
    """What makes a snapshot "the" snapshot of this task."""
    description = None if options.max_age else new_description(options, server, now)
    return SnapshotIdentity(server["id"], description, options.labels, options.max_age, dated=not options.description)


def listing_window(options: SnapshotOptions, server: dict, now: datetime.datetime) -> datetime.datetime | None:
    """The earliest creation time a snapshot the identity check must see can have (None: the whole listing)."""
    return identity_window(identity(options, server, now), now)


def new_description(options: SnapshotOptions, server: dict, now: datetime.datetime) -> str:
    """The description of a snapshot this task creates: the option, else ``<server>-<UTC date>``."""
    return options.description or f"{server['name']}-{now:%Y-%m-%d}"


def first_match(snapshots: list[dict], wanted: SnapshotIdentity, now: datetime.datetime) -> dict | None:
    """The best matching snapshot (available before creating, newest first), or None."""
    return next(iter(find_matches(snapshots, wanted, now)), None)


def plan_present(snapshots: list[dict], options: SnapshotOptions, server: dict, now: datetime.datetime) -> PresentPlan:
    """Unchanged when a match is available, adopt when one is being created, else create (always with force)."""
    match = None if options.force else first_match(snapshots, identity(options, server, now), now)
    if match is None:
        return PresentPlan(CREATE)
    return PresentPlan(UNCHANGED if match["status"] == "available" else ADOPT, match)


def plan_absent(snapshots: list[dict], options: SnapshotOptions, server: dict, now: datetime.datetime) -> AbsentPlan:
    """The matching snapshots this collection made (all with include_unmanaged); blocked: being created or protected."""
    matches = find_matches(snapshots, identity(options, server, now), now)
    delete = [image for image in matches if options.include_unmanaged or is_managed(image)]
    left = [image for image in matches if image not in delete]
    blocked = [image for image in delete if image["status"] != "available" or (image.get("protection") or {}).get("delete")]
    return AbsentPlan(delete, left, blocked)


def blocked_reason(image: dict) -> str:
    """Why ``state=absent`` cannot delete this snapshot."""
    if image["status"] != "available":
        return f"still {image['status']}: run again once it is available"
    return "protected: remove its delete protection first"


def predicted_snapshot(options: SnapshotOptions, server: dict, now: datetime.datetime) -> dict:
    """The snapshot a real run would create, for check mode's rotation prediction and diff."""
    return {
        "id": 0,
        "type": "snapshot",
        "status": "available",
        "description": new_description(options, server, now),
        "created": now.isoformat(),
        "created_from": {"id": server["id"], "name": server["name"]},
        "labels": dict(options.labels, **series_labels(server["id"])),
        "protection": {"delete": False},
    }
