# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot servers from one module call, concurrently: one process instead of one per server.

A single ``server`` is a fleet of one: the same path, the same reads, the same requests as ``servers: [it]``.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._pool import MAX_CONNECTIONS, bound_connections
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_reads import fleet_reads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_task_api import FleetTaskApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._progress import DEFAULT_PROGRESS_INTERVAL, FleetProgress, ProgressTicker
from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import fleet_member_view, fleet_view, server_diff
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._action_poller import POLL_TICK
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import DEFAULT_POLL_BUDGET, RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import SYSTEM_CLOCK, Clock


class FleetRun:
    """Run one ``SnapshotTask`` per server, at most ``concurrency`` at a time.

    Reads that every task makes (servers, snapshots, running actions, the actions being waited for) are shared,
    so a large fleet costs a few requests per server. Every task reads and writes through one client, whose
    connection pool is bounded (``_pool``): memory and connections do not grow with the fleet.
    """

    def __init__(
        self,
        connect: Callable[[], HcloudApi],
        options: SnapshotOptions,
        servers: list[str],
        concurrency: int = 256,
        check_mode: bool = False,
        clock: Clock = SYSTEM_CLOCK,
        poll_budget: float = DEFAULT_POLL_BUDGET,
        report: Callable[[str], None] | None = None,
        progress_interval: float = DEFAULT_PROGRESS_INTERVAL,
    ) -> None:
        self._options = options
        self._servers = list(dict.fromkeys(servers))
        self._concurrency = max(1, concurrency)
        self._check_mode = check_mode
        self._clock = clock
        # A line every progress_interval seconds through report (the action plugin's display), while servers work.
        self._progress = FleetProgress(len(self._servers), clock)
        self._report, self._progress_interval = report, progress_interval
        api = connect()
        bound_connections(getattr(api, "client", None), min(MAX_CONNECTIONS, self._concurrency))
        # One budget for every wait of the run: the lock polls, action polls and re-listings of all its servers.
        rate_limit = getattr(api, "rate_limit", None)
        budget = RequestBudget(poll_budget, rate_limit, clock)
        # The waits look at the shared answers every tick; the action poller alone decides when to ask the API.
        self._pacing = Pacing(rate_limit, budget, tick=POLL_TICK)
        # The run's one client, and its reads: shared by the servers, or direct for a fleet of one (chosen here, once).
        self._client = api
        self._reads = fleet_reads(api, len(self._servers), budget, clock)

    def _outcome(self, server: str) -> dict | TaskFailed:
        """The server's result, or its failure (with the result so far)."""
        task = SnapshotTask(
            FleetTaskApi(self._client, self._reads), dataclasses.replace(self._options, server=server), self._check_mode, self._clock, self._pacing
        )
        self._progress.begin(server, task)
        try:
            result = task.run()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            failed = TaskFailed.of(exc, f"server {server}")
            failed.partial.setdefault("changed", False)
            self._progress.end(server, failed=True)
            return failed
        self._progress.end(server, failed=False)
        return result

    def _timed(self, server: str) -> tuple[str, dict | TaskFailed, float]:
        started = self._clock()
        outcome = self._outcome(server)
        return server, outcome, self._clock() - started

    def outcomes(self) -> list[tuple[str, dict | TaskFailed, float]]:
        """Every server's outcome and seconds, in the order given."""
        if not self._servers:
            return []
        workers = min(self._concurrency, len(self._servers))
        with ProgressTicker(self._progress, self._report, self._progress_interval), ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(self._timed, self._servers))

    def run(self) -> dict:
        """With ``servers``: every server's result, in the order given, and a summary."""
        results, diffs = [], []
        for server, outcome, seconds in self.outcomes():
            failed = isinstance(outcome, TaskFailed)
            result = outcome.result() if isinstance(outcome, TaskFailed) else outcome
            results.append(fleet_member_view(result, server, seconds, failed=failed))
            if "diff" in result:
                diffs.append(server_diff(server, result["diff"]))
        view = fleet_view(results)
        if diffs:
            view["diff"] = diffs
        return view

    def run_one(self) -> dict:
        """With ``server``: the one server's result; raises its ``TaskFailed``."""
        ((_server, outcome, _seconds),) = self.outcomes()
        if isinstance(outcome, TaskFailed):
            raise outcome
        return outcome
