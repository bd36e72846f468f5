# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback module's options, checked before any request.

The defaults live in the argument spec (``plugins/modules/rollback.py``) only.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._validation import (
    InvalidOption,
    check_description,
    check_labels,
    check_non_negative,
    check_server,
)


@dataclass(frozen=True)
class RollbackOptions:
    """The options of one rollback: the server, which image, and how."""

    server: str
    snapshot_id: int | None
    labels: dict
    description: str | None
    allow_foreign_image: bool
    force: bool
    power_state: str
    on_locked: str
    lock_timeout: int
    wait_timeout: int
    change_began: datetime.datetime | None  # a restore begun before this does not count as done

    @property
    def by_series(self) -> bool:
        """The image is the newest available snapshot of a series, not one given by ID."""
        return self.snapshot_id is None

    def series_wording(self) -> str:
        """``carrying labels reason=pre-upgrade and described 'x'``, for messages."""
        parts = [f"carrying labels {', '.join(f'{key}={value}' for key, value in sorted(self.labels.items()))}"] if self.labels else []
        parts += [f"described {self.description!r}"] if self.description is not None else []
        return " and ".join(parts)

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> RollbackOptions:
        """Check the module's parameters; raises ``InvalidOption`` saying what is wrong and what to do."""
        check_server(params.get("server"))
        check_non_negative(params, ("lock_timeout", "wait_timeout"))
        check_description(params.get("description"))
        labels = check_labels(params.get("labels"))
        snapshot_id = params.get("snapshot_id")
        if snapshot_id is not None and snapshot_id <= 0:
            raise InvalidOption(f"snapshot_id must be the ID of a snapshot (a positive number), got {snapshot_id}")
        if snapshot_id is not None and (labels or params.get("description") is not None):
            raise InvalidOption("snapshot_id names the snapshot: leave labels and description out, they choose one by series")
        if snapshot_id is None and not labels and params.get("description") is None:
            raise InvalidOption(
                "say which snapshot to restore: snapshot_id (for example the id a lockaware.hcloud.snapshot task registered), "
                "or labels and/or description of the series (its newest available snapshot is restored)"
            )
        return cls(
            server=str(params["server"]),
            snapshot_id=snapshot_id,
            labels=labels,
            description=params.get("description"),
            allow_foreign_image=bool(params.get("allow_foreign_image")),
            force=bool(params.get("force")),
            power_state=params["power_state"],
            on_locked=params["on_locked"],
            lock_timeout=params["lock_timeout"],
            wait_timeout=params["wait_timeout"],
            change_began=change_time(params.get("change_began")),
        )


def change_time(value: Any) -> datetime.datetime | None:
    """``change_began`` as an aware time (a time without a zone is UTC); ``InvalidOption`` when it is not one."""
    if value is None or str(value).strip() == "":
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidOption(f"change_began must be a time in ISO 8601, such as 2026-12-07T08:00:00+00:00, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
