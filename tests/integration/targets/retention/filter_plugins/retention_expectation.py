# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test's own reading of the retention rules, written from their definition and not from the collection's code.

``retention_expected(series, rules, new_created)``: the IDs the rules keep of ``series`` (the API's image dicts of one
series) when a new snapshot created at ``new_created`` (ISO 8601; it is not in ``series``) is added: for ``last: N``
the N newest, for each period rule the newest snapshot of each of the N newest UTC periods that have one (ISO weeks),
plus every protected snapshot and every one that is not available.
"""

from __future__ import annotations

import datetime

NEW = "new"
PERIODS = {
    "hourly": lambda moment: moment.strftime("%Y-%m-%d %H"),
    "daily": lambda moment: moment.strftime("%Y-%m-%d"),
    "weekly": lambda moment: "{}-W{:02d}".format(*moment.isocalendar()[:2]),
    "monthly": lambda moment: moment.strftime("%Y-%m"),
    "yearly": lambda moment: moment.strftime("%Y"),
}


def _utc(text):
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment.astimezone(datetime.timezone.utc) if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def retention_expected(series, rules, new_created):
    """The sorted IDs the rules keep of ``series`` (the new snapshot left out)."""
    candidates = [(_utc(image["created"]), image["id"]) for image in series if image["status"] == "available"]
    ordered = [(_utc(new_created), NEW), *sorted(candidates, reverse=True)]
    kept = {image_id for _moment, image_id in ordered[: int(rules.get("last") or 0)]}
    for rule, period in PERIODS.items():
        newest_of_period = {}
        for moment, image_id in ordered:
            newest_of_period.setdefault(period(moment), image_id)
        kept.update(list(newest_of_period.values())[: int(rules.get(rule) or 0)])
    kept.update(image["id"] for image in series if image["status"] != "available" or (image.get("protection") or {}).get("delete"))
    return sorted(image_id for image_id in kept if image_id != NEW)


def retention_history(server_id, days, size):
    """A server's initial snapshots (``/_sim/reset``): one of its ``year`` series ``days`` ago each (given the server
    label), one more by an earlier version (no server label, 45 days and 5 hours), a protected one (500 days), one by
    hand and one of another series."""
    managed = {"lockaware.hcloud/managed": "true", "series": "year"}
    labelled = dict(managed, **{"lockaware.hcloud/server": str(server_id)})

    def snapshot(description, labels, hours, **extra):
        return dict({"description": description, "labels": labels, "age_hours": hours, "image_size": size}, **extra)

    history = [snapshot(f"year-{day}", labelled, 24.0 * day) for day in days]
    return [
        *history,
        snapshot("earlier version", managed, 24.0 * 45 + 5),
        snapshot("protected", labelled, 24.0 * 500, protected=True),
        snapshot("by hand", {"series": "year"}, 24.0 * 2),
        snapshot("other series", dict(labelled, series="other"), 24.0 * 3),
    ]


class FilterModule:
    """The test's expectation of a retention run, and the history it starts from."""

    def filters(self):
        return {"retention_expected": retention_expected, "retention_history": retention_history}
