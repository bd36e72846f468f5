# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cancellation (``_cancel``): waits stop, nothing new starts, a server that was shut down is powered on again.

Time is the fake clock's: a "signal" is ``Cancellation.cancel`` called where the test says, and the real signal
handling is tried once with a signal this process sends itself.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power_record import POWER_LABEL, marked_since
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import CancellableClock, Cancellation, Cancelled, cancel_on_signals
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, FakeClock, make_action, make_server

SPEC_DEFAULTS = {name: spec.get("default") for name, spec in argument_spec().items()}


def options(**given):
    return SnapshotOptions.from_params(dict(SPEC_DEFAULTS, api_token="t", server="web1", **given))


@pytest.fixture(name="fake_clock")
def fake_clock_fixture():
    return FakeClock()


@pytest.fixture(name="clock")
def clock_fixture(fake_clock):
    return CancellableClock(Cancellation(), fake_clock)


class CancelledWhileCreating(FakeApi):
    """The signal comes while the snapshot is being made (right after create_image was accepted)."""

    def __init__(self, cancellation, **kwargs):
        super().__init__(**kwargs)
        self.cancellation = cancellation

    def create_snapshot(self, server_id, description, labels):
        answer = super().create_snapshot(server_id, description, labels)
        self.cancellation.cancel("SIGTERM")
        return answer


def test_the_clock_sleeps_until_cancelled_then_raises(clock, fake_clock):
    clock.sleep(2)
    clock.checkpoint()
    assert fake_clock.slept == 2
    clock.cancellation.cancel("SIGINT")
    clock.cancellation.cancel("SIGTERM")  # the first reason stays
    with pytest.raises(Cancelled, match=r"cancelled \(SIGINT\); nothing new was started"):
        clock.sleep(5)
    with pytest.raises(Cancelled):
        clock.checkpoint()
    assert fake_clock.slept == 2
    clock.shielded().sleep(3)  # putting things back still waits
    assert fake_clock.slept == 5


def test_on_the_real_clock_a_sleep_ends_when_cancelled():
    cancellation = Cancellation()
    clock = CancellableClock(cancellation)
    cancellation.cancel("SIGTERM")
    started = clock()
    with pytest.raises(Cancelled):
        clock.sleep(30)
    assert clock() - started < 1
    assert clock.shielded() is not clock


def test_cancelled_while_the_snapshot_is_made_the_server_is_powered_on_and_unlabelled(clock, fake_clock):
    api = CancelledWhileCreating(clock.cancellation, servers=[make_server()], now=fake_clock.now, action_polls=3)
    with pytest.raises(TaskFailed) as raised:
        SnapshotTask(api, options(shutdown=True), clock=clock).run()
    assert raised.value.msg.startswith("waiting for snapshot 9002 of server web1: the run was cancelled (SIGTERM)")
    assert [call[1] for call in api.calls_to("server_action")] == ["shutdown", "poweron"]
    assert api.servers[42]["status"] == "running"
    assert marked_since(api.servers[42]) is None
    assert len(api.calls_to("create_snapshot")) == 1  # made once, not again
    assert raised.value.result()["power"]["powered_on"] is True


def test_cancelled_the_power_on_waits_for_the_snapshots_lock_at_most_lock_timeout(clock, fake_clock):
    api = CancelledWhileCreating(clock.cancellation, servers=[make_server()], now=fake_clock.now)
    api.running = [[], []] + [[make_action(88, command="create_image")]] * 1000  # free twice (shutdown, create), then the snapshot never ends
    with pytest.raises(TaskFailed) as raised:
        SnapshotTask(api, options(shutdown=True, lock_timeout=45, wait_timeout=3600), clock=clock).run()
    message = raised.value.msg
    assert "the run was cancelled (SIGTERM)" in message
    assert "still locked after waiting 45 s" in message
    assert f"server web1 stays off, labelled {POWER_LABEL}: the next run of this task powers it on again" in message
    assert 45 <= fake_clock.slept < 60  # bounded by lock_timeout, not wait_timeout
    assert [call[1] for call in api.calls_to("server_action")] == ["shutdown"]
    assert marked_since(api.servers[42]) is not None  # the record for the next run


def test_cancelled_while_waiting_for_a_lock_nothing_is_started(clock, fake_clock):
    class CancelledWhileLocked(FakeApi):
        def running_actions(self, server_id):
            clock.cancellation.cancel("SIGINT")  # the signal comes while the task waits for a backup to end
            return super().running_actions(server_id)

    api = CancelledWhileLocked(servers=[make_server()], now=fake_clock.now)
    api.running = [[make_action(88, command="backup")]] * 5
    with pytest.raises(TaskFailed) as raised:
        SnapshotTask(api, options(shutdown=True), clock=clock).run()
    assert "waiting for server web1 to be unlocked: the run was cancelled (SIGINT)" in raised.value.msg
    assert api.writes == []  # no label, no shutdown, no snapshot


def test_a_task_begun_after_the_cancellation_sends_nothing(clock, fake_clock):
    api = FakeApi(servers=[make_server()], now=fake_clock.now)
    clock.cancellation.cancel("SIGTERM")
    with pytest.raises(TaskFailed, match=r"looking up server web1: the run was cancelled \(SIGTERM\)"):
        SnapshotTask(api, options(shutdown=True), clock=clock).run()
    assert api.calls == []


def test_a_signal_cancels_and_the_handlers_come_back():
    received = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    try:
        with cancel_on_signals(redeliver=False) as clock:
            os.kill(os.getpid(), signal.SIGTERM)
            assert clock.cancellation.requested
            assert clock.cancellation.reason == "SIGTERM"
            assert received == []  # not ended at once
        assert received == []
        with cancel_on_signals() as clock:
            os.kill(os.getpid(), signal.SIGTERM)
            assert received == []
        assert received == [signal.SIGTERM]  # delivered again once the block ended, to the handler it had before
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_no_signal_no_redelivery():
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        with cancel_on_signals() as clock:
            clock.checkpoint()
        assert received == []
        assert signal.getsignal(signal.SIGINT) is not None
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_second_signal_while_the_first_sets_the_event_returns_at_once():
    """ansible-core passes SIGINT, then SIGTERM, on to its worker: the second handler can run while the first one's
    ``Event.set`` holds the event's lock. It must not take that lock again (it deadlocked the worker for good)."""
    cancellation = Cancellation()
    event = cancellation._event  # pylint: disable=protected-access
    first_set = event.set
    interrupted = []

    def set_interrupted_by_a_second_signal():
        with event._cond:  # pylint: disable=protected-access  # what Event.set holds while it runs
            if not interrupted:
                interrupted.append(True)
                cancellation.cancel("SIGTERM", signal.SIGTERM)  # the second signal's handler, on the same thread
        first_set()

    event.set = set_interrupted_by_a_second_signal
    done = threading.Event()
    worker = threading.Thread(target=lambda: (cancellation.cancel("SIGINT", signal.SIGINT), done.set()), daemon=True)
    worker.start()
    assert done.wait(5), "the second signal deadlocked the first"
    assert interrupted
    assert (cancellation.requested, cancellation.reason, cancellation.signum) == (True, "SIGINT", signal.SIGINT)
