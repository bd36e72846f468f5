# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _actions: waiting for actions and snapshots within a deadline."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._actions import (
    ActionFailed,
    ProgressPacer,
    SnapshotFailed,
    SnapshotVanished,
    WaitTimedOut,
    describe_action,
    describe_actions,
    poll_backoff,
    wait_for_action,
    wait_for_snapshot,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Backoff, Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock, make_action, make_image


class ScriptedApi:
    """``action(id)`` and ``image(id)`` answer from per-ID scripts; the last entry repeats."""

    def __init__(self, actions=None, images=None):
        self._actions = {key: list(value) for key, value in (actions or {}).items()}
        self._images = {key: list(value) for key, value in (images or {}).items()}
        self.action_calls = []
        self.image_calls = []
        self.running_calls = []
        self.running = []

    @staticmethod
    def _next(script):
        return script.pop(0) if len(script) > 1 else script[0]

    def action(self, action_id):
        self.action_calls.append(action_id)
        return self._next(self._actions[action_id])

    def image(self, image_id):
        self.image_calls.append(image_id)
        return self._next(self._images[image_id])

    def running_actions(self, server_id):
        self.running_calls.append(server_id)
        return list(self.running)


def steady():
    return Backoff(initial=1.0, factor=2.0, cap=4.0, jitter=0.0)


# wait_for_action ----------------------------------------------------------------------------------------


def test_wait_for_action_returns_a_finished_action_without_polling():
    api = ScriptedApi()
    clock = FakeClock()
    done = make_action(5, status="success", progress=100)
    assert wait_for_action(api, done, Deadline(10, clock=clock), sleep=clock.sleep) is done
    assert api.action_calls == []
    assert clock.sleeps == []


def test_wait_for_action_polls_until_success():
    running = make_action(5, status="running", progress=10)
    api = ScriptedApi(actions={5: [make_action(5, progress=50), make_action(5, progress=90), make_action(5, status="success", progress=100)]})
    clock = FakeClock()
    result = wait_for_action(api, running, Deadline(60, clock=clock), sleep=clock.sleep, backoff=steady())
    assert result["status"] == "success"
    assert api.action_calls == [5, 5, 5]
    # 10% -> first delay; 50% one second later: the rest (50%) should take 1.25 s; 90%: due now, but at least 1 s.
    assert clock.sleeps == [1.0, 1.25, 1.0]


def test_wait_for_action_error_raises_action_failed_with_failure():
    error = {"code": "image_create_failed", "message": "disk read error"}
    api = ScriptedApi(actions={5: [make_action(5, command="create_image", status="error", error=error)]})
    clock = FakeClock()
    with pytest.raises(ActionFailed) as raised:
        wait_for_action(api, make_action(5), Deadline(60, clock=clock), sleep=clock.sleep, backoff=steady())
    exc = raised.value
    assert exc.failure == {"code": "image_create_failed", "message": "disk read error", "details": {"action_id": 5}, "correlation_id": None}
    assert exc.action["id"] == 5
    assert str(exc) == "action 5 (create_image) failed: disk read error (image_create_failed)"


def test_action_failed_without_error_details():
    exc = ActionFailed(make_action(7, command="shutdown", status="error", error=None))
    assert str(exc) == "action 7 (shutdown) failed: no message (no code)"
    assert exc.failure["code"] is None
    assert exc.failure["details"] == {"action_id": 7}


def test_wait_for_action_already_failed_raises_without_polling():
    api = ScriptedApi()
    clock = FakeClock()
    with pytest.raises(ActionFailed):
        wait_for_action(api, make_action(5, status="error", error={"code": "x", "message": "y"}), Deadline(60, clock=clock), sleep=clock.sleep)
    assert api.action_calls == []


def test_wait_for_action_times_out_at_the_deadline():
    api = ScriptedApi(actions={5: [make_action(5, command="create_image", progress=42)]})
    clock = FakeClock()
    with pytest.raises(WaitTimedOut) as raised:
        wait_for_action(api, make_action(5), Deadline(10, clock=clock), sleep=clock.sleep, backoff=steady())
    assert clock.slept == pytest.approx(10)
    assert all(0 < delay <= 4.0 for delay in clock.sleeps)
    assert len(api.action_calls) == len(clock.sleeps)  # each sleep is followed by one poll
    message = str(raised.value)
    assert "action 5 (create_image" in message
    assert "42%" in message
    assert "still running after 10 s" in message
    assert raised.value.last["progress"] == 42


