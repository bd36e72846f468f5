# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _locks: waiting for a server's running actions to end."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._locks import LockReport, LockTimedOut, wait_until_unlocked
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock, make_action


class Fetch:
    """``fetch_running`` answering from a script; the last answer repeats."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def steady():
    return Backoff(initial=2.0, factor=1.0, cap=2.0, jitter=0.0)


BACKUP = make_action(12, command="create_image", progress=40)
REBUILD = make_action(13, command="rebuild", progress=5)


def test_returns_at_once_when_nothing_runs():
    clock = FakeClock()
    report = LockReport()
    fetch = Fetch([])
    wait_until_unlocked(fetch, "web1", Deadline(60, clock=clock), report, sleep=clock.sleep, backoff=steady())
    assert fetch.calls == 1
    assert clock.sleeps == []
    assert report.waited == 0
    assert report.seen == {}


def test_waits_until_the_actions_clear_and_records_them():
    clock = FakeClock()
    report = LockReport()
    fetch = Fetch([BACKUP], [BACKUP, REBUILD], [REBUILD], [])
    wait_until_unlocked(fetch, "web1", Deadline(60, clock=clock), report, sleep=clock.sleep, backoff=steady())
    assert fetch.calls == 4
    assert clock.sleeps == [2.0, 2.0, 2.0]
    assert report.waited == pytest.approx(6.0)
    assert sorted(report.seen) == [12, 13]


def test_waited_accumulates_over_several_waits():
    clock = FakeClock()
    report = LockReport()
    wait_until_unlocked(Fetch([BACKUP], []), "web1", Deadline(60, clock=clock), report, sleep=clock.sleep, backoff=steady())
    wait_until_unlocked(Fetch([REBUILD], [REBUILD], []), "web1", Deadline(60, clock=clock), report, sleep=clock.sleep, backoff=steady())
    assert report.waited == pytest.approx(6.0)
    assert sorted(report.seen) == [12, 13]


def test_given_actions_skip_the_first_fetch():
    clock = FakeClock()
    report = LockReport()
    fetch = Fetch([])
    wait_until_unlocked(fetch, "web1", Deadline(60, clock=clock), report, sleep=clock.sleep, backoff=steady(), actions=[BACKUP])
    assert fetch.calls == 1
    assert clock.sleeps == [2.0]
    assert list(report.seen) == [12]


def test_given_empty_actions_return_without_fetching():
    clock = FakeClock()
    fetch = Fetch([BACKUP])
    wait_until_unlocked(fetch, "web1", Deadline(60, clock=clock), LockReport(), sleep=clock.sleep, actions=[])
    assert fetch.calls == 0
    assert clock.sleeps == []


def test_times_out_naming_the_blocking_action():
    clock = FakeClock()
    report = LockReport()
    fetch = Fetch([BACKUP])
    with pytest.raises(LockTimedOut) as raised:
        wait_until_unlocked(fetch, "web1", Deadline(5, clock=clock), report, sleep=clock.sleep, backoff=steady())
    message = str(raised.value)
    assert "server web1 was still locked after waiting 5 s (lock_timeout)" in message
    assert "action 12 (create_image" in message
    assert "on_locked=skip" in message
    assert raised.value.actions == [BACKUP]
    assert clock.slept == 5
    assert report.waited == pytest.approx(5.0)
    assert list(report.seen) == [12]


def test_timeout_names_the_last_seen_actions():
    clock = FakeClock()
    fetch = Fetch([BACKUP], [REBUILD])
    with pytest.raises(LockTimedOut) as raised:
        wait_until_unlocked(fetch, "db1", Deadline(3, clock=clock), LockReport(), sleep=clock.sleep, backoff=steady())
    assert "action 13 (rebuild" in str(raised.value)
    assert "db1" in str(raised.value)


def test_zero_deadline_with_running_action_fails_without_sleeping():
    clock = FakeClock()
    report = LockReport()
    with pytest.raises(LockTimedOut):
        wait_until_unlocked(Fetch([BACKUP]), "web1", Deadline(0, clock=clock), report, sleep=clock.sleep)
    assert clock.sleeps == []
    assert report.waited == 0


def test_lock_report_keeps_the_last_reading_of_each_action():
    report = LockReport()
    report.record([BACKUP, REBUILD])
    report.record([dict(BACKUP, progress=80)])
    assert [(action["id"], action["progress"]) for action in report.seen.values()] == [(12, 80), (13, 5)]
