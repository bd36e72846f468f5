# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A snapshot from the server's newest automatic backup: ``PUT /images/{id}`` with ``type: snapshot``.

The API turns a backup into a snapshot with no action: no lock, no wait, no shutdown, and the snapshot outlives the
seven backup slots and the server. The same request sets the snapshot's description and labels (the series' and the
collection's, which replace the backup's), so identity, adoption, rotation and retention treat it as any other.

Which backup: one of the task's server (``bound_to``), ``available``, not protected, created within the identity's
window (with ``max_age``, within that age; otherwise on the current UTC day, as the default description says), the
newest of those. Nothing else is ever changed. The backups come from one listing (``SnapshotApi.backups``; a fleet
shares one read of the project's backups), so a fleet adds no request per server but the conversion itself.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import has_labels, newest_first, parse_time, series_labels
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code, outcome_unknown
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._backup_cost import backups_enabled
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import brief, doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import new_description
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import UNPACED, Pacing

# Set on a snapshot converted from a backup (with the series' labels): where it came from, for the result's ``source``.
SOURCE_LABEL = "lockaware.hcloud/source"
FROM_BACKUP = "backup"


@dataclass(frozen=True)
class Conversion:
    """What became of the backup: the snapshot (converted, or in check mode as it would be) and the backup it was;
    or why there was none to convert (``missing``)."""

    image: dict | None = None
    backup: dict | None = None
    missing: str | None = None
    msg: str = ""


def backup_since(options: SnapshotOptions, now: datetime.datetime) -> datetime.datetime:
    """The earliest creation time a backup may have to stand for this task's snapshot."""
    if options.max_age is not None:
        return now - datetime.timedelta(seconds=options.max_age)
    return now.astimezone(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def unfit_reason(backup: dict, server_id: int, since: datetime.datetime) -> str | None:
    """Why this image cannot be converted for this server (None: it can)."""
    if backup.get("type") != "backup" or backup.get("bound_to") != server_id:
        return "not a backup of this server"
    if backup.get("status") != "available":
        return str(backup.get("status"))
    if (backup.get("protection") or {}).get("delete"):
        return "protected"
    if parse_time(backup["created"]) < since:
        return "too old"
    return None


def pick_backup(backups: list[dict], server_id: int, since: datetime.datetime) -> dict | None:
    """The newest backup of the server that may be converted, or None."""
    return next((backup for backup in newest_first(backups) if unfit_reason(backup, server_id, since) is None), None)


def converted_labels(options: SnapshotOptions, server_id: int) -> dict:
    """The whole label set of the converted snapshot: the task's labels, the series' and the source."""
    return dict(options.labels, **series_labels(server_id), **{SOURCE_LABEL: FROM_BACKUP})


def converted_description(options: SnapshotOptions, server: dict, backup: dict) -> str:
    """``description``, else ``<server>-<the backup's UTC date>`` (today's with the default identity, which takes only
    today's backups: the same description a created snapshot gets; with ``max_age``, the day it was really taken)."""
    return new_description(options, server, parse_time(backup["created"]).astimezone(datetime.timezone.utc))


def as_converted(backup: dict, description: str, labels: dict) -> dict:
    """The backup as the API shows it once converted (check mode's prediction): a snapshot, bound to nothing."""
    return dict(backup, type="snapshot", bound_to=None, description=description, labels=dict(labels))


def snapshot_source(image: dict) -> str:
    """``backup`` for a snapshot converted from an automatic backup, ``created`` for one made with create_image."""
    return FROM_BACKUP if (image.get("labels") or {}).get(SOURCE_LABEL) == FROM_BACKUP else "created"


class BackupConversion:
    """Turn the server's newest fitting backup into the task's snapshot, or say why there is none."""

    def __init__(self, api: Any, server: dict, options: SnapshotOptions, now: datetime.datetime, check_mode: bool, pacing: Pacing = UNPACED) -> None:
        self.api = api
        self.pacing = pacing
        self.server = server
        self.options = options
        self.since = backup_since(options, now)
        self.check_mode = check_mode

    @property
    def _name(self) -> str:
        return self.server["name"]

    def run(self) -> Conversion:
        """Convert the backup this task picks (check mode: say which it would); ``missing`` when there is none."""
        if not backups_enabled(self.server):
            return Conversion(missing=f"server {self._name} has no automatic backups (backups are not enabled)")
        with doing(f"listing the automatic backups of server {self._name}"):
            backups = [image for image in self.api.backups(self.server["id"], self.since) if image.get("bound_to") == self.server["id"]]
        backup = pick_backup(backups, self.server["id"], self.since)
        if backup is None:
            return Conversion(missing=self._none_fits(backups))
        labels = converted_labels(self.options, self.server["id"])
        description = converted_description(self.options, self.server, backup)
        image = as_converted(backup, description, labels) if self.check_mode else self._convert(backup, description, labels)
        if image is None:
            return Conversion(missing=f"automatic backup {backup['id']} of server {self._name} was deleted before it could be converted")
        verb = "would convert" if self.check_mode else "converted"
        about = f"{brief(backup.get('description'))}, created {backup['created']}"
        return Conversion(
            image, backup, msg=f"{verb} automatic backup {backup['id']} ({about}) of server {self._name} into snapshot {brief(repr(description))}"
        )

    def _none_fits(self, backups: list[dict]) -> str:
        unfit = [f"{backup['id']} {unfit_reason(backup, self.server['id'], self.since)}" for backup in newest_first(backups)]
        seen = f" (seen: {', '.join(unfit)})" if unfit else ""
        return f"server {self._name} has no available, unprotected automatic backup created since {self.since.isoformat()}{seen}"

    def _convert(self, backup: dict, description: str, labels: dict) -> dict | None:
        """PUT the backup as a snapshot, once; None when it is gone. A failure of unknown outcome (a 5xx, a lost
        answer) is settled by reading the image: converted as asked counts as done, anything else fails."""
        with doing(f"converting automatic backup {backup['id']} of server {self._name} into a snapshot"):
            try:
                return self.api.convert_backup(backup["id"], description, labels)
            except Exception as exc:
                if error_code(exc) == "not_found":
                    return None
                if not outcome_unknown(exc):
                    raise
                self.pacing.pay_image_read(backup["id"])
                image = self.api.image(backup["id"])
                if image is None:
                    return None
                if image.get("type") == "snapshot" and image.get("description") == description and has_labels(image, labels):
                    return image
                raise
