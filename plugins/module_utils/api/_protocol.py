# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API seam: what a snapshot task needs from the Hetzner Cloud API, as plain dicts (the API's JSON).

Implemented by ``_api.HcloudApi`` (the real client), ``_shared_reads.FleetTaskApi`` (one task of a fleet run:
shared reads, its own writes) and the unit tests' ``FakeApi``; ``test_protocol.py`` checks that they agree. API
calls only: how long to wait and what a wait may spend travel beside it (``_pacing.Pacing``).
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


class RateLimit(Protocol):
    """What the API's rate limit headers say."""

    def seconds_until_next_request(self) -> float:
        """How long to wait before one request is allowed again."""


@runtime_checkable
class SnapshotApi(Protocol):
    """Reads may be shared or cached (``snapshots``); ``snapshots_now`` and ``current_server`` are read as they are now."""

    def server(self, name_or_id: str) -> dict:
        """The server a name or ID means (``_servers.pick_server``); raises ``ServerNotFound`` or ``AmbiguousServer``."""

    def current_server(self, server_id: int) -> dict:
        """The server as it is now (its status)."""

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Every snapshot carrying the selector's labels created from ``since`` on, any status; may be shared."""

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Like ``snapshots``, but read after this call began."""

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """The snapshots created from the server that carry ``labels``, created from ``since`` on, any status, read
        after this call began: the look for a match made meanwhile (a fleet reads it narrowly: ``_shared_reads``)."""

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """The snapshots labelled as the server's series (``_series``) carrying ``labels``, read now."""

    def unlabelled_managed(self) -> list[dict]:
        """The snapshots this collection made without the server label (earlier versions); may be shared."""

    def backups(self, server_id: int, since: datetime | None = None) -> list[dict]:
        """The server's automatic backups (type backup, bound to it) created from ``since`` on, any status; read after
        this call began (a fleet's tasks asking at once share one listing of the project's backups)."""

    def convert_backup(self, image_id: int, description: str, labels: dict) -> dict:
        """PUT a backup as a snapshot (``type: snapshot``) with this description and labels (the whole set), once."""

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions running on the server (what keeps it locked)."""

    def pricing(self) -> dict:
        """The ``pricing`` object of GET /pricing (``image.price_per_gb_month``, ``currency``); read once per run."""

    def action(self, action_id: int) -> dict:
        """One action."""

    def image(self, image_id: int) -> dict | None:
        """One image, or None if it no longer exists."""

    def create_snapshot(self, server_id: int, description: str, labels: dict) -> tuple[dict, dict]:
        """POST create_image, once; returns ``(action, image)``."""

    def delete_image(self, image_id: int) -> None:
        """DELETE an image, once."""

    def protect_image(self, image_id: int) -> dict:
        """Turn on delete protection; returns the action."""

    def label_server(self, server_id: int, labels: dict) -> dict:
        """PUT a server's labels (the whole set), once; returns the server."""

    def server_action(self, server_id: int, command: str) -> dict:
        """POST a power action (shutdown, poweroff, poweron); returns the action."""