def test_wait_for_action_with_default_backoff_stays_within_the_deadline():
    api = ScriptedApi(actions={5: [make_action(5)]})
    clock = FakeClock()
    with pytest.raises(WaitTimedOut):
        wait_for_action(api, make_action(5), Deadline(120, clock=clock), sleep=clock.sleep)
    assert clock.slept == pytest.approx(120)
    assert max(clock.sleeps) <= 12.0


# wait_for_snapshot --------------------------------------------------------------------------------------


def test_wait_for_snapshot_without_action_polls_the_image():
    creating = make_image(9, status="creating")
    api = ScriptedApi(images={9: [creating, creating, make_image(9, status="available")]})
    clock = FakeClock()
    image, action = wait_for_snapshot(api, creating, Deadline(60, clock=clock), sleep=clock.sleep, backoff=steady())
    assert image["status"] == "available"
    assert action is None
    assert api.image_calls == [9, 9, 9]
    assert api.action_calls == []
    assert clock.sleeps == [1.0, 2.0]


def test_wait_for_snapshot_with_action_waits_for_the_action_then_reads_the_image():
    api = ScriptedApi(
        actions={5: [make_action(5, progress=50), make_action(5, status="success", progress=100)]},
        images={9: [make_image(9, status="available")]},
    )
    clock = FakeClock()
    image, action = wait_for_snapshot(api, make_image(9, status="creating"), Deadline(60, clock=clock), action=make_action(5), sleep=clock.sleep)
    assert action["status"] == "success"
    assert image["status"] == "available"
    assert api.action_calls == [5, 5]
    assert api.image_calls == [9]


def test_wait_for_snapshot_action_error_raises_action_failed_before_reading_the_image():
    api = ScriptedApi(actions={5: [make_action(5, status="error", error={"code": "image_create_failed", "message": "no"})]}, images={9: [None]})
    clock = FakeClock()
    with pytest.raises(ActionFailed):
        wait_for_snapshot(api, make_image(9, status="creating"), Deadline(60, clock=clock), action=make_action(5), sleep=clock.sleep)
    assert api.image_calls == []


def test_wait_for_snapshot_vanished_image_raises():
    api = ScriptedApi(images={9: [make_image(9, status="creating"), None]})
    clock = FakeClock()
    with pytest.raises(SnapshotVanished, match="snapshot 9 was deleted"):
        wait_for_snapshot(api, make_image(9, status="creating"), Deadline(60, clock=clock), sleep=clock.sleep)
    assert api.image_calls == [9, 9]


def test_wait_for_snapshot_vanished_after_its_action_succeeded():
    api = ScriptedApi(actions={5: [make_action(5, status="success")]}, images={9: [None]})
    clock = FakeClock()
    with pytest.raises(SnapshotVanished):
        wait_for_snapshot(api, make_image(9, status="creating"), Deadline(60, clock=clock), action=make_action(5), sleep=clock.sleep)


def test_wait_for_snapshot_times_out_naming_the_snapshot_and_status():
    api = ScriptedApi(images={9: [make_image(9, status="creating")]})
    clock = FakeClock()
    with pytest.raises(WaitTimedOut) as raised:
        wait_for_snapshot(api, make_image(9, status="creating"), Deadline(30, clock=clock), sleep=clock.sleep, backoff=steady())
    assert str(raised.value) == "snapshot 9 was still creating after 30 s"
    assert raised.value.last["id"] == 9
    assert clock.slept == 30


def test_wait_for_snapshot_action_timeout_shares_one_deadline():
    api = ScriptedApi(actions={5: [make_action(5)]}, images={9: [make_image(9, status="available")]})
    clock = FakeClock()
    with pytest.raises(WaitTimedOut, match="still running after 20 s"):
        wait_for_snapshot(api, make_image(9, status="creating"), Deadline(20, clock=clock), action=make_action(5), sleep=clock.sleep, backoff=steady())
    assert clock.slept == 20
    assert api.image_calls == []


