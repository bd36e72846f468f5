# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power record: a label on the server saying that this collection powered it off, set before the shutdown.

A run killed outright (SIGKILL, a controller that dies, a job's container removed) cannot power its server on
again. The label survives it on the server itself, where the next run, on whatever controller, finds it:
``lockaware.hcloud/powered-off=<UTC time, 20261202T033000Z>`` is added before the shutdown request is sent and
removed right after the power-on. ``PUT /servers/{id}`` replaces all labels, so both are a read of the server's
labels right before the write of the same set with ours added or taken away: the user's labels stay as they are.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from typing import Any

POWER_LABEL = "lockaware.hcloud/powered-off"

# What a run does about a server carrying the label (``recovery_step``).
NOTHING = "nothing"  # no label: not ours to touch, whatever its status
UNMARK = "unmark"  # running again: only the label goes
POWER_ON = "power_on"  # off: an interrupted run left it so; power it on (after the lock), then the label goes
LEAVE = "leave"  # starting, stopping, migrating...: look again next run


def stamp(moment: datetime.datetime) -> str:
    """The label's value: when the server was marked, in UTC, as a label value may spell it (no colons)."""
    return moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


# A live run labels the server, shuts it down (at most its shutdown_timeout), then starts its snapshot at once. A mark
# younger than that plus this many seconds, on an off server with no running action, may be such a run between its
# shutdown and its snapshot: another run waits for it as for a lock, instead of powering the server on under it.
SETTLE_SECONDS = 60.0


def marked_at(server: dict) -> datetime.datetime | None:
    """When the mark was set, or None (no mark, or a value this collection did not write)."""
    since = marked_since(server)
    try:
        return None if since is None else datetime.datetime.strptime(since, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def fresh_for(server: dict, now: datetime.datetime, shutdown_timeout: float) -> float:
    """Seconds the mark may still be a live run's (0: it is an interrupted run's, or there is none)."""
    since = marked_at(server)
    if since is None:
        return 0.0
    return max(0.0, (since - now).total_seconds() + shutdown_timeout + SETTLE_SECONDS)


def marked_since(server: dict) -> str | None:
    """The label's value, if the server carries it."""
    return (server.get("labels") or {}).get(POWER_LABEL)


def recovery_step(server: dict) -> str:
    """What to do about the server as read: ``NOTHING``, ``UNMARK``, ``POWER_ON`` or ``LEAVE``."""
    if marked_since(server) is None:
        return NOTHING
    if server["status"] == "running":
        return UNMARK
    if server["status"] == "off":
        return POWER_ON
    return LEAVE


def mark(api: Any, server_id: int, moment: datetime.datetime) -> None:
    """Add the label to the server's labels as they are now."""
    labels = dict(api.current_server(server_id).get("labels") or {})
    labels[POWER_LABEL] = stamp(moment)
    api.label_server(server_id, labels)


def unmark(api: Any, server_id: int) -> bool:
    """Take the label away from the server's labels as they are now; False if it was not there (nothing sent)."""
    labels = dict(api.current_server(server_id).get("labels") or {})
    if labels.pop(POWER_LABEL, None) is None:
        return False
    api.label_server(server_id, labels)
    return True
