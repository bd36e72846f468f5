# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's snapshot series as rotation reads it: fresh, label-selected, with earlier versions' snapshots.

Every snapshot this collection makes carries ``lockaware.hcloud/server=<server ID>``, so a series is one
label-selected listing (one page in steady state). Snapshots made by 0.1 lack that label: they are the legacy part
of the series, read as they are (no write: relabelling them cost one ``PUT /images/{id}`` each, seven a server in
one night after the upgrade) until rotation retires them. They are found as 0.1 found its own: ``lockaware.hcloud/managed=true``
(without the server label: one listing, shared by a fleet run) and their ``created_from``; a snapshot made by
hand lacks the managed label and is neither counted nor deleted, whatever its description.

``plan_series`` is the one plan of a series under retention rules: the snapshot task's rotation and
``snapshot_info``'s planning tool both call it.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import SERVER_LABEL, has_labels, is_managed, made_from
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import hold_reason, in_series, plan_retention, rotation_series


def read_series(api: Any, server_id: int, labels: dict) -> list[dict]:
    """The series of this server as it is now: its labelled snapshots, then its legacy part (made by 0.1), unchanged."""
    series = {image["id"]: image for image in api.series(server_id, labels)}
    for image in earlier_versions(api.unlabelled_managed(), server_id, labels):
        series.setdefault(image["id"], image)
    return list(series.values())


def earlier_versions(images: list[dict], server_id: int, labels: dict) -> list[dict]:
    """The snapshots 0.1 made of this server (its rule: ``lockaware.hcloud/managed=true`` and ``created_from``),
    without a server label, with all of ``labels``."""
    return [
        image
        for image in images
        if is_managed(image) and SERVER_LABEL not in (image.get("labels") or {}) and made_from(image, server_id) and has_labels(image, labels)
    ]


@dataclass(frozen=True)
class SeriesPlan:
    """What retention rules keep and delete of a series (``_retention.plan_retention``), and the series planned."""

    series: list[dict]  # the series' snapshots as planned: this run's snapshot in its place, those marked deleted left out
    plan: dict
    new_id: int | None  # this run's snapshot, when it belongs to the series (it fills every rule's first place)


def plan_series(listing: list[dict], server_id: int, labels: dict, rules: dict[str, int], current: dict | None = None) -> SeriesPlan:
    """The plan of the series of this server among ``listing`` (``read_series``), with ``current``, this run's
    snapshot (or check mode's prediction) as it is now, as the newest when it belongs to the series."""
    series = [image for image in rotation_series(listing, current or None) if in_series(image, server_id, labels) and hold_reason(image) != "marked deleted"]
    new_id = (current or {}).get("id")
    new_id = new_id if any(image["id"] == new_id for image in series) else None
    return SeriesPlan(series, plan_retention(series, rules, new_id), new_id)
