# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _crowd.CrowdEstimate and the budget it divides: several runs sharing one project's bucket.

Each simulated run has its own ``RateLimitObserver`` and ``RequestBudget``, as separate processes (AWX job slices)
do; they share nothing but the project's bucket, whose headers every response carries. Time is a FakeClock moved in
steps of a tenth of a second; every run polls as fast as its budget lets it.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._crowd import SETTLED, CrowdEstimate
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._ratelimit import RateLimitObserver
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import BURST, RequestBudget
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock

LIMIT = 3600
SHARE = 0.25
RATE = SHARE * LIMIT / 3600.0  # the one budget all runs together keep to: 0.25 requests a second
STEP = 0.1
WRITES = 15  # requests each run sends at its start, paid from no budget (the listing, the creates)
# Requests a replay may find beyond one budget: the headers' Remaining is a whole number (floored), so the first
# estimates, made from a few answers, are off by a little; the runs' first bursts are divided by them.
SLACK = 3.0
WAVE_WRITES = 60  # a slice's next 15 servers: their creates, reads, rotation


class ProjectBucket:
    """The API's bucket of one project (or one token): ``LIMIT`` an hour, refilled continuously, floor in the header."""

    def __init__(self, clock, tokens=float(LIMIT)):
        self.clock = clock
        self.tokens = tokens
        self.at = clock()

    def answer(self):
        now = self.clock()
        self.tokens = min(float(LIMIT), self.tokens + (now - self.at) * LIMIT / 3600.0)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
        return SimpleNamespace(headers={"RateLimit-Limit": str(LIMIT), "RateLimit-Remaining": str(math.floor(self.tokens))})


class Run:
    """One process: its own observer and budget, polling whenever its budget pays.

    With ``waves`` (period, offset) it sends ``WAVE_WRITES`` more writes every ``period`` seconds from ``offset`` on, as
    a slice does when its next servers start and its ended ones rotate: slices out of phase write in turn."""

    def __init__(self, clock, bucket, shared=True, waves=None):
        self.bucket = bucket
        self.observer = RateLimitObserver(clock)
        self.budget = RequestBudget(SHARE, self.observer if shared else None, clock)
        self.polls = []
        self.writes = WRITES
        self.start = clock()
        self.waves = waves
        self.next_wave = None if waves is None else self.start + waves[1]

    def step(self, clock):
        if self.next_wave is not None and clock() >= self.next_wave:
            self.writes += WAVE_WRITES
            self.next_wave += self.waves[0]
        if self.writes:
            self.writes -= 1
            self.observer.observe(self.bucket.answer())
        elif self.budget.take(1):
            self.polls.append(clock())
            self.observer.observe(self.bucket.answer())


def run_together(runs, clock, seconds, other_client_rate=0.0, other_bucket=None):
    """Step every run (and another client spending ``other_client_rate`` a second) for ``seconds``."""
    owed = 0.0
    for _step in range(int(seconds / STEP)):
        for run in runs:
            run.step(clock)
        owed += other_client_rate * STEP
        while owed >= 1:
            owed -= 1
            other_bucket.answer()
        clock.sleep(STEP)


def lowest_balance(times, rate, burst):
    """The fewest requests one token bucket (``burst``, refilled at ``rate``, full at the first time) holds after paying
    for each request at ``times``: below 0, the requests went beyond it (as reliability scenario 20 replays its log)."""
    tokens, last, lowest = burst, times[0], burst
    for at in times:
        tokens = min(burst, tokens + (at - last) * rate) - 1
        last = at
        lowest = min(lowest, tokens)
    return lowest


def runs_on_one_bucket(count, seconds, shared=True):
    """``count`` runs sharing one project's bucket for ``seconds``: the runs and the bucket."""
    clock = FakeClock()
    bucket = ProjectBucket(clock)
    runs = [Run(clock, bucket, shared) for _run in range(count)]
    run_together(runs, clock, seconds)
    return runs, bucket


def all_polls(runs):
    return sorted(at for run in runs for at in run.polls)


def test_alone_the_crowd_is_one_even_with_the_bucket_below_full():
    clock = FakeClock()
    runs = [Run(clock, ProjectBucket(clock, tokens=2000.0))]
    run_together(runs, clock, 120)
    assert runs[0].observer.crowd() == pytest.approx(1.0, abs=0.1)
    polls = all_polls(runs)
    assert len(polls) == pytest.approx(BURST + RATE * 120, abs=3)


@pytest.mark.parametrize("count", [2, 4, 8])
def test_runs_sharing_a_project_converge_on_their_number(count):
    runs, _bucket = runs_on_one_bucket(count, 300)
    for run in runs:
        assert run.observer.crowd() == pytest.approx(count, rel=0.2)


@pytest.mark.parametrize("count", [2, 4, 8])
def test_runs_sharing_a_project_poll_within_one_budget_together(count):
    runs, bucket = runs_on_one_bucket(count, 300)
    polls = all_polls(runs)
    assert lowest_balance(polls, RATE, BURST) >= -SLACK  # one bucket: 0.25 a second, one burst of 20 (a little slack)
    assert len(polls) >= 0.8 * RATE * 300  # and they do use it: the budget is shared, not starved
    assert bucket.tokens >= (1 - SHARE) * LIMIT - count * WRITES  # the project keeps three quarters, less the writes


