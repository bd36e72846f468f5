# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A sign of life during a long fleet task: one short line at a steady pace, read from the tasks' own state.

``12 of 200 done (1 failed) after 4m30s: 180 snapshots being made, 8 waiting for a lock (longest 4m)``
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock

# Seconds between two lines unless the task says otherwise (progress_interval): steady, and few enough for AWX's events.
DEFAULT_PROGRESS_INTERVAL = 30


def duration(seconds: float) -> str:
    """``45s``, ``4m``, ``4m30s``, ``1h5m``: short, for people."""
    seconds = int(max(0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


class FleetProgress:
    """Where each server of a fleet task is: working (its ``SnapshotTask``, read as it goes) or done."""

    def __init__(self, total: int, clock: Clock) -> None:
        self._total = total
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._working: dict[str, Any] = {}
        self._done = 0
        self._failed = 0

    def begin(self, server: str, task: Any) -> None:
        """The server's task has started."""
        with self._lock:
            self._working[server] = task

    def end(self, server: str, failed: bool) -> None:
        """The server's task has ended."""
        with self._lock:
            self._working.pop(server, None)
            self._done += 1
            self._failed += int(failed)

    def line(self) -> str:
        """Where the fleet stands now, in one line."""
        now = self._clock()
        with self._lock:
            tasks = list(self._working.values())
            done, failed = self._done, self._failed
        waiting = [now - task.lock.waiting_since for task in tasks if task.lock.waiting_since is not None]
        made = sum(1 for task in tasks if task.lock.waiting_since is None and task.state.snapshot is not None)
        parts = [f"{made} snapshot{'' if made == 1 else 's'} being made"] if made else []
        if waiting:
            parts.append(f"{len(waiting)} waiting for a lock (longest {duration(max(waiting))})")
        others = len(tasks) - made - len(waiting)
        if others:
            parts.append(f"{others} starting or powering")
        head = f"{done} of {self._total} done" + (f" ({failed} failed)" if failed else "") + f" after {duration(now - self._started)}"
        return head + (": " + ", ".join(parts) if parts else "")


class ProgressTicker:
    """``with ProgressTicker(progress, report, interval):`` reports ``progress.line()`` every ``interval`` seconds
    from a thread of its own until the block ends; an interval of 0 reports nothing."""

    def __init__(self, progress: FleetProgress, report: Callable[[str], None] | None, interval: float) -> None:
        self._progress = progress
        self._report = report
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ProgressTicker:
        if self._report is not None and self._interval > 0:
            self._thread = threading.Thread(target=self._tick, name="lockaware-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _tick(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._report(self._progress.line())  # type: ignore[misc]
            except Exception:  # pylint: disable=broad-exception-caught
                return  # a sign of life must never fail the task
