# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _pacing.Pacing: the run's waiting policy, beside the API."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import wait_for_snapshot
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import BURST, RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import RESEND_ROUND, Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, FakeClock, FakeRateLimit, make_image


def test_a_task_on_its_own_spends_no_budget_and_keeps_to_its_own_backoff():
    pacing = Pacing()
    assert pacing.poll_delay(7.5) == 7.5
    assert pacing.resend_delay() == 0.0
    assert pacing.rate_limit_wait() == 1.0  # no headers known: as the observer says then
    pacing.pay_image_read(1)
    pacing.pay_image_read(1)  # nothing to pay from, nothing raised


def test_the_tick_shortens_a_longer_delay_only():
    pacing = Pacing(tick=0.5)
    assert pacing.poll_delay(7.5) == 0.5
    assert pacing.poll_delay(0.2) == 0.2


def test_the_rate_limit_wait_is_the_observers():
    rate_limit = FakeRateLimit(wait=17.0)
    assert Pacing(rate_limit).rate_limit_wait() == 17.0
    assert rate_limit.asked == 1


def test_a_resend_reserves_its_round_from_the_budget():
    budget = RequestBudget(0.25, None, FakeClock())
    pacing = Pacing(budget=budget)
    rounds = int(BURST // RESEND_ROUND)
    assert [pacing.resend_delay() for _round in range(rounds)] == [0.0] * rounds
    assert pacing.resend_delay() == pytest.approx((RESEND_ROUND - BURST % RESEND_ROUND) / 0.25)


def test_repeated_image_reads_are_paid_from_the_budget():
    budget = RequestBudget(0.25, None, FakeClock())
    pacing = Pacing(budget=budget)
    for image_id in range(100):
        pacing.pay_image_read(image_id)
    assert budget.seconds_until(BURST) == 0.0  # the one read each task needs once its action ended: not a poll
    for _read in range(int(BURST) + 1):
        pacing.pay_image_read(500)  # the snapshot still creating: polls, paid from the budget
    assert budget.seconds_until(1) == pytest.approx(4.0)  # the burst is spent: a quarter of a request a second


def test_a_snapshot_wait_pays_for_its_image_reads_after_the_first():
    budget = RequestBudget(0.25, None, FakeClock())  # a budget clock that stands still: no refill while waiting
    clock = FakeClock()
    api = FakeApi(images=[make_image(9, status="creating")], image_polls=3)
    image, _action = wait_for_snapshot(api, make_image(9, status="creating"), Deadline(600, clock=clock), sleep=clock.sleep, pacing=Pacing(budget=budget))
    assert image["status"] == "available"
    reads = len(api.calls_to("image"))
    assert reads >= 2
    assert budget.seconds_until(BURST) == pytest.approx((reads - 1) / 0.25)
