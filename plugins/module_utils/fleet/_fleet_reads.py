# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads of a fleet run's tasks, chosen once per run: shared by many servers, or direct for a fleet of one.

A fleet of hundreds of servers would otherwise spend most of the project's request budget (3600 an hour) on
looking up each server, listing the snapshots once per server and polling each action on its own: its reads are
shared (``_shared_reads.SharedReads``). A single ``server`` is a fleet of one and takes the same path; with nobody to
share with, its reads go straight to the API (``_direct_reads.DirectReads``), as cheap as they can be. Both read
alike (``FleetReads``), and both poll the actions being waited for with the action poller, paid from the run's budget.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._direct_reads import DirectReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# From this many servers on, reads are shared: one listing of all servers is cheaper than looking each one up.
SHARE_FROM = 2


class FleetReads(Protocol):
    """The reads a fleet's task makes through the run (``_fleet_task_api.FleetTaskApi``); thread-safe."""

    def server(self, name_or_id: str) -> dict:
        """The server a value means (``_servers.pick_server``)."""

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """The snapshots carrying the selector's labels (newest first, back to ``since``), read after this call began."""

    def read_at(self, key: Any) -> float | None:
        """When the listing under ``key`` (a label selector, or ``_listing_cache.BACKUPS``) cached now began; None
        when none is cached."""

    def backups(self, server_id: int, since: datetime | None = None, not_before: float | None = None) -> list[dict]:
        """The server's automatic backups, read after this call began (or at ``not_before``, a time of ``read_at``, or later)."""

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """The snapshots created from the server that carry ``labels`` (from ``since`` on), read after this call began."""

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """A server's series, read after this call began."""

    def unlabelled_managed(self) -> list[dict]:
        """The snapshots of earlier versions that lack the server label."""

    def running_actions(self, server_id: int) -> list[dict]:
        """The actions running on a server (what locks it); repeated looks are paid from the run's budget."""

    def forget_running(self, server_id: int) -> None:
        """Read this server's running actions anew on the next call (a ``locked`` answer showed they are stale)."""

    def pricing(self) -> dict:
        """The project's prices: one read for the whole run; a failure is kept too."""

    def action(self, action_id: int) -> dict:
        """An action, polled with every other action some task waits for (``_action_poller.ActionPoller``)."""

    def new_snapshot(self, image_id: int, request_id: str) -> dict | None:
        """A snapshot a task created, read once its action ended (None: it no longer exists), paid from the run's
        budget; ``request_id``: its create request's label (``_new_snapshot_reads``)."""


def fleet_reads(api: HcloudApi, fleet_size: int, budget: RequestBudget, clock: Clock) -> FleetReads:
    """The reads of a run of ``fleet_size`` servers through ``api``, every wait's request paid from ``budget``."""
    if fleet_size >= SHARE_FROM:
        return SharedReads(api, budget, clock)
    return DirectReads(api, budget, clock)
