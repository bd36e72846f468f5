# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the retention tests compare ``_retention`` with or build on; nothing of the collection calls these.

``choose_deletions`` is the plain keep-N choice, written the short way: ``retention: {last: N}`` must delete
exactly what it deletes. ``plan_series_retention`` and ``plan_cost`` plan and price one series out of a mixed listing.
"""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import newest_first
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._retention import in_series, plan_retention, storage_cost


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


def plan_series_retention(images: list[dict], server_id: int, labels: dict, rules: dict[str, int], new_id: int | None = None) -> dict:
    """``plan_retention`` over the snapshots of one series among ``images`` (see ``_retention.in_series``)."""
    return plan_retention([image for image in images if in_series(image, server_id, labels)], rules, new_id)


def plan_cost(plan: dict, series: list[dict], price_per_gb_month: dict, currency: str) -> dict:
    """``{"kept": storage_cost, "removed": storage_cost}`` for a plan of ``plan_retention`` over ``series``."""
    doomed = set(plan["delete"])
    kept = [image for image in series if image["id"] not in doomed]
    removed = [image for image in series if image["id"] in doomed]
    return {"kept": storage_cost(kept, price_per_gb_month, currency), "removed": storage_cost(removed, price_per_gb_month, currency)}
