# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The power record (``_power_record``) and the recovery of a server an interrupted run left off (``_power``).

A server is labelled ``lockaware.hcloud/powered-off`` before the shutdown and unlabelled after the power-on; the
next run powers on a labelled server that is off, alone or in a fleet, and check mode only says it would.
"""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet import FleetRun
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._power_record import (
    LEAVE,
    NOTHING,
    POWER_LABEL,
    POWER_ON,
    UNMARK,
    mark,
    marked_since,
    recovery_step,
    stamp,
    unmark,
)
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    make_action,
    make_image,
    make_server,
)

SPEC_DEFAULTS = {name: spec.get("default") for name, spec in argument_spec().items()}
LEFT = "20261122T033000Z"
USER_LABELS = {"env": "prod", "backup": "daily"}


def options(**given):
    return SnapshotOptions.from_params(dict(SPEC_DEFAULTS, api_token="unit-test-token", **dict({"server": "web1"}, **given)))


def server(status="running", labels=None, server_id=42, name="web1"):
    return dict(make_server(server_id, name, status=status), labels=dict(labels or {}))


def left_off(server_id=42, name="web1"):
    """A server an interrupted run shut down: off, labelled, the user's labels beside ours."""
    return server("off", dict(USER_LABELS, **{POWER_LABEL: LEFT}), server_id, name)


@pytest.fixture(name="clock")
def clock_fixture():
    return FakeClock()


def run_task(api, clock, check_mode=False, **given):
    return SnapshotTask(api, options(**given), check_mode=check_mode, clock=clock).run()


# the label protocol -------------------------------------------------------------------------------------------


