# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet task waiting for its server's lock looks at the shared answers every tick, as its other waits do."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, FakeClock, make_action

TICK = 0.5


def options():
    params = {name: spec.get("default") for name, spec in argument_spec().items()}
    return SnapshotOptions.from_params(dict(params, api_token="test-token", api_endpoint="https://api.example.test/v1", server="web1"))


def lock_wait_sleeps(pacing):
    """The sleeps of a task whose server is locked by a backup that reports no progress, for 8 looks."""
    clock = FakeClock()
    api = FakeApi(now=clock.now)
    backup = make_action(70, command="create_backup", progress=0)
    api.running = [[backup]] * 8 + [[]]
    result = SnapshotTask(api, options(), clock=clock, pacing=pacing).run()
    assert result["outcome"] == "created"
    return clock.sleeps[:8]


def test_a_fleet_task_waiting_for_a_lock_looks_every_tick_so_that_it_acts_when_a_poll_sees_the_end():
    # In a fleet, the action poller alone decides when to ask the API; a task waiting by its own backoff (1 s growing
    # to 10 s with no progress to go by) saw the poll's answer up to 10 s late, and the looks for a snapshot made
    # meanwhile of the servers whose locks one poll saw end were spread over those seconds instead of shared.
    assert all(sleep <= TICK for sleep in lock_wait_sleeps(Pacing(tick=TICK)))


def test_a_task_on_its_own_waits_for_a_lock_by_its_backoff():
    sleeps = lock_wait_sleeps(Pacing())
    assert max(sleeps) > 2 * TICK
