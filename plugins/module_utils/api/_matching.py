# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot identity: which existing snapshot counts as "the" snapshot a task asks for."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

# Every snapshot this collection creates carries this label; rotation only ever deletes snapshots that do.
MANAGED_LABEL = "lockaware.hcloud/managed"
MANAGED_VALUE = "true"
# A label unique to one create request, so that a request whose answer was lost can be found again.
REQUEST_LABEL = "lockaware.hcloud/request"
# The series label: the ID of the server a snapshot was made from (stable, unlike its name), so that the snapshots
# of one server are one label-selected listing. Snapshots made by 0.1 lack it: the legacy part of the series (``_series``).
SERVER_LABEL = "lockaware.hcloud/server"
# How far before the UTC date in a default description a snapshot of it may have been created (clock skew).
DATE_WINDOW_SLACK = datetime.timedelta(hours=1)
LIVE_STATUSES = ("creating", "available")


@dataclass(frozen=True)
class SnapshotIdentity:
    """What makes a snapshot "the same" for a task: server, labels, and a description or a maximum age."""

    server_id: int
    description: str | None = None
    labels: dict = field(default_factory=dict)
    max_age: float | None = None
    dated: bool = False  # the description is the default one, bound to today's UTC date

    def matches(self, image: dict, now: datetime.datetime) -> bool:
        """Whether an image (the API's JSON) is a live snapshot of this identity."""
        if not is_live_snapshot_of(image, self.server_id) or not has_labels(image, self.labels):
            return False
        if self.max_age is not None:
            return age_seconds(image, now) <= self.max_age
        return image.get("description") == self.description


def is_live_snapshot_of(image: dict, server_id: int) -> bool:
    """A snapshot created from this server that is being created or available (``unavailable`` or ``deleted``: not)."""
    live = image.get("status") in LIVE_STATUSES and not image.get("deleted")
    return image.get("type") == "snapshot" and made_from(image, server_id) and live


def made_from(image: dict, server_id: int) -> bool:
    """Whether the image was created from this server (any status)."""
    return (image.get("created_from") or {}).get("id") == server_id


def series_labels(server_id: int) -> dict:
    """The labels that put a snapshot into the series of this server."""
    return {MANAGED_LABEL: MANAGED_VALUE, SERVER_LABEL: str(server_id)}


def identity_window(identity: SnapshotIdentity, now: datetime.datetime) -> datetime.datetime | None:
    """The earliest creation time a match can have, or None when any age can match (a fixed description).

    ``max_age`` bounds itself; the default description names the UTC date it was made on, so a snapshot created
    before that date (less a little clock skew) cannot carry it.
    """
    if identity.max_age is not None:
        return now - datetime.timedelta(seconds=identity.max_age) - DATE_WINDOW_SLACK
    if identity.dated:
        return now.astimezone(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - DATE_WINDOW_SLACK
    return None


def has_labels(image: dict, labels: dict) -> bool:
    """Whether the image carries every one of ``labels`` with the same value."""
    own = image.get("labels") or {}
    return all(own.get(key) == value for key, value in labels.items())


def is_managed(image: dict) -> bool:
    """Whether this collection created the image."""
    return (image.get("labels") or {}).get(MANAGED_LABEL) == MANAGED_VALUE


def label_selector(labels: dict) -> str | None:
    """``k1=v1,k2=v2`` for the API's ``label_selector``, or None."""
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items())) or None


def parse_time(text: str) -> datetime.datetime:
    """An API timestamp (ISO 8601) as an aware datetime."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def age_seconds(image: dict, now: datetime.datetime) -> float:
    """Seconds since the image was created."""
    return (now - parse_time(image["created"])).total_seconds()


def newest_first(images: list[dict]) -> list[dict]:
    """Images sorted newest first (by creation time, then ID)."""
    return sorted(images, key=lambda image: (parse_time(image["created"]), image["id"]), reverse=True)


def find_matches(images: list[dict], identity: SnapshotIdentity, now: datetime.datetime) -> list[dict]:
    """The images that match ``identity``, newest first, available ones before ones still being created."""
    matches = [image for image in images if identity.matches(image, now)]
    return sorted(newest_first(matches), key=lambda image: image["status"] != "available")
