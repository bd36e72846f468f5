# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one task of a fleet run sees as its API (``_protocol.SnapshotApi``): the run's reads, the run's client.

Every task of a run goes through one client (``_api.HcloudApi``, one bounded connection pool: ``_pool``): its
writes, and the reads that must be fresh, go there; the reads that tasks share, or that a fleet of one makes
directly, go to the run's ``FleetReads`` (``_fleet_reads``), chosen once per run.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from datetime import datetime

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import REQUEST_LABEL
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._retry import error_code
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_reads import FleetReads


class FleetTaskApi:
    """One task's API: ``reads``, the run's reads (shared, or direct for a fleet of one); ``client``, the run's one
    client, for writes and for reads that must be fresh."""

    def __init__(self, client: HcloudApi, reads: FleetReads) -> None:
        self._client = client
        self._reads = reads
        self._snapshots_read_at: float | None = None  # when the snapshot listing this task planned from began
        self._created: dict = {}  # image ID: its create request's label, until the image's first read

    def server(self, name_or_id: str) -> dict:
        """The run's reads (shared: one listing of all servers)."""
        return self._reads.server(name_or_id)

    def current_server(self, server_id: int) -> dict:
        """The client, fresh (the power steps follow the server's status)."""
        return self._client.current_server(server_id)

    def snapshots(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The run's reads, read after this task asked: the tasks that start together share one read, and a task that starts
        later (``concurrency`` below the fleet's size) does not plan from a listing older than itself, which would
        miss a snapshot another run made and finished meanwhile."""
        images = self._reads.snapshots_now(label_selector, since)
        self._snapshots_read_at = self._reads.read_at(label_selector)
        return images

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The run's reads, read after this call began (shared: one read serves every task that asked before it)."""
        if label_selector and REQUEST_LABEL in label_selector:
            return self._client.snapshots_now(label_selector, since)  # one request's own label: nothing to share
        return self._reads.snapshots_now(label_selector, since)

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """The run's reads, read after this call began (shared: the series and the snapshots outside any series, each
        read serving the servers asking at once)."""
        return self._reads.server_snapshots_now(server_id, labels, since)

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """The run's reads, read after this call began (shared: one read serves several servers asking at once)."""
        return self._reads.series(server_id, labels)

    def unlabelled_managed(self) -> list[dict]:
        """The run's reads (shared: listed once)."""
        return self._reads.unlabelled_managed()

    def backups(self, server_id: int, since: datetime | None = None) -> list[dict]:
        """The run's reads (shared: one listing of the project's backups, begun no earlier than the snapshot listing
        this task planned from, serves every task whose listing began before it: never more reads of backups than of
        snapshots)."""
        return self._reads.backups(server_id, since, self._snapshots_read_at)

    def convert_backup(self, image_id: int, description: str, labels: dict) -> dict:
        """The client."""
        return self._client.convert_backup(image_id, description, labels)

    def running_actions(self, server_id: int) -> list[dict]:
        """The run's reads (shared: listed once, then followed by polling the locking actions)."""
        return self._reads.running_actions(server_id)

    def pricing(self) -> dict:
        """The run's reads: read once per run."""
        return self._reads.pricing()

    def action(self, action_id: int) -> dict:
        """The run's reads: polled by the action poller, in batches."""
        return self._reads.action(action_id)

    def image(self, image_id: int) -> dict | None:
        """The first read of a snapshot this task created: the run's reads (shared: by its request's label, with the
        tasks asking at once, paid from the run's budget). Any other: the client, fresh (a read again is a poll of a
        wait: the run's ``_pacing.Pacing`` pays for it)."""
        request_id = self._created.pop(image_id, None)
        if request_id is not None:
            return self._reads.new_snapshot(image_id, request_id)
        return self._client.image(image_id)

    def create_snapshot(self, server_id: int, description: str, labels: dict) -> tuple[dict, dict]:
        """The client; a ``locked`` answer means the running actions as the run's reads know them are stale."""
        try:
            action, image = self._client.create_snapshot(server_id, description, labels)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._reads.forget_running(server_id)
            raise
        if labels.get(REQUEST_LABEL):
            self._created[image["id"]] = labels[REQUEST_LABEL]
        return action, image

    def delete_image(self, image_id: int) -> None:
        """The client."""
        self._client.delete_image(image_id)

    def protect_image(self, image_id: int) -> dict:
        """The client."""
        return self._client.protect_image(image_id)

    def label_server(self, server_id: int, labels: dict) -> dict:
        """The client."""
        return self._client.label_server(server_id, labels)

    def server_action(self, server_id: int, command: str) -> dict:
        """The client; a ``locked`` answer means the running actions as the run's reads know them are stale."""
        try:
            return self._client.server_action(server_id, command)
        except Exception as exc:
            if error_code(exc) == "locked":
                self._reads.forget_running(server_id)
            raise
