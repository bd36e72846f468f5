# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which image a rollback restores, whether it may, and what the restore loses. Pure: no request is made here.

The image is given by ID, or it is the newest ``available`` snapshot of a series: made from the server (its
``created_from``), carrying every one of ``labels`` and, when given, the ``description``: the identity
``lockaware.hcloud.snapshot`` gives its snapshots. Every refusal is a ``RestoreRefused`` that says what to do, raised
before anything is written.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import has_labels, newest_first, parse_time
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed, brief

# A server can be rebuilt from a system image too; a rollback restores what was saved of a server.
RESTORABLE_TYPES = ("snapshot", "backup")


class RestoreRefused(TaskFailed):
    """The image cannot (or may not) be restored on the server; nothing was changed."""


def describe_image(image: dict) -> str:
    """``snapshot 500010 (web1-2026-12-07)``."""
    return f"{image.get('type') or 'image'} {image['id']} ({brief(image.get('description'))})"


def source_of(image: dict) -> dict:
    """The server the image was made from (``created_from``: ``id``, ``name``), or an empty dict."""
    return image.get("created_from") or {}


def is_own(image: dict, server: dict) -> bool:
    """Whether the image was made from this server (by ID: a renamed server keeps its snapshots)."""
    return source_of(image).get("id") == server["id"]


def series_candidates(images: list[dict], server: dict, labels: dict, description: str | None, allow_foreign: bool) -> list[dict]:
    """The snapshots of the series, newest first, whatever their status: this server's (any server's with
    ``allow_foreign``), carrying every one of ``labels``, with ``description`` when given."""
    return newest_first(
        [
            image
            for image in images
            if image.get("type") == "snapshot"
            and not image.get("deleted")
            and (allow_foreign or is_own(image, server))
            and has_labels(image, labels)
            and (description is None or image.get("description") == description)
        ]
    )


def pick_newest_available(candidates: list[dict], server: dict, what: str) -> dict:
    """The newest available one of ``candidates``; refused when there is none, saying what there is instead."""
    available = [image for image in candidates if image.get("status") == "available"]
    if available:
        return available[0]
    if candidates:
        newest = candidates[0]
        raise RestoreRefused(
            f"no available snapshot of server {server['name']} is {what}: the newest, {describe_image(newest)}, is {newest.get('status')}; "
            "wait until it is available (lockaware.hcloud.snapshot with wait=true), or give snapshot_id; nothing was changed"
        )
    raise RestoreRefused(
        f"no snapshot of server {server['name']} is {what}: check labels and description (lockaware.hcloud.snapshot_info lists them), "
        "or give snapshot_id; nothing was changed"
    )


def check_restorable(image: dict, server: dict, allow_foreign: bool) -> None:
    """Refuse, before any write, an image that is not a snapshot or backup, not available, another server's (unless
    allowed), of another architecture or bigger than the server's disk; and a server under rebuild protection."""
    name, what = server["name"], describe_image(image)
    if image.get("type") not in RESTORABLE_TYPES:
        raise RestoreRefused(
            f"image {image['id']} is a {image.get('type')} image, not a snapshot or a backup: a rollback restores what was saved of server {name}; "
            "use hetzner.hcloud.server with state=rebuild to install a fresh system; nothing was changed"
        )
    if image.get("status") != "available" or image.get("deleted"):
        raise RestoreRefused(
            f"{what} is {image.get('status')}, not available: only an available image can be restored; "
            + ("wait until it is available, " if image.get("status") == "creating" else "")
            + "or choose another snapshot; nothing was changed"
        )
    source = source_of(image)
    if not allow_foreign and not is_own(image, server):
        made_from = f"server {source.get('name')} (ID {source['id']})" if source.get("id") is not None else "no server this project knows"
        raise RestoreRefused(
            f"{what} was made from {made_from}, not from server {name} (ID {server['id']}): rebuilding {name} from it would put another "
            f"machine's disk on it; set allow_foreign_image=true if that is what you mean; nothing was changed"
        )
    architecture = ((server.get("server_type") or {}).get("architecture")) or "x86"
    if image.get("architecture") and image["architecture"] != architecture:
        raise RestoreRefused(f"{what} is for architecture {image['architecture']}, server {name} is {architecture}; nothing was changed")
    disk, needed = server.get("primary_disk_size"), image.get("disk_size")
    if disk is not None and needed is not None and needed > disk:
        raise RestoreRefused(
            f"{what} needs a disk of {needed:g} GB, server {name} has {disk:g} GB: change its type to one with a bigger disk "
            "(hcloud server change-type --keep-disk=false), or restore the snapshot to a new server; nothing was changed"
        )
    if (server.get("protection") or {}).get("rebuild"):
        raise RestoreRefused(
            f"server {name} has rebuild protection: a rollback never turns it off; if you mean to overwrite its disk, turn it off "
            f"yourself (hcloud server disable-protection {name} rebuild) and run again; nothing was changed"
        )


def readable_age(seconds: float) -> str:
    """``6 h``, ``45 min``, ``3 d 4 h``, ``20 s``: how long ago, for a person."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    days, hours = divmod(seconds // 3600, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def what_is_lost(image: dict, server: dict, now: datetime.datetime) -> dict:
    """``lost``: since when everything written on the server is overwritten, and the sentence saying so."""
    created = parse_time(image["created"]).astimezone(datetime.timezone.utc)
    age = (now - created).total_seconds()
    text = f"everything written on {server['name']} since {created:%Y-%m-%d %H:%M} UTC, {readable_age(age)} ago"
    return {"since": created.isoformat(), "age_seconds": round(age), "text": text}
