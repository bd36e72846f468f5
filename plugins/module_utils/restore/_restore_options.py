# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rollback module's options, checked (``_validation``) before any request.

The defaults live in the argument spec (``plugins/modules/rollback.py``) only.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import check_rollback_params


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
        """Check the module's parameters (``_validation.check_rollback_params``); raises ``InvalidOption`` saying what
        is wrong and what to do."""
        checked = check_rollback_params(params)
        return cls(
            server=str(params["server"]),
            snapshot_id=params.get("snapshot_id"),
            labels=checked["labels"],
            description=params.get("description"),
            allow_foreign_image=bool(params.get("allow_foreign_image")),
            force=bool(params.get("force")),
            power_state=params["power_state"],
            on_locked=params["on_locked"],
            lock_timeout=params["lock_timeout"],
            wait_timeout=params["wait_timeout"],
            change_began=checked["change_began"],
        )
