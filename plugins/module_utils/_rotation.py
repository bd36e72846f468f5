# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotation: which snapshots of a series go when only the newest N are to be kept.

``choose_deletions`` is the choice: a retention policy other than "keep the newest N" replaces it alone.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils._matching import has_labels, is_managed, newest_first


def in_series(image: dict, server_id: int, labels: dict) -> bool:
    """A snapshot of this server made by this collection and carrying all the series' labels."""
    created_from = image.get("created_from") or {}
    return image.get("type") == "snapshot" and created_from.get("id") == server_id and is_managed(image) and has_labels(image, labels)


def rotation_series(listing: list[dict], current: dict | None) -> list[dict]:
    """The series as listed, with this run's snapshot as it is now (or, in check mode, the one it would create).

    A listing shared by a fleet run may predate our snapshot, or show it still being created.
    """
    if current is None:
        return list(listing)
    return [image for image in listing if image["id"] != current["id"]] + [current]


def choose_deletions(images: list[dict], server_id: int, labels: dict, keep: int) -> list[dict]:
    """The snapshots to delete so that the newest ``keep`` available snapshots of the series remain.

    Only available snapshots of the series are counted and considered. The newest ``keep`` of them stay
    (protected ones among them count); of the older ones, the protected stay too and the rest go. Snapshots
    still being created, unmarked ones and those of other series or servers are never touched.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    series = [image for image in images if in_series(image, server_id, labels) and image.get("status") == "available"]
    older = newest_first(series)[keep:]
    return [image for image in older if not (image.get("protection") or {}).get("delete")]
