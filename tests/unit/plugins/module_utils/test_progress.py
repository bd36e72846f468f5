# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The progress line of a fleet task, and the ticker that prints it."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._progress import FleetProgress, ProgressTicker, duration
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def task(waiting_since=None, snapshot=None):
    return SimpleNamespace(lock=LockReport(waiting_since=waiting_since), state=SimpleNamespace(snapshot=snapshot))


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (45.9, "45s"), (60, "1m"), (270, "4m30s"), (3600, "1h"), (3900, "1h5m"), (-3, "0s")])
def test_durations_are_short(seconds, text):
    assert duration(seconds) == text


def test_the_line_counts_done_failed_being_made_and_waiting_with_the_longest_wait():
    clock = Clock()
    progress = FleetProgress(200, clock)
    for index in range(12):
        progress.begin(f"done{index}", task())
        progress.end(f"done{index}", failed=index == 0)
    for index in range(3):
        progress.begin(f"made{index}", task(snapshot={"id": index}))
    progress.begin("locked1", task(waiting_since=clock.now - 10))
    progress.begin("locked2", task(waiting_since=clock.now - 240, snapshot=None))
    progress.begin("starting", task())
    clock.now += 270
    assert progress.line() == "12 of 200 done (1 failed) after 4m30s: 3 snapshots being made, 2 waiting for a lock (longest 8m30s), 1 starting or powering"


def test_a_fleet_with_nothing_working_says_only_how_far_it_is():
    clock = Clock()
    progress = FleetProgress(2, clock)
    progress.begin("web1", task(snapshot={"id": 1}))
    assert progress.line() == "0 of 2 done after 0s: 1 snapshot being made"
    progress.end("web1", failed=False)
    assert progress.line() == "1 of 2 done after 0s"


def test_the_ticker_reports_at_its_interval_until_the_block_ends():
    lines, enough = [], threading.Event()

    def report(line):
        lines.append(line)
        if len(lines) >= 3:
            enough.set()

    progress = FleetProgress(1, Clock())
    with ProgressTicker(progress, report, 0.01):
        assert enough.wait(5)
    count = len(lines)
    enough.wait(0.05)
    assert len(lines) == count  # stopped with the block
    assert lines[0] == "0 of 1 done after 0s"


@pytest.mark.parametrize(("report", "interval"), [(None, 0.01), (print, 0)])
def test_no_report_or_a_zero_interval_starts_no_thread(report, interval):
    before = threading.active_count()
    with ProgressTicker(FleetProgress(1, Clock()), report, interval) as ticker:
        assert threading.active_count() == before
    assert ticker._thread is None  # pylint: disable=protected-access


def test_a_failing_report_never_fails_the_task():
    def report(_line):
        raise OSError("display is gone")

    with ProgressTicker(FleetProgress(1, Clock()), report, 0.01):
        threading.Event().wait(0.05)
