# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the reads of a fleet of one (_direct_reads) and the choice of a run's reads (_fleet_reads)."""

from __future__ import annotations

import pytest
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._direct_reads import RUNNING_REREAD, DirectReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet_reads import SHARE_FROM, fleet_reads
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._shared_reads import SharedReads
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import BURST, RequestBudget
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    make_action,
    make_server,
)


@pytest.fixture(name="direct")
def direct_fixture():
    clock = FakeClock()
    fake = FakeApi(servers=[make_server(42, "web1")])
    transport = FakeTransport(fake)
    budget = RequestBudget(clock=clock)
    return fake, transport, clock, budget, DirectReads(HcloudApi(transport, FakeRateLimit(), clock=clock), budget, clock)


def paths(transport):
    return [call[1] for call in transport.calls]


def test_a_fleet_of_one_looks_its_server_up_by_name_not_by_listing_every_server(direct):
    _fake, transport, _clock, _budget, reads = direct
    assert reads.server("web1")["id"] == 42
    assert paths(transport) == ["/servers"]
    assert transport.calls[0][2]["name"] == "web1"


def test_its_running_actions_are_read_again_once_the_last_read_is_old_enough(direct):
    fake, transport, clock, budget, reads = direct
    fake.running = [[make_action(70, command="backup")], []]
    assert [action["id"] for action in reads.running_actions(42)] == [70]
    assert budget.seconds_until(BURST) == pytest.approx(1 / 0.25)  # the first read is paid for, too
    assert [action["id"] for action in reads.running_actions(42)] == [70]  # not yet old: as last read
    assert paths(transport) == ["/servers/42/actions"]
    clock.sleep(RUNNING_REREAD)
    assert reads.running_actions(42) == []
    assert paths(transport) == ["/servers/42/actions"] * 2


def test_a_spent_budget_keeps_the_last_answer_and_a_locked_answer_reads_at_once(direct):
    fake, transport, clock, budget, reads = direct
    fake.running = [[make_action(70, command="backup")], []]
    reads.running_actions(42)
    budget.spend(BURST)  # spent: the next repeat waits for the refill
    clock.sleep(RUNNING_REREAD)
    assert [action["id"] for action in reads.running_actions(42)] == [70]
    reads.forget_running(42)
    assert reads.running_actions(42) == []
    assert paths(transport) == ["/servers/42/actions"] * 2


def test_the_price_is_read_once_and_a_failure_is_kept(direct):
    fake, transport, _clock, _budget, reads = direct
    fake.pricing_failure = APIException(code="forbidden", message="no", details=None)
    for _read in range(2):
        with pytest.raises(APIException):
            reads.pricing()
    assert paths(transport) == ["/pricing"]


def test_a_run_chooses_its_reads_once_by_the_size_of_its_fleet():
    clock = FakeClock()
    api = HcloudApi(FakeTransport(FakeApi()), FakeRateLimit(), clock=clock)
    assert isinstance(fleet_reads(api, 1, RequestBudget(clock=clock), clock), DirectReads)
    assert isinstance(fleet_reads(api, SHARE_FROM, RequestBudget(clock=clock), clock), SharedReads)