@pytest.mark.parametrize("period", [40.0, 80.0, 200.0])
def test_runs_writing_in_turn_still_poll_within_one_budget(period):
    """A run writing much while the others poll counts as nearly alone for a while (the minute's estimate): the
    ten minutes' estimate keeps it from polling by that later. Slices start alike, then write in turn."""
    clock = FakeClock()
    bucket = ProjectBucket(clock)
    runs = [Run(clock, bucket, waves=(period, period * (index + 1) / 4)) for index in range(4)]
    run_together(runs, clock, 900)
    polls = all_polls(runs)
    assert lowest_balance(polls, RATE, BURST) >= -SLACK
    assert len(polls) >= 0.6 * RATE * 900


@pytest.mark.parametrize("period", [40.0, 80.0, 200.0])
def test_runs_that_start_unlike_overshoot_by_at_most_half_a_burst(period):
    """The bound when runs start unlike (one sends five times the others' writes first): the first burst is divided by
    the crowd each saw in its first answers, so the heavier writer takes a larger part of it, once."""
    clock = FakeClock()
    bucket = ProjectBucket(clock)
    runs = [Run(clock, bucket, waves=(period, period * index / 4)) for index in range(4)]
    run_together(runs, clock, 900)
    polls = all_polls(runs)
    assert lowest_balance(polls, RATE, BURST) >= -BURST / 2
    assert lowest_balance([at for at in polls if at >= polls[0] + 150], RATE, BURST) >= 0  # after the start, within it


@pytest.mark.parametrize("count", [2, 4])
def test_without_sharing_the_same_runs_spend_a_budget_each(count):
    """The check above fails when each run keeps its own budget: this is what the crowd changes."""
    runs, _bucket = runs_on_one_bucket(count, 300, shared=False)
    polls = all_polls(runs)
    assert lowest_balance(polls, RATE, BURST) < -(count - 1) * RATE * 200


def test_a_burst_is_divided_too():
    clock = FakeClock()
    bucket = ProjectBucket(clock)
    runs = [Run(clock, bucket) for _run in range(4)]
    run_together(runs, clock, 120)
    clock.sleep(600)  # idle: every run's bucket fills to its cap, then all poll at once
    burst = 0
    for run in runs:
        while run.budget.take(1):
            burst += 1
    assert burst <= BURST * 1.25


def test_another_client_counts_in_the_crowd_and_is_left_more():
    clock = FakeClock()
    bucket = ProjectBucket(clock)
    runs = [Run(clock, bucket) for _run in range(2)]
    run_together(runs, clock, 300, other_client_rate=0.5, other_bucket=bucket)
    # 2 runs at 0.25 together and a client at 0.5: crowd 3 each, the runs poll at 0.25 x 2/3 together at most.
    assert len(all_polls(runs)) <= BURST + RATE * 300 * 0.8


def test_per_token_buckets_give_each_token_its_own_budget():
    """The API may count per token: each run's headers then show its own bucket, and its own budget is a share of it."""
    clock = FakeClock()
    buckets = [ProjectBucket(clock) for _bucket in range(3)]
    runs = [Run(clock, bucket) for bucket in buckets]
    run_together(runs, clock, 300)
    for run, bucket in zip(runs, buckets, strict=True):
        assert run.observer.crowd() == pytest.approx(1.0, abs=0.2)
        assert lowest_balance(run.polls, RATE, BURST) >= -SLACK
        assert len(run.polls) >= 0.8 * RATE * 300
        assert bucket.tokens >= (1 - SHARE) * LIMIT - WRITES


def test_two_runs_on_one_token_and_one_on_another():
    clock = FakeClock()
    shared, own = ProjectBucket(clock), ProjectBucket(clock)
    pair = [Run(clock, shared) for _run in range(2)]
    alone = Run(clock, own)
    run_together([*pair, alone], clock, 300)
    assert lowest_balance(all_polls(pair), RATE, BURST) >= -SLACK
    assert len(alone.polls) >= 0.8 * RATE * 300


def test_the_estimate_waits_for_enough_of_its_own_requests():
    estimate = CrowdEstimate()
    for index in range(SETTLED):
        estimate.observe(index * 1.0, LIMIT, 3000 - 10 * index)
    assert estimate.crowd() == 1.0  # SETTLED responses are one sample fewer: not settled yet
    estimate.observe(SETTLED, LIMIT, 3000 - 10 * SETTLED)
    assert estimate.crowd() == pytest.approx(11.0)  # 10 spent a second, 1 refilled: 11 per own request


def test_a_full_bucket_says_nothing_about_the_crowd():
    estimate = CrowdEstimate()
    for index in range(10):
        estimate.observe(index * 1.0, LIMIT, LIMIT - 1)  # refilled to full between requests: no sample
    assert estimate.crowd() == 1.0


def test_answers_out_of_order_still_add_up():
    estimate = CrowdEstimate()
    # Two threads' answers, the later-served one first: remaining goes up, then down more; 4 per own request.
    for at, remaining in [(0.0, 3000), (0.5, 2994), (0.5, 2996), (1.0, 2992), (1.5, 2986), (1.5, 2988), (2.0, 2984)]:
        estimate.observe(at, LIMIT, remaining)
    assert estimate.crowd() == pytest.approx((3000 - 2984 + 2.0) / 6, rel=0.05)


def test_the_observer_feeds_the_estimate_from_each_response():
    clock = FakeClock()
    observer = RateLimitObserver(clock)
    for remaining in (3000, 2990, 2980, 2970, 2960):
        observer.observe(SimpleNamespace(headers={"RateLimit-Limit": "3600", "RateLimit-Remaining": str(remaining)}))
        clock.sleep(1.0)
    assert observer.crowd() == pytest.approx(11.0)
    observer.observe(SimpleNamespace(headers={}))  # an answer without the headers (a proxy's): no sample
    assert observer.crowd() == pytest.approx(11.0)