def test_the_stamp_is_a_valid_label_value_in_utc():
    moment = datetime.datetime(2026, 12, 2, 4, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert stamp(moment) == "20261202T033000Z"


@pytest.mark.parametrize(
    ("status", "labels", "step"),
    [
        ("off", {}, NOTHING),  # somebody else's: it stays off
        ("running", {}, NOTHING),
        ("running", {POWER_LABEL: LEFT}, UNMARK),
        ("off", {POWER_LABEL: LEFT}, POWER_ON),
        ("starting", {POWER_LABEL: LEFT}, LEAVE),
        ("stopping", {POWER_LABEL: LEFT}, LEAVE),
    ],
)
def test_the_recovery_decision(status, labels, step):
    assert recovery_step(server(status, labels)) == step


def test_mark_and_unmark_keep_the_users_labels():
    api = FakeApi(servers=[server(labels=USER_LABELS)])
    mark(api, 42, datetime.datetime(2026, 11, 23, 12, tzinfo=datetime.timezone.utc))
    assert api.servers[42]["labels"] == dict(USER_LABELS, **{POWER_LABEL: "20261123T120000Z"})
    assert marked_since(api.servers[42]) == "20261123T120000Z"
    api.servers[42]["labels"]["added-meanwhile"] = "yes"  # read right before the write: not lost
    assert unmark(api, 42) is True
    assert api.servers[42]["labels"] == dict(USER_LABELS, **{"added-meanwhile": "yes"})
    writes = len(api.writes)
    assert unmark(api, 42) is False
    assert len(api.writes) == writes  # nothing to take away: nothing sent


# recovery on the next run -------------------------------------------------------------------------------------


def test_a_server_left_off_is_powered_on_and_unlabelled_then_snapshotted(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    result = run_task(api, clock)
    assert [call[1] for call in api.calls_to("server_action")] == ["poweron"]
    assert api.servers[42]["status"] == "running"
    assert api.servers[42]["labels"] == USER_LABELS
    assert result["power"] == {
        "initial_status": "off",
        "shut_down": False,
        "powered_off": False,
        "powered_on": True,
        "recovered": True,
        "left_off_since": LEFT,
    }
    assert result["msg"].startswith(f"powered server web1 on again: an interrupted run of lockaware.hcloud shut it down (label {POWER_LABEL}={LEFT}); created ")
    assert any("powered server web1 on again" in warning for warning in result["warnings"])
    assert result["outcome"] == "created"


def test_the_interrupted_runs_snapshot_is_waited_for_before_the_power_on(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    api.running = [[make_action(77, command="create_image", progress=40)]] * 3
    result = run_task(api, clock)
    assert clock.slept > 0
    assert result["lock"]["waited"] > 0
    order = [call[0] for call in api.calls if call[0] in ("running_actions", "server_action")]
    assert order.index("server_action") > 2  # after the lock was gone
    assert api.servers[42]["status"] == "running"


def test_with_on_locked_skip_a_locked_server_is_skipped_and_stays_labelled(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    api.running = [[make_action(77, command="create_image")]]
    result = run_task(api, clock, on_locked="skip")
    assert result["outcome"] == "skipped"
    assert api.calls_to("server_action") == []
    assert marked_since(api.servers[42]) == LEFT
    assert any("the next run of this task powers it on again" in warning for warning in result["warnings"])


def test_a_labelled_running_server_only_loses_the_label(clock):
    api = FakeApi(servers=[server("running", dict(USER_LABELS, **{POWER_LABEL: LEFT}))], now=clock.now)
    result = run_task(api, clock)
    assert api.calls_to("server_action") == []
    assert api.servers[42]["labels"] == USER_LABELS
    assert "power" not in result


def test_a_server_somebody_else_powered_off_stays_off_even_with_shutdown(clock):
    api = FakeApi(servers=[server("off", USER_LABELS)], now=clock.now)
    result = run_task(api, clock, shutdown=True)
    assert api.calls_to("server_action") == []
    assert api.calls_to("label_server") == []
    assert api.servers[42]["status"] == "off"
    assert result["power"]["initial_status"] == "off"
    assert result["outcome"] == "created"


def test_recovery_then_shutdown_true_cycles_the_server_again(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    result = run_task(api, clock, shutdown=True)
    assert [call[1] for call in api.calls_to("server_action")] == ["poweron", "shutdown", "poweron"]
    assert api.servers[42]["status"] == "running"
    assert api.servers[42]["labels"] == USER_LABELS
    assert result["power"]["recovered"] is True
    assert result["power"]["shut_down"] is True


def test_check_mode_only_reports_the_recovery(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    api.running = [[make_action(77, command="create_image")]]
    result = run_task(api, clock, check_mode=True, shutdown=True)
    assert api.writes == []
    assert api.servers[42]["status"] == "off"
    assert result["msg"].startswith("would power server web1 on again after action 77 (create_image")
    assert "; would shut web1 down, then create snapshot" in result["msg"]
    assert result["power"]["recovered"] is True
    assert result["power"]["powered_on"] is False


def test_a_failed_power_on_says_the_label_stays(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    api.running = [[make_action(77, command="create_image")]] * 1000  # the lock outlasts lock_timeout
    with pytest.raises(TaskFailed) as raised:
        run_task(api, clock, lock_timeout=30)
    assert "still locked after waiting 30 s" in raised.value.msg
    assert marked_since(api.servers[42]) == LEFT


def test_a_fleet_recovers_its_labelled_servers_and_leaves_the_others(clock):
    servers = [left_off(1, "web1"), server("off", {}, 2, "cold1"), server("running", {}, 3, "db1")]
    fake = FakeApi(servers=servers, now=clock.now)

    def connect():
        return HcloudApi(FakeTransport(fake), FakeRateLimit(), clock=clock)

    fleet = FleetRun(connect, options(server=None, servers=["web1", "cold1", "db1"]), ["web1", "cold1", "db1"], clock=clock)
    result = fleet.run()
    by_server = {entry["server"]: entry for entry in result["results"]}
    assert {name: fake.servers[server_id]["status"] for server_id, name in ((1, "web1"), (2, "cold1"), (3, "db1"))} == {
        "web1": "running",
        "cold1": "off",
        "db1": "running",
    }
    assert fake.servers[1]["labels"] == USER_LABELS
    assert by_server["web1"]["power"]["recovered"] is True
    assert "power" not in by_server["cold1"]
    assert result["summary"]["created"] == 3


# a fresh mark: maybe a live run between its shutdown and its snapshot ------------------------------------------


def fresh_off(clock, seconds_ago=10):
    """A server another run marked ``seconds_ago`` and shut down; no snapshot of it yet, no action running."""
    return server("off", dict(USER_LABELS, **{POWER_LABEL: stamp(clock.now() - datetime.timedelta(seconds=seconds_ago))}))


def test_a_fresh_mark_with_nothing_running_is_left_to_the_live_run_until_it_ages(clock):
    api = FakeApi(servers=[fresh_off(clock)], now=clock.now)
    result = run_task(api, clock, shutdown_timeout=30)
    # the mark was 10 s old: it may be a live run's for 30 + 60 s after it was set, so about 80 s of waiting first
    assert 80 <= clock.slept < 95
    assert [call[1] for call in api.calls_to("server_action")] == ["poweron"]
    assert result["power"]["recovered"] is True
    assert api.servers[42]["labels"] == USER_LABELS


def test_a_fresh_mark_whose_run_made_its_snapshot_is_recovered_at_once(clock):
    marked = clock.now() - datetime.timedelta(seconds=10)
    snapshot = make_image(5, created=marked + datetime.timedelta(seconds=3), managed=True)
    api = FakeApi(servers=[fresh_off(clock)], images=[snapshot], now=clock.now)
    run_task(api, clock, shutdown_timeout=30)
    assert clock.slept < 10  # the snapshot of today's run only, not the ~80 s a fresh mark alone is given
    assert [call[1] for call in api.calls_to("server_action")] == ["poweron"]


def test_a_fresh_mark_is_skipped_with_on_locked_skip_and_fails_with_fail(clock):
    api = FakeApi(servers=[fresh_off(clock)], now=clock.now)
    result = run_task(api, clock, on_locked="skip")
    assert result["outcome"] == "skipped"
    assert "another run is taking a consistent snapshot of it" in result["msg"]
    assert api.writes == []
    with pytest.raises(TaskFailed, match="another run is taking a consistent snapshot"):
        run_task(api, clock, on_locked="fail")
    assert api.servers[42]["status"] == "off"


def test_a_fresh_mark_outlasting_lock_timeout_fails_without_powering_on(clock):
    api = FakeApi(servers=[fresh_off(clock)], now=clock.now)
    with pytest.raises(TaskFailed, match="still after 20 s"):
        run_task(api, clock, lock_timeout=20)
    assert api.calls_to("server_action") == []


def test_powering_on_a_server_left_off_is_a_change_even_when_its_snapshot_exists(clock):
    today = f"web1-{clock.now():%Y-%m-%d}"
    existing = make_image(5, description=today, created=clock.now() - datetime.timedelta(hours=1), managed=True)
    predicted = run_task(FakeApi(servers=[left_off()], images=[existing], now=clock.now), clock, check_mode=True)
    api = FakeApi(servers=[left_off()], images=[existing], now=clock.now)
    result = run_task(api, clock)
    assert (result["outcome"], result["changed"], result["power"]["powered_on"]) == ("unchanged", True, True)
    assert (predicted["outcome"], predicted["changed"]) == ("unchanged", True)
    assert api.servers[42]["status"] == "running"


def test_a_skipped_recovery_is_no_change(clock):
    api = FakeApi(servers=[left_off()], now=clock.now)
    api.running = [[make_action(77, command="create_image")]]
    result = run_task(api, clock, on_locked="skip")
    assert (result["outcome"], result["changed"]) == ("skipped", False)
