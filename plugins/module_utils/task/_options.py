# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot module's options, checked (``_validation``) before anything is changed.

The defaults live in the argument spec (``plugins/modules/snapshot.py``) only: ``from_params`` takes what
``AnsibleModule`` hands over, and the dataclass has no defaults of its own.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import check_snapshot_params


@dataclass(frozen=True)
class SnapshotOptions:
    """The options of one task, checked; ``server`` is the one server (name or ID) the task is for."""

    server: str
    state: str
    description: str | None
    labels: dict
    max_age: float | None
    force: bool
    on_locked: str
    lock_timeout: int
    wait: bool
    wait_timeout: int
    keep: int | None
    retention: dict | None  # the rules, from retention or its short form keep (``_validation.retention_rules``)
    protect: bool
    shutdown: bool
    shutdown_timeout: int
    force_poweroff: bool
    include_unmanaged: bool
    from_backup: bool  # take the snapshot from the server's newest automatic backup when it fits (``_from_backup``)
    on_no_backup: str  # with from_backup, when no backup fits: create a snapshot, or skip the server

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SnapshotOptions:
        """Check the module's parameters (``_validation.check_snapshot_params``); raises ``InvalidOption`` saying what
        is wrong and what to do.

        Without ``server`` (with ``servers``), ``server`` is left empty: each task gets its own (``targets``).
        """
        checked = check_snapshot_params(params)
        known = {option.name: params[option.name] for option in fields(cls) if option.name in params}
        return cls(**dict(known, server=params.get("server") or "", keep=params.get("keep"), **checked))
