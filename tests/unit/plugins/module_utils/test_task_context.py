"""Unit tests for the snapshot task's context and the named steps of its state."""

from __future__ import annotations

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power import PowerRecovery
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_context import TaskContext
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._task_state import TaskState
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, FakeClock, make_image, make_server

SERVER = "lockaware.hcloud/server"


def context(api, **given):
    params = dict({name: spec.get("default") for name, spec in argument_spec().items()}, server="web1", **given)
    task = TaskContext(api, SnapshotOptions.from_params(params), check_mode=False, clock=FakeClock())
    task.server = api.server("web1")
    return task


def test_the_series_is_read_once_and_shared_by_the_steps_that_ask():
    api = FakeApi(images=[make_image(1, managed=True, labels={SERVER: "42"}), make_image(2, managed=True, labels={SERVER: "42"}, server_id=43)])
    task = context(api, keep=2)
    assert task.series_read() == []  # not read yet: nothing to show in the diff
    first = task.series()
    assert task.series() is first
    assert len(api.calls_to("series")) == 1 and len(api.calls_to("unlabelled_managed")) == 1
    assert [image["id"] for image in task.series_read()] == [1]  # the diff shows the server's own snapshots only


def test_each_lock_deadline_runs_lock_timeout_from_when_it_is_asked_for():
    task = context(FakeApi(servers=[make_server()]), lock_timeout=30)
    first = task.lock_deadline()
    task.clock.sleep(10)
    second = task.lock_deadline()
    assert first.remaining() == 20 and second.remaining() == 30


def test_the_state_changes_through_its_steps():
    state = TaskState()
    image = make_image(7, status="creating")
    state.created(image, {"id": 1}, "created snapshot 7")
    assert (state.changed, state.outcome, state.snapshot, state.action) == (True, "created", image, {"id": 1})
    state.refused_as_locked()  # accepted, then refused as locked: nothing was made
    assert (state.changed, state.outcome, state.snapshot, state.action) == (False, "unchanged", None, None)
    state.no_backup("no backup since 2026-11-22")
    state.found(make_image(8), "web1", "was made meanwhile")
    state.acted()
    assert state.msg == "snapshot 8 (snapshot-8) of server web1 was made meanwhile; no backup to convert: no backup since 2026-11-22"
    state.rotated("; deleted 1 older snapshot(s)")
    state.recovered_power(PowerRecovery(server=make_server(), note="powered server web1 on again"))
    state.finished()
    assert state.msg.startswith("powered server web1 on again; snapshot 8") and state.msg.endswith("deleted 1 older snapshot(s)")
