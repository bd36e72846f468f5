# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot module's options, checked before anything is changed.

The defaults live in the argument spec (``plugins/modules/snapshot.py``) only: ``from_params`` takes what
``AnsibleModule`` hands over, and the dataclass has no defaults of its own.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils._retention import retention_rules
from ansible_collections.lockaware.hcloud.plugins.module_utils._validation import (
    InvalidOption,
    check_description,
    check_labels,
    check_non_negative,
    check_server,
    parse_duration,
)


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
    retention: dict | None  # the rules, from retention or its short form keep (``_retention.retention_rules``)
    protect: bool
    shutdown: bool
    shutdown_timeout: int
    force_poweroff: bool
    include_unmanaged: bool
    from_backup: bool  # take the snapshot from the server's newest automatic backup when it fits (``_from_backup``)
    on_no_backup: str  # with from_backup, when no backup fits: create a snapshot, or skip the server

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SnapshotOptions:
        """Check the module's parameters; raises ``InvalidOption`` saying what is wrong and what to do.

        Without ``server`` (with ``servers``), ``server`` is left empty: each task gets its own (``targets``).
        """
        check_non_negative(params, ("lock_timeout", "wait_timeout", "shutdown_timeout"))
        targets(params)
        check_description(params.get("description"))
        rules = retention_rules(params.get("keep"), params.get("retention"))
        for name in ("keep", "retention", "protect", "shutdown"):
            if params.get(name) not in (None, False) and not params.get("wait", True):
                raise InvalidOption(NEEDS_WAIT[name])
        if params.get("force") and params.get("max_age") is not None:
            raise InvalidOption("force and max_age contradict each other: force creates a snapshot every run, max_age only when none is recent")
        check_from_backup(params)
        if params.get("state") == "absent":
            for name in ("force", "keep", "retention", "protect", "shutdown", "from_backup"):
                if params.get(name):
                    raise InvalidOption(f"{name} only applies to state=present")
        max_age = None if params.get("max_age") is None else parse_duration(params["max_age"], "max_age")
        known = {option.name: params[option.name] for option in fields(cls) if option.name in params}
        return cls(
            **dict(
                known,
                server=params.get("server") or "",
                labels=check_labels(params.get("labels")),
                max_age=max_age,
                keep=params.get("keep"),
                retention=rules,
            )
        )


NEEDS_WAIT = {
    "keep": "keep needs wait=true: rotation only deletes old snapshots once the new one is available",
    "retention": "retention needs wait=true: rotation only deletes old snapshots once the new one is available",
    "protect": "protect needs wait=true: a snapshot can only be protected once it is available",
    "shutdown": "shutdown needs wait=true: the server is powered on again only after the snapshot is done",
}


def check_from_backup(params: dict[str, Any]) -> None:
    """``from_backup`` converts a backup: no shutdown (a backup is taken while the server runs), no ``force``."""
    if not params.get("from_backup"):
        if params.get("on_no_backup", "create") != "create":
            raise InvalidOption("on_no_backup only applies with from_backup=true: set from_backup=true, or leave on_no_backup out")
        return
    if params.get("shutdown"):
        raise InvalidOption(
            "from_backup and shutdown contradict each other: an automatic backup is taken while the server runs, so it is not the "
            "consistent snapshot shutdown asks for; use shutdown alone for a consistent snapshot, or from_backup alone for one without a lock"
        )
    if params.get("force"):
        raise InvalidOption(
            "from_backup and force contradict each other: force creates a snapshot every run, from_backup converts a backup only when none matches"
        )


def targets(params: dict[str, Any]) -> list[str]:
    """The servers the task is for: ``server`` as a fleet of one, or ``servers`` (duplicates once), each checked."""
    values = [params["server"]] if params.get("servers") is None else list(params["servers"])
    for value in values:
        check_server(value, "server" if params.get("servers") is None else "each of servers")
    if params.get("servers") is not None and params.get("concurrency", 1) < 1:
        raise InvalidOption(f"concurrency must be 1 or more, got {params['concurrency']}")
    return [str(value) for value in dict.fromkeys(values)]
