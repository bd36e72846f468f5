# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the rollback: the choice of the image, the refusals, the rebuild protocol, rerun and power state."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._rebuild import RESTORED, RESTORING, RebuildHistory, recognise
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_choice import readable_age, what_is_lost
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_options import RollbackOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_power import target_state
from ansible_collections.lockaware.hcloud.plugins.module_utils.restore._restore_task import RestoreTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, FakeClock, make_action
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.restore_fake import RestoreProject, server, snapshot

PARAMS = {
    "server": "web1",
    "snapshot_id": None,
    "labels": None,
    "description": None,
    "allow_foreign_image": False,
    "force": False,
    "power_state": "previous",
    "on_locked": "wait",
    "lock_timeout": 60,
    "wait_timeout": 600,
    "change_began": None,
}


def options(**changes):
    return RollbackOptions.from_params(dict(PARAMS, **changes))


def project(*images, **server_changes):
    return RestoreProject([server(**server_changes), server(43, "web2")], images or [snapshot(500)])


def run(api, check_mode=False, **changes):
    return RestoreTask(api, options(**changes), check_mode, FakeClock()).run()


def refused(api, **changes):
    with pytest.raises(TaskFailed) as failed:
        run(api, **changes)
    assert api.writes == [], "a refusal must come before any write"
    return failed.value.msg


# options -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({}, "say which snapshot to restore"),
        ({"snapshot_id": 5, "labels": {"a": "b"}}, "leave labels and description out"),
        ({"snapshot_id": 0}, "positive number"),
        ({"labels": {"lockaware.hcloud/x": "y"}}, "reserved"),
        ({"snapshot_id": 5, "lock_timeout": -1}, "zero or more"),
    ],
)
def test_bad_options_are_refused_before_any_request(changes, words):
    with pytest.raises(InvalidOption, match=words):
        options(**changes)


# choice and refusals -----------------------------------------------------------------------------------------------


def test_the_newest_available_snapshot_of_the_series_is_chosen():
    api = project(
        snapshot(501, hours=10, labels={"reason": "pre-upgrade"}),
        snapshot(502, hours=5, labels={"reason": "pre-upgrade"}),
        snapshot(503, hours=1, labels={"reason": "pre-upgrade"}, status="creating"),
        snapshot(504, hours=2, labels={"reason": "other"}),
        snapshot(505, server_id=43, server_name="web2", hours=0.5, labels={"reason": "pre-upgrade"}),
    )
    result = run(api, labels={"reason": "pre-upgrade"})
    assert result["snapshot"]["id"] == 502
    assert api.rebuilds() == [("rebuild", 42, 502)]


def test_a_series_with_only_a_snapshot_being_made_is_refused_saying_so():
    api = project(snapshot(503, labels={"reason": "x"}, status="creating"))
    assert "is creating" in refused(api, labels={"reason": "x"})


@pytest.mark.parametrize(
    ("image", "server_changes", "words"),
    [
        (snapshot(500, server_id=43, server_name="web2"), {}, "made from server web2 (ID 43), not from server web1 (ID 42)"),
        (snapshot(500, server_id=None), {}, "made from no server this project knows"),
        (snapshot(500, status="creating"), {}, "is creating, not available"),
        (snapshot(500, status="unavailable"), {}, "is unavailable, not available"),
        (snapshot(500, disk=160), {}, "needs a disk of 160 GB, server web1 has 40 GB"),
        (snapshot(500, image_type="system"), {}, "is a system image"),
        (snapshot(500), {"rebuild_protected": True}, "has rebuild protection"),
    ],
)
def test_what_may_not_be_restored_is_refused_before_any_write(image, server_changes, words):
    api = project(image, **server_changes)
    assert words in refused(api, snapshot_id=500)
    assert refused(api, snapshot_id=500, check_mode=True)


def test_another_servers_snapshot_is_restored_only_when_allowed():
    api = project(snapshot(500, server_id=43, server_name="web2"))
    result = run(api, snapshot_id=500, allow_foreign_image=True)
    assert result["outcome"] == "restored"
    assert api.rebuilds() == [("rebuild", 42, 500)]


def test_an_unknown_snapshot_is_refused():
    assert "snapshot 999 not found" in refused(project(), snapshot_id=999)


# check mode, what is lost ------------------------------------------------------------------------------------------


def test_check_mode_says_what_would_be_lost_and_writes_nothing():
    api = project()
    result = run(api, check_mode=True, snapshot_id=500)
    assert result["changed"] and result["outcome"] == "restored"
    assert "would rebuild server web1 from snapshot 500" in result["msg"]
    assert "everything written on web1 since" in result["msg"] and "6 h ago" in result["msg"]
    assert result["diff"]["after"]["image"].startswith("500:")
    assert api.writes == []


