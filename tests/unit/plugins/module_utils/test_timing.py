# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _timing: Deadline, Backoff, sleep_until_next and the clock."""

from __future__ import annotations

import random

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import (
    ACTION_PATIENCE,
    READ_PATIENCE,
    Backoff,
    Clock,
    Deadline,
    create_retry_backoff,
    poll_backoff,
    read_retry_backoff,
    sleep_until_next,
)
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock

# Backoff ------------------------------------------------------------------------------------------------


def test_backoff_without_jitter_grows_by_factor_up_to_cap():
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    assert [backoff.next_delay() for _index in range(7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_backoff_factor_one_is_constant():
    backoff = Backoff(initial=3.0, factor=1.0, cap=3.0, jitter=0.0)
    assert [backoff.next_delay() for _index in range(4)] == [3.0, 3.0, 3.0, 3.0]


def test_backoff_default_polling_rhythm():
    backoff = Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.0)
    delays = [backoff.next_delay() for _index in range(8)]
    assert delays[:4] == pytest.approx([1.0, 1.5, 2.25, 3.375])
    assert delays[-1] == 10.0


@pytest.mark.parametrize("seed", range(20))
def test_backoff_jitter_stays_within_bounds_and_cap(seed):
    backoff = Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.2, rng=random.Random(seed))
    for attempt in range(30):
        base = min(10.0, 1.0 * 1.5**attempt)
        delay = backoff.next_delay()
        assert base * 0.8 <= delay <= base * 1.2
        assert delay <= 10.0 * 1.2


def test_backoff_jitter_actually_varies():
    backoff = Backoff(initial=5.0, factor=1.0, cap=5.0, jitter=0.2, rng=random.Random(1))
    delays = {backoff.next_delay() for _index in range(20)}
    assert len(delays) > 1
    assert all(4.0 <= delay <= 6.0 for delay in delays)


def test_backoff_is_reproducible_with_a_seeded_rng():
    first = Backoff(rng=random.Random(1))
    second = Backoff(rng=random.Random(1))
    assert [first.next_delay() for _index in range(10)] == [second.next_delay() for _index in range(10)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial": 0},
        {"initial": -1.0},
        {"factor": 0.5},
        {"initial": 5.0, "cap": 4.0},
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"jitter": 1.5},
    ],
)
def test_backoff_rejects_invalid_parameters(kwargs):
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**kwargs)


def test_backoff_accepts_boundary_parameters():
    backoff = Backoff(initial=2.0, factor=1.0, cap=2.0, jitter=0.0)
    assert backoff.next_delay() == 2.0


# Deadline -----------------------------------------------------------------------------------------------


def test_deadline_remaining_and_expired_follow_the_clock():
    clock = FakeClock()
    deadline = Deadline(10, clock=clock)
    assert deadline.remaining() == 10
    assert not deadline.expired()
    clock.sleep(4)
    assert deadline.remaining() == 6
    assert deadline.elapsed() == 4
    assert not deadline.expired()
    clock.sleep(6)
    assert deadline.remaining() == 0
    assert deadline.expired()
    clock.sleep(5)
    assert deadline.remaining() == 0.0
    assert deadline.expired()
    assert deadline.elapsed() == 15


def test_deadline_clamp_shortens_to_remaining():
    clock = FakeClock()
    deadline = Deadline(10, clock=clock)
    assert deadline.clamp(3) == 3
    clock.sleep(8)
    assert deadline.clamp(3) == 2
    clock.sleep(5)
    assert deadline.clamp(3) == 0


def test_deadline_zero_is_expired_at_once():
    deadline = Deadline(0, clock=FakeClock())
    assert deadline.expired()
    assert deadline.remaining() == 0


def test_deadline_none_never_expires():
    clock = FakeClock()
    deadline = Deadline(None, clock=clock)
    clock.sleep(10**9)
    assert deadline.remaining() is None
    assert not deadline.expired()
    assert deadline.clamp(42.0) == 42.0
    assert deadline.elapsed() == 10**9


def test_deadline_records_seconds_and_start():
    clock = FakeClock(start=500.0)
    deadline = Deadline(30, clock=clock)
    assert deadline.seconds == 30
    assert deadline.started == 500.0


# sleep_until_next ---------------------------------------------------------------------------------------


def test_sleep_until_next_sleeps_the_backoff_delay():
    clock = FakeClock()
    deadline = Deadline(100, clock=clock)
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    assert sleep_until_next(backoff, deadline, clock.sleep)
    assert sleep_until_next(backoff, deadline, clock.sleep)
    assert clock.sleeps == [1.0, 2.0]


def test_sleep_until_next_honours_at_least():
    clock = FakeClock()
    deadline = Deadline(100, clock=clock)
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    assert sleep_until_next(backoff, deadline, clock.sleep, at_least=7.5)
    assert clock.sleeps == [7.5]


def test_sleep_until_next_never_sleeps_past_the_deadline():
    clock = FakeClock()
    deadline = Deadline(5, clock=clock)
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    results = [sleep_until_next(backoff, deadline, clock.sleep) for _index in range(6)]
    assert results == [True, True, True, False, False, False]
    assert clock.sleeps == [1.0, 2.0, 2.0]
    assert clock.slept == 5


def test_sleep_until_next_clamps_at_least_to_the_deadline():
    clock = FakeClock()
    deadline = Deadline(3, clock=clock)
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    assert sleep_until_next(backoff, deadline, clock.sleep, at_least=60)
    assert clock.sleeps == [3]
    assert not sleep_until_next(backoff, deadline, clock.sleep, at_least=60)
    assert clock.sleeps == [3]


def test_sleep_until_next_returns_false_without_sleeping_when_expired():
    clock = FakeClock()
    deadline = Deadline(0, clock=clock)
    backoff = Backoff(jitter=0.0)
    assert sleep_until_next(backoff, deadline, clock.sleep) is False
    assert clock.sleeps == []


@pytest.mark.parametrize("seed", range(10))
def test_sleep_until_next_with_jitter_total_never_exceeds_deadline(seed):
    clock = FakeClock()
    deadline = Deadline(37, clock=clock)
    backoff = Backoff(rng=random.Random(seed))
    while sleep_until_next(backoff, deadline, clock.sleep):
        pass
    assert clock.slept == pytest.approx(37)
    assert all(delay <= 12.0 for delay in clock.sleeps)


def test_backoff_stays_at_the_cap_however_long_it_runs():
    backoff = Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0)
    delays = [backoff.next_delay() for _index in range(5000)]
    assert delays[-1] == 10.0


def test_clock_is_monotonic_seconds_sleep_and_wall_time_in_one():
    fake = FakeClock()
    clock = Clock(monotonic=fake, sleep=fake.sleep, now=fake.now)
    clock.sleep(2.5)
    assert clock() == fake.start + 2.5
    assert clock.now() == fake.now()
    deadline = Deadline(10, clock=clock)
    clock.sleep(4)
    assert deadline.remaining() == 6


def test_the_presets_poll_gently_and_retry_reads_faster():
    poll, read, create = poll_backoff(), read_retry_backoff(), create_retry_backoff()
    assert (poll.initial, poll.factor, poll.cap, poll.jitter) == (1.0, 1.5, 10.0, 0.2)
    assert (read.initial, read.factor, read.cap) == (0.5, 2.0, 8.0)
    assert (create.initial, create.factor, create.cap) == (1.0, 2.0, 10.0)
    assert ACTION_PATIENCE == READ_PATIENCE == 120