# descriptions -------------------------------------------------------------------------------------------


def test_describe_action_and_actions():
    action = make_action(12, command="rebuild", progress=40)
    assert describe_action(action) == "action 12 (rebuild, started 2026-11-23T12:00:00+00:00, 40%)"
    both = describe_actions([action, make_action(13, command="backup")])
    assert both.startswith("action 12 (rebuild")
    assert "; action 13 (backup" in both
    assert describe_actions([]) == "an action the API does not list"


def test_describe_action_tolerates_missing_fields():
    assert describe_action({"id": 1, "command": "x"}) == "action 1 (x, started None, 0%)"


def test_poll_backoff_is_about_one_to_ten_seconds():
    backoff = poll_backoff()
    delays = [backoff.next_delay() for _index in range(20)]
    assert 0.8 <= delays[0] <= 1.2
    assert all(delay <= 12.0 for delay in delays)
    assert delays[-1] >= 8.0


# ProgressPacer ------------------------------------------------------------------------------------------


def test_pacer_polls_when_the_progress_says_the_action_should_be_done():
    clock = FakeClock()
    pacer = ProgressPacer(Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.0), clock)
    assert pacer.next_delay(0) == 1.0  # no rate known yet
    clock.sleep(1.0)
    assert pacer.next_delay(20) == 4.0  # 20% a second: 80% to go
    clock.sleep(4.0)
    assert pacer.next_delay(95) == 1.0  # nearly done: the floor


def test_pacer_never_waits_longer_than_the_cap_for_a_slow_action():
    clock = FakeClock()
    pacer = ProgressPacer(Backoff(initial=1.0, factor=1.5, cap=10.0, jitter=0.0), clock)
    pacer.next_delay(0)
    clock.sleep(1.0)
    assert pacer.next_delay(1) == 10.0  # 99 s to go, polled again after 10 s all the same


def test_pacer_falls_back_to_the_backoff_without_progress():
    clock = FakeClock()
    pacer = ProgressPacer(Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0), clock)
    delays = []
    for _index in range(4):
        delays.append(pacer.next_delay(None))
        clock.sleep(delays[-1])
    assert delays == [1.0, 2.0, 4.0, 8.0]


def test_pacer_uses_the_backoff_while_the_progress_stands_still():
    clock = FakeClock()
    pacer = ProgressPacer(Backoff(initial=1.0, factor=2.0, cap=10.0, jitter=0.0), clock)
    delays = []
    for _index in range(3):
        delays.append(pacer.next_delay(30))
        clock.sleep(delays[-1])
    assert delays == [1.0, 2.0, 4.0]


def test_wait_for_snapshot_ends_at_once_when_the_image_is_unavailable():
    creating = make_image(9, status="creating", description="web1-nightly")
    api = ScriptedApi(images={9: [creating, make_image(9, status="unavailable", description="web1-nightly")]})
    clock = FakeClock()
    with pytest.raises(SnapshotFailed) as raised:
        wait_for_snapshot(api, creating, Deadline(3600, clock=clock), sleep=clock.sleep, backoff=steady())
    assert "snapshot 9 (web1-nightly) is unavailable" in str(raised.value)
    assert clock.slept < 5


def test_an_adopted_snapshot_is_waited_for_through_its_running_create_action():
    creating = make_image(9, status="creating")
    running = dict(make_action(5), resources=[{"type": "server", "id": 42}, {"type": "image", "id": 9}])
    failed = dict(running, status="error", error={"code": "image_create_failed", "message": "disk read error"})
    api = ScriptedApi(actions={5: [failed]}, images={9: [creating]})
    api.running = [dict(make_action(4, command="rebuild"), resources=[{"type": "server", "id": 42}]), running]
    clock = FakeClock()
    with pytest.raises(ActionFailed) as raised:
        wait_for_snapshot(api, creating, Deadline(3600, clock=clock), sleep=clock.sleep, backoff=steady())
    assert "disk read error" in str(raised.value)
    assert api.running_calls == [42]
    assert api.image_calls == []