def test_what_is_lost_names_the_snapshots_time_and_age():
    lost = what_is_lost({"created": "2026-12-07T02:00:00+00:00"}, {"name": "web1"}, datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.timezone.utc))
    assert lost == {"since": "2026-12-07T02:00:00+00:00", "age_seconds": 21600, "text": "everything written on web1 since 2026-12-07 02:00 UTC, 6 h ago"}
    assert [readable_age(s) for s in (5, 600, 7200, 200_000, 3 * 86400)] == ["5 s", "10 min", "2 h", "2 d 7 h", "3 d"]


# one rebuild per request -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ["lost:server_error", "lost:timeout", "drop"])
def test_an_answer_lost_after_the_rebuild_was_applied_is_found_and_not_sent_again(plan):
    api = project()
    api.plans = [plan]
    result = run(api, snapshot_id=500)
    assert api.rebuilds() == [("rebuild", 42, 500)]
    assert result["recovered"] is True and result["outcome"] == "restored"


def test_a_request_refused_without_effect_is_sent_again():
    api = project()
    api.plans = ["refuse:unavailable"]
    result = run(api, snapshot_id=500)
    assert api.rebuilds() == [("rebuild", 42, 500)]
    assert result["recovered"] is False


def test_rebuild_protection_turned_on_meanwhile_is_a_refusal():
    api = project()
    api.plans = ["refuse:protected"]
    with pytest.raises(TaskFailed, match="rebuild protection"):
        run(api, snapshot_id=500)
    assert api.rebuilds() == []


def test_a_locked_server_is_skipped_with_on_locked_skip():
    api = project()
    api.running = [make_action(7, command="create_image")]
    result = run(api, snapshot_id=500, on_locked="skip")
    assert result["outcome"] == "skipped" and not result["changed"]
    assert api.writes == []


# rerun -------------------------------------------------------------------------------------------------------------


def test_a_rerun_after_a_completed_restore_restores_nothing_unless_forced():
    api = project()
    run(api, snapshot_id=500)
    again = run(api, snapshot_id=500)
    assert again["outcome"] == "unchanged" and not again["changed"]
    assert "already restored" in again["msg"] and "force=true" in again["msg"]
    assert len(api.rebuilds()) == 1
    forced = run(api, snapshot_id=500, force=True)
    assert forced["outcome"] == "restored"
    assert len(api.rebuilds()) == 2


def test_a_server_created_from_the_snapshot_and_never_rebuilt_is_restored():
    api = project(image={"id": 500, "type": "snapshot", "description": "web1-500"})
    assert run(api, snapshot_id=500)["outcome"] == "restored"


def test_recognise_reads_the_servers_image_and_its_newest_rebuild():
    image = {"id": 500}
    on_it = {"image": {"id": 500}}
    running, done, failed = ({"id": 9, "status": status} for status in ("running", "success", "error"))
    assert recognise(on_it, image, RebuildHistory(9, running)) == RESTORING
    assert recognise(on_it, image, RebuildHistory(9, done)) == RESTORED
    assert recognise(on_it, image, RebuildHistory(9, failed)) is None
    assert recognise({"image": {"id": 1}}, image, RebuildHistory(9, done)) is None
    assert recognise(on_it, image, RebuildHistory(9, None)) is None


def test_a_restore_still_running_is_waited_for_not_sent_again():
    api = project(image={"id": 500, "type": "snapshot", "description": "web1-500"})
    api.actions[800] = {"id": 800, "command": "rebuild_server", "status": "running", "progress": 40, "started": NOW.isoformat(), "server_id": 42}
    result = run(api, snapshot_id=500)
    assert result["outcome"] == "adopted" and result["action"]["id"] == 800
    assert api.rebuilds() == []


# power state -------------------------------------------------------------------------------------------------------


def test_a_server_that_was_off_is_powered_off_again():
    api = project(status="off")
    result = run(api, snapshot_id=500)
    assert result["power"] == {"before": "off", "target": "off", "after": "off"}
    assert ("poweroff", 42) in api.writes


def test_power_state_asked_for_wins():
    assert target_state("running", "off") == "running"
    assert target_state("off", "running") == "off"
    assert target_state("previous", "starting") == "running"
    assert target_state("previous", "stopping") == "off"


def test_a_restore_before_the_change_began_does_not_count():
    api = project()
    run(api, snapshot_id=500)
    later = (NOW + datetime.timedelta(minutes=5)).isoformat()
    again = run(api, snapshot_id=500, change_began=later)
    assert again["outcome"] == "restored"
    assert len(api.rebuilds()) == 2
    earlier = (NOW - datetime.timedelta(minutes=5)).isoformat()
    assert run(api, snapshot_id=500, change_began=earlier)["outcome"] == "unchanged"


def test_change_began_must_be_a_time():
    with pytest.raises(InvalidOption, match="ISO 8601"):
        options(snapshot_id=5, change_began="yesterday")
    assert options(snapshot_id=5, change_began="2026-12-07T08:00:00").change_began.tzinfo is not None
