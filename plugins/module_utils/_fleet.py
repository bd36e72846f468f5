# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot many servers from one module call, concurrently: one process instead of one per server."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.lockaware.hcloud.plugins.module_utils._shared_reads import FleetTaskApi, SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils._snapshot_task import SnapshotTask, TaskFailed

OUTCOMES = ("created", "adopted", "unchanged", "skipped", "deleted", "failed")


class FleetRun:
    """Run one ``SnapshotTask`` per server, at most ``concurrency`` at a time.

    Each task writes through its own API connection; reads that every task makes (servers, snapshots, running
    actions, the actions being waited for) are shared, so a large fleet costs a few requests per server.
    """

    def __init__(self, connect, options, servers, concurrency=256, check_mode=False, sleep=time.sleep):
        self._connect = connect
        self._options = options
        self._servers = list(dict.fromkeys(servers))
        self._concurrency = max(1, concurrency)
        self._check_mode = check_mode
        self._sleep = sleep
        self._shared = SharedReads(connect())

    def _one(self, server):
        started = time.monotonic()
        try:
            api = FleetTaskApi(self._connect(), self._shared)
            task = SnapshotTask(api, dataclasses.replace(self._options, server=server), check_mode=self._check_mode, sleep=self._sleep)
            result = task.run()
        except TaskFailed as failed:
            result = dict(failed.result(), failed=True, outcome="failed")
            result.pop("exception", None)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            result = {"failed": True, "outcome": "failed", "changed": False, "msg": f"server {server}: {type(exc).__name__}: {exc}"}
        result["server"] = server
        result["seconds"] = round(time.monotonic() - started, 1)
        result.pop("diff", None)
        return result

    def run(self):
        """Every server's result, in the order given, and a summary."""
        if not self._servers:
            return {"changed": False, "results": [], "summary": dict.fromkeys(OUTCOMES, 0), "msg": "no servers given"}
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(self._servers))) as pool:
            results = list(pool.map(self._one, self._servers))
        summary = dict.fromkeys(OUTCOMES, 0)
        for result in results:
            summary[result["outcome"]] += 1
        failed = [result["server"] for result in results if result["outcome"] == "failed"]
        msg = ", ".join(f"{count} {name}" for name, count in summary.items() if count) + f" of {len(results)} servers"
        if failed:
            msg += f"; failed: {', '.join(failed)}"
        return {"changed": any(result.get("changed") for result in results), "results": results, "summary": summary, "failed_servers": failed, "msg": msg}
