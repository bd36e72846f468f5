# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads of a fleet of one (a single ``server``): nobody to share with, straight to the API (``_fleet_reads``)."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.retention._pricing import PricingOnce
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import ActionPoller
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# A fleet of one reads its server's running actions again once the last read is this old (and the budget allows).
RUNNING_REREAD = 1.0


class DirectReads:
    """The server by name, its own running actions, its own actions: as cheap as they can be; thread-safe.

    Its waits' repeated reads (the running actions, the actions being waited for) are paid from ``budget``, the
    run's ``RequestBudget``: when it is spent, the task sees the last answer until it refills.
    """

    def __init__(self, api: HcloudApi, budget: RequestBudget, clock: Clock, reread: float = RUNNING_REREAD) -> None:
        self._api = api
        self._budget = budget
        self._clock = clock
        self._reread = reread
        self._lock = threading.Lock()
        self._running: dict = {}  # server ID -> (read at, its running actions)
        self._pricing = PricingOnce(api)
        self._actions = ActionPoller(api, budget, clock)

    def server(self, name_or_id: str) -> dict:
        """Looked up by name (and ID)."""
        return self._api.server(str(name_or_id))

    def snapshots_now(self, label_selector: str | None = None, since: datetime | None = None) -> list[dict]:
        """Read now."""
        return self._api.snapshots_now(label_selector, since)

    def read_at(self, key: Any) -> float | None:  # pylint: disable=unused-argument
        """None: nothing is cached."""
        return None

    def backups(self, server_id: int, since: datetime | None = None, not_before: float | None = None) -> list[dict]:  # pylint: disable=unused-argument
        """Read now: the server's own backups."""
        return self._api.backups(server_id, since)

    def server_snapshots_now(self, server_id: int, labels: dict, since: datetime | None = None) -> list[dict]:
        """Read now: one listing of the snapshots carrying ``labels``."""
        return self._api.server_snapshots_now(server_id, labels, since)

    def series(self, server_id: int, labels: dict) -> list[dict]:
        """Read now, its own label-selected read."""
        return self._api.series(server_id, labels)

    def unlabelled_managed(self) -> list[dict]:
        """Read now."""
        return self._api.unlabelled_managed()

    def running_actions(self, server_id: int) -> list[dict]:
        """The server's own running actions: a repeat once the last read is ``reread`` old and the budget allows."""
        with self._lock:
            read_at, running = self._running.get(server_id, (None, []))
            if read_at is None or (self._clock() - read_at >= self._reread and self._budget.take()):
                if read_at is None:
                    self._budget.spend(1)
                running = self._api.running_actions(server_id)
                self._running[server_id] = (self._clock(), running)
        return running

    def forget_running(self, server_id: int) -> None:
        """Read this server's running actions anew on the next call."""
        with self._lock:
            self._running.pop(server_id, None)

    def pricing(self) -> dict:
        """One read for the whole run (``PricingOnce``)."""
        return self._pricing.pricing()

    def action(self, action_id: int) -> dict:
        """Polled by the action poller (a single action is read on its own)."""
        return self._actions.action(action_id)

    def new_snapshot(self, image_id: int, request_id: str) -> dict | None:  # pylint: disable=unused-argument
        """``GET /images/{id}``, paid from the run's budget (nobody to read it with)."""
        self._budget.spend(1)
        return self._api.image(image_id)
