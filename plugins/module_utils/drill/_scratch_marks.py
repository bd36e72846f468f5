# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The labels that mark a restore drill's scratch server, and the rule that only a marked server is ever deleted.

A scratch server carries ``lockaware.hcloud/drill=<run id>`` (the mark), ``lockaware.hcloud/drill-origin=<server
ID>`` and ``lockaware.hcloud/drill-snapshot=<image ID>`` (what it was restored from), ``lockaware.hcloud/drill-expires``
(a UTC time, ``20261207T230000Z``, after which nobody needs it) and ``lockaware.hcloud/request`` (its create request,
so that a request whose answer was lost is found instead of sent again). A server without the mark is never deleted.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
import re

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import REQUEST_LABEL

DRILL_LABEL = "lockaware.hcloud/drill"
ORIGIN_LABEL = "lockaware.hcloud/drill-origin"
SNAPSHOT_LABEL = "lockaware.hcloud/drill-snapshot"
EXPIRES_LABEL = "lockaware.hcloud/drill-expires"
EXPIRY_FORMAT = "%Y%m%dT%H%M%SZ"
_NOT_IN_NAME = re.compile(r"[^a-z0-9-]+")
NAME_PART = 16
NAME_LIMIT = 63  # a host name's label


def scratch_name(origin: dict, run_id: str) -> str:
    """``drill-<origin name, shortened>-<origin ID>-<run id>``: unique per origin and run, a valid host name of at
    most 63 characters (the origin's name is shortened further for a long run id)."""
    tail = f"{origin['id']}-{run_id}".lower()
    room = min(NAME_PART, NAME_LIMIT - len("drill--") - len(tail))
    short = _NOT_IN_NAME.sub("-", str(origin["name"]).lower()).strip("-")[: max(0, room)].strip("-") or "server"[: max(0, room)]
    return f"drill-{short}-{tail}" if short else f"drill-{tail}"


def scratch_labels(run_id: str, origin_id: int, snapshot_id: int, expires: datetime.datetime, request_id: str) -> dict[str, str]:
    """The labels of a new scratch server."""
    return {
        DRILL_LABEL: run_id,
        ORIGIN_LABEL: str(origin_id),
        SNAPSHOT_LABEL: str(snapshot_id),
        EXPIRES_LABEL: expires.astimezone(datetime.timezone.utc).strftime(EXPIRY_FORMAT),
        REQUEST_LABEL: request_id,
    }


def is_scratch(server: dict) -> bool:
    """Whether the server carries the mark (checked on every server before it is deleted, whatever the listing said)."""
    return bool((server.get("labels") or {}).get(DRILL_LABEL))


def run_of(server: dict) -> str | None:
    """The run id of a scratch server."""
    return (server.get("labels") or {}).get(DRILL_LABEL)


def expires_at(server: dict) -> datetime.datetime | None:
    """When the scratch server expires, or None when its label is missing or unreadable."""
    text = (server.get("labels") or {}).get(EXPIRES_LABEL)
    try:
        return datetime.datetime.strptime(str(text), EXPIRY_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def expired(server: dict, now: datetime.datetime) -> bool:
    """A scratch server past its expiry, or without a readable one (nothing says it is still needed)."""
    at = expires_at(server)
    return at is None or at <= now


def leftover_selector(run_id: str | None) -> str:
    """The ``label_selector`` of the scratch servers of every other run."""
    return DRILL_LABEL if run_id is None else f"{DRILL_LABEL},{DRILL_LABEL}!={run_id}"


def run_selector(run_id: str, origin_id: int | None = None) -> str:
    """The ``label_selector`` of one run's scratch servers (of one origin, if given)."""
    return f"{DRILL_LABEL}={run_id}" + ("" if origin_id is None else f",{ORIGIN_LABEL}={origin_id}")
