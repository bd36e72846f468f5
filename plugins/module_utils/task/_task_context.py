# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every step of the snapshot task works with, built once per task: the API, the server, the options, the
clock, the run's pacing of its waits, the lock report and the deadlines; and the reads of the server's snapshots, the series read once.
"""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._matching import is_live_snapshot_of, label_selector
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._protocol import SnapshotApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._series import read_series
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import doing
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._planner import listing_window
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Clock, Deadline


@dataclass
class TaskContext:
    """One server's task: ``server`` is set once it is looked up (and follows what the power recovery read)."""

    api: SnapshotApi
    options: SnapshotOptions
    check_mode: bool
    clock: Clock
    pacing: Pacing = field(default_factory=Pacing)  # a fleet's run hands every task its one pacing (``_fleet``)
    lock: LockReport = field(default_factory=LockReport)
    server: dict = field(default_factory=dict)
    _series: list[dict] | None = field(default=None, init=False, repr=False)  # read once this run's snapshot was made (``series``)

    @property
    def name(self) -> str:
        """The server's name, for messages."""
        return self.server["name"]

    def deadline(self, seconds: float | None) -> Deadline:
        """A deadline ``seconds`` from now on the task's clock."""
        return Deadline(seconds, clock=self.clock)

    def lock_deadline(self) -> Deadline:
        """How long a wait for the server's lock may take from now (``lock_timeout``)."""
        return self.deadline(self.options.lock_timeout)

    def listing(self) -> list[dict]:
        """The server's snapshots the planner looks at: label-selected, back to the listing window, live ones."""
        with doing(f"listing the snapshots of server {self.name}"):
            since = listing_window(self.options, self.server, self.clock.now())
            images = self.api.snapshots(label_selector(self.options.labels), since)
        return [image for image in images if is_live_snapshot_of(image, self.server["id"])]

    def series(self) -> list[dict]:
        """The series as rotation reads it, read once this run's snapshot was made, then kept.

        The wait for the new snapshot reads it as soon as the snapshot's action ended (its status and size come
        with it, shared with the servers asking at once, instead of a ``GET /images/{id}`` each); rotation reads
        the same.
        """
        if self._series is None:
            with doing(f"listing the snapshot series of server {self.name} for rotation"):
                self._series = read_series(self.api, self.server["id"], self.options.labels)
        return self._series

    def series_read(self) -> list[dict]:
        """The live snapshots of the server among the series, if it was read (``series``); none if not."""
        return [image for image in self._series or [] if is_live_snapshot_of(image, self.server["id"])]
