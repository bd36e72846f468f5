# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the snapshot task has done so far: a value changed only through its named steps.

``_views.task_view`` turns it into the result; the result is never read back.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import StoragePrice
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import brief
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import PowerRecovery, PowerReport


@dataclass(frozen=True)
class Retained:
    """Rotation's plan as carried out (``_retention.settle``) and what prices it; ``_retention_report.retention_view``
    makes the ``retention`` result of it. ``predicted_id``: check mode's stand-in ID of the snapshot it would create."""

    rules: dict
    plan: dict
    series: list
    price: StoragePrice
    predicted_id: int | None = None
    backups: dict | None = None


@dataclass
class TaskState:
    """What the task has done so far; the result is made from it (``task_view``), never read back from the result."""

    outcome: str = "unchanged"
    changed: bool = False
    adopted: bool = False
    skipped: bool = False
    msg: str = ""
    snapshot: dict | None = None
    action: dict | None = None
    deleted: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    power: PowerReport | None = None
    predicted: dict | None = None  # check mode: the snapshot a real run would create
    retention: Retained | None = None  # the rotation's plan as carried out, and its price
    power_note: str = ""  # a server an interrupted run left off, powered on: the start of the msg
    no_backup_note: str = ""  # from_backup: why no backup was converted, when a snapshot is created instead

    # the server's power -------------------------------------------------------------------------------------------

    def recovered_power(self, recovery: PowerRecovery) -> None:
        """What was done about a server an interrupted run left off (``_power.recover_power``)."""
        self.power = recovery.report
        # Powering on a server an interrupted run left off is a change (check mode: it would be), whatever the snapshot.
        self.changed = self.changed or (recovery.report is not None and recovery.report.recovered and recovery.skipped_for is None)
        self.warnings.extend(recovery.warnings)
        self.power_note = recovery.note

    def cycling_power(self, report: PowerReport) -> None:
        """The power cycle of ``shutdown=true`` reports here from now on."""
        self.power = report

    def warned(self, warnings: list[str]) -> None:
        self.warnings.extend(warnings)

    # the snapshot -------------------------------------------------------------------------------------------------

    def skipped_server(self, msg: str) -> None:
        """Nothing done to the server: locked (``on_locked=skip``), or no backup to convert (``on_no_backup=skip``)."""
        self.outcome, self.skipped, self.msg = "skipped", True, msg

    def found(self, image: Any, server_name: str, how: str) -> None:
        """A matching snapshot exists (``how``: ``exists``, ``was made meanwhile``)."""
        self.snapshot = image
        self.msg = f"snapshot {image['id']} ({brief(image['description'])}) of server {server_name} {how}"

    def adopting(self, image: Any, server_name: str) -> None:
        """A matching snapshot is being created: it is this run's, waited for (with ``wait``) instead of making another."""
        self.outcome, self.adopted, self.snapshot = "adopted", True, image
        self.msg = f"adopted snapshot {image['id']} ({brief(image['description'])}) of server {server_name}, which is being created"

    def planned_create(self, steps: list[str], predicted: dict) -> None:
        """Check mode: what a real run would do, and the snapshot it would create."""
        self.changed, self.outcome, self.msg = True, "created", "would " + ", then ".join(steps)
        self.predicted = predicted

    def created(self, image: dict, action: dict | None, msg: str) -> None:
        """The API accepted the create request: ``image`` is being created by ``action``."""
        self.changed, self.outcome, self.snapshot, self.action = True, "created", image, action
        self.msg = msg

    def refused_as_locked(self) -> None:
        """The create request was accepted, then its action failed as locked: nothing was made."""
        self.changed, self.outcome, self.snapshot, self.action = False, "unchanged", None, None

    def converted(self, image: dict, msg: str) -> None:
        """A backup became this run's snapshot (``_from_backup``)."""
        self.changed, self.outcome, self.snapshot, self.msg = True, "converted", image, msg

    def no_backup(self, why: str | None) -> None:
        """``from_backup`` found none to convert: a snapshot is created instead, and the msg says why."""
        self.no_backup_note = f"; no backup to convert: {why}"

    def available(self, image: dict, action: Any = None) -> None:
        """The snapshot as read last (available, or protected now), with its action when one was waited for."""
        self.snapshot, self.action = image, action or self.action

    # deletions ----------------------------------------------------------------------------------------------------

    def deleted_one(self, image: dict) -> None:
        self.changed = True
        self.deleted.append(image)

    def retained(self, retention: Retained) -> None:
        """Rotation's plan as carried out, and its price."""
        self.retention = retention

    def rotated(self, summary: str) -> None:
        """What rotation deleted (``summary``, empty for nothing) ends the msg."""
        self.msg += summary

    def removed(self, planned: list, msg: str) -> None:
        """state=absent: ``planned`` were to be deleted (each one deleted is in ``deleted``); ``msg`` says so."""
        self.outcome = "deleted" if planned else self.outcome
        self.msg = msg

    # the msg ------------------------------------------------------------------------------------------------------

    def acted(self) -> None:
        """The snapshot step is done: the msg says why no backup was converted, when one was to be."""
        self.msg += self.no_backup_note

    def finished(self) -> None:
        """The msg as reported: what was done about the server's power comes first."""
        if self.power_note:
            self.msg = f"{self.power_note}; {self.msg}" if self.msg else self.power_note
