# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the snapshot task and its option checks (_options), against an in-memory fake API."""

from __future__ import annotations

import datetime
import re

import pytest
import requests
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.task._create import MAX_UNKNOWN_OUTCOMES
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._snapshot_task import SnapshotTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._validation import InvalidOption
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._pacing import Pacing
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import utc_now
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    NOW,
    FakeApi,
    FakeClock,
    PlannedFailure,
    make_action,
    make_image,
    make_server,
)

MANAGED = "lockaware.hcloud/managed"
REQUEST = "lockaware.hcloud/request"
TODAY = "web1-2026-11-23"
SERIES = {"schedule": "nightly"}

# What AnsibleModule hands over for `server: web1`: the argument spec's own defaults (the only place they are written).
MODULE_DEFAULTS = dict(
    {name: spec.get("default") for name, spec in argument_spec().items()},
    api_token="test-token",
    api_endpoint="https://api.example.test/v1",
    server="web1",
)


def params(**overrides):
    return dict(MODULE_DEFAULTS, **overrides)


def api_error(code, message="boom"):
    return APIException(code=code, message=message, details=None, correlation_id="abc")


def ago(**kwargs):
    return NOW - datetime.timedelta(**kwargs)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_api(clock):
    def factory(images=(), servers=None, **kwargs):
        return FakeApi(servers=servers, images=images, now=clock.now, **kwargs)

    return factory


@pytest.fixture
def run(clock):
    """Run a task with the given options against ``api``; returns ``(result, task)``."""

    def runner(api, check_mode=False, pacing=None, **overrides):
        task = SnapshotTask(api, SnapshotOptions.from_params(params(**overrides)), check_mode=check_mode, clock=clock, pacing=pacing)
        return task.run(), task

    return runner


def created_images(api, before_ids):
    return [image for image_id, image in api.images.items() if image_id not in before_ids]


# SnapshotOptions.from_params ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"keep": 0}, "keep must be 1 or more (the new snapshot counts), got 0"),
        ({"keep": -2}, "keep must be 1 or more"),
        ({"keep": 3, "wait": False}, "keep needs wait=true"),
        ({"shutdown": True, "wait": False}, "shutdown needs wait=true"),
        ({"force": True, "max_age": "12h"}, "force and max_age contradict each other"),
        ({"lock_timeout": -1}, "lock_timeout must be zero or more seconds, got -1"),
        ({"wait_timeout": -5}, "wait_timeout must be zero or more seconds, got -5"),
        ({"shutdown_timeout": -10}, "shutdown_timeout must be zero or more seconds, got -10"),
        ({"description": ""}, "description must not be empty"),
        ({"description": "   "}, "description must not be empty"),
        ({"server": ""}, "server must be the name or ID of a server"),
        ({"server": "  "}, "server must be the name or ID of a server"),
        ({"state": "absent", "keep": 2}, "keep only applies to state=present"),
        ({"state": "absent", "force": True}, "force only applies to state=present"),
        ({"state": "absent", "protect": True}, "protect only applies to state=present"),
        ({"state": "absent", "shutdown": True}, "shutdown only applies to state=present"),
        ({"labels": {"hetzner.cloud/x": "1"}}, "labels: invalid key 'hetzner.cloud/x'"),
        ({"labels": {"lockaware.hcloud/managed": "true"}}, "reserved"),
        ({"labels": {"bad key": "1"}}, "labels: invalid key 'bad key'"),
        ({"labels": {"ok": "bad value!"}}, "labels: invalid value 'bad value!' for key 'ok'"),
        ({"max_age": "soon"}, "max_age must be a number of seconds or a duration such as '30m'"),
        ({"max_age": "0m"}, "max_age must be greater than zero"),
    ],
)
def test_options_invalid_combinations(overrides, fragment):
    with pytest.raises(InvalidOption) as raised:
        SnapshotOptions.from_params(params(**overrides))
    assert fragment in str(raised.value)


def test_options_valid_set_parses_max_age_and_labels():
    options = SnapshotOptions.from_params(params(max_age="1d12h", labels={"reason": "pre-upgrade", "n": 3}, keep=7, protect=True))
    assert options.max_age == 129600.0
    assert options.labels == {"reason": "pre-upgrade", "n": "3"}
    assert options.keep == 7
    assert options.protect is True
    assert options.server == "web1"


def test_options_defaults_and_unknown_keys_ignored():
    options = SnapshotOptions.from_params(params())
    assert options.max_age is None
    assert options.labels == {}
    assert options.on_locked == "wait"
    assert options.lock_timeout == 600
    assert not hasattr(options, "api_token")


def test_options_zero_timeouts_are_allowed():
    options = SnapshotOptions.from_params(params(lock_timeout=0, wait_timeout=0, shutdown_timeout=0))
    assert (options.lock_timeout, options.wait_timeout, options.shutdown_timeout) == (0, 0, 0)


def test_options_absent_with_max_age_is_allowed():
    options = SnapshotOptions.from_params(params(state="absent", max_age="30m"))
    assert options.max_age == 1800.0


def test_options_numeric_server_id():
    assert SnapshotOptions.from_params(params(server=42)).server == 42


def test_utc_now_is_aware_utc():
    assert utc_now().utcoffset() == datetime.timedelta(0)


# present: matching --------------------------------------------------------------------------------------


def test_existing_available_match_is_unchanged(make_api, run):
    api = make_api([make_image(1, description=TODAY, managed=True)])
    result = run(api)[0]
    assert result["changed"] is False
    assert result["outcome"] == "unchanged"
    assert result["snapshot"]["id"] == 1
    assert "exists" in result["msg"]
    assert api.writes == []
    assert api.calls_to("running_actions") == []


def test_existing_match_made_by_someone_else_counts_too(make_api, run):
    api = make_api([make_image(1, description=TODAY)])
    result = run(api)[0]
    assert result["changed"] is False
    assert api.writes == []


def test_creating_match_is_adopted_not_created(make_api, run):
    api = make_api([make_image(1, description=TODAY, status="creating", managed=True)], image_polls=3)
    result = run(api)[0]
    assert result["adopted"] is True
    assert result["outcome"] == "adopted"
    assert result["changed"] is False
    assert result["snapshot"]["status"] == "available"
    assert api.writes == []
    assert api.calls_to("image") == [(1,), (1,), (1,)]
    assert "adopted snapshot 1" in result["msg"]


def test_creating_match_is_adopted_without_waiting_when_wait_false(make_api, run):
    api = make_api([make_image(1, description=TODAY, status="creating")])
    result = run(api, wait=False)[0]
    assert result["adopted"] is True
    assert result["snapshot"]["status"] == "creating"
    assert api.calls_to("image") == []
    assert api.writes == []


def test_available_match_preferred_over_creating_one(make_api, run):
    api = make_api([make_image(1, description=TODAY, status="creating", created=NOW), make_image(2, description=TODAY, created=ago(hours=1))])
    result = run(api)[0]
    assert result["outcome"] == "unchanged"
    assert result["snapshot"]["id"] == 2


def test_no_match_on_other_server_or_description(make_api, run):
    api = make_api(
        [
            make_image(1, description=TODAY, server_id=43),
            make_image(2, description="web1-2026-11-22", managed=True, created=ago(days=1)),
            make_image(3, description=TODAY, status="deleted"),
        ]
    )
    result = run(api)[0]
    assert result["outcome"] == "created"
    assert len(api.calls_to("create_snapshot")) == 1


def test_force_creates_even_with_a_match(make_api, run):
    api = make_api([make_image(1, description=TODAY, managed=True)])
    result = run(api, force=True)[0]
    assert result["changed"] is True
    assert result["outcome"] == "created"
    assert len(api.calls_to("create_snapshot")) == 1


def test_labels_narrow_the_listing_and_the_match(make_api, run):
    api = make_api([make_image(1, description=TODAY, labels={"schedule": "weekly"}, managed=True)])
    result = run(api, labels=SERIES)[0]
    assert api.calls_to("snapshots")[0] == ("schedule=nightly",)
    assert result["outcome"] == "created"


def test_max_age_identity_matches_a_recent_snapshot_whatever_its_description(make_api, run):
    api = make_api([make_image(1, description="manual one", created=ago(hours=3))])
    result = run(api, max_age="12h")[0]
    assert result["outcome"] == "unchanged"
    assert result["snapshot"]["id"] == 1


def test_max_age_identity_creates_when_the_newest_is_too_old(make_api, run):
    api = make_api([make_image(1, description=TODAY, created=ago(hours=13))])
    result = run(api, max_age="12h")[0]
    assert result["outcome"] == "created"
    assert len(api.calls_to("create_snapshot")) == 1


# present: creating --------------------------------------------------------------------------------------


def test_no_match_creates_with_managed_and_request_labels(make_api, run):
    api = make_api()
    result = run(api, labels=SERIES)[0]
    (create,) = api.calls_to("create_snapshot")
    server_id, description, labels = create
    assert server_id == 42
    assert description == TODAY
    assert labels["schedule"] == "nightly"
    assert labels[MANAGED] == "true"
    assert re.fullmatch(r"[0-9a-f]{20}", labels[REQUEST])
    assert result["changed"] is True
    assert result["outcome"] == "created"
    assert result["adopted"] is False
    assert result["snapshot"]["status"] == "available"
    assert result["snapshot"]["description"] == TODAY
    assert result["action"]["status"] == "success"
    assert result["msg"].startswith(f"created snapshot {result['snapshot']['id']} ({TODAY}) of server web1")
    assert len(api.snapshots_of(42)) == 1


def test_default_description_is_server_name_and_utc_date(make_api, clock):
    clock.wall = datetime.datetime(2027, 1, 5, 23, 30, tzinfo=datetime.timezone.utc)
    api = make_api(servers=[make_server(7, "db-primary")])
    task = SnapshotTask(api, SnapshotOptions.from_params(params(server="db-primary")), clock=clock)
    task.run()
    assert api.calls_to("create_snapshot")[0][1] == "db-primary-2027-01-05"


def test_given_description_is_used(make_api, run):
    api = make_api()
    run(api, description="db1-before-migration")
    assert api.calls_to("create_snapshot")[0][1] == "db1-before-migration"


def test_max_age_with_description_creates_the_snapshot_with_that_description(make_api, run):
    """With max_age the identity is the age, but a new snapshot still gets the description given."""
    api = make_api()
    result = run(api, description="pre-upgrade", max_age="12h")[0]
    assert api.calls_to("create_snapshot")[0][1] == "pre-upgrade"
    assert result["snapshot"]["description"] == "pre-upgrade"


def test_check_mode_max_age_with_description_predicts_that_description(make_api, run):
    """Check mode predicts the description given, not '<server>-<date>'."""
    api = make_api()
    result = run(api, check_mode=True, description="pre-upgrade", max_age="12h")[0]
    assert result["msg"] == "would create snapshot 'pre-upgrade' of server web1"
    assert result["diff"]["after"]["snapshots"] == ["(new): pre-upgrade (available)"]


def test_server_by_id(make_api, run):
    api = make_api()
    result = run(api, server="42")[0]
    assert result["outcome"] == "created"
    assert api.calls_to("create_snapshot")[0][0] == 42


def test_server_not_found_fails_with_a_hint(make_api, run):
    api = make_api()
    with pytest.raises(TaskFailed) as raised:
        run(api, server="nope")
    assert raised.value.msg.startswith("server nope not found")
    assert api.writes == []
    assert raised.value.result()["changed"] is False


def test_protect_turns_on_delete_protection(make_api, run):
    api = make_api()
    result = run(api, protect=True)[0]
    new_id = result["snapshot"]["id"]
    assert api.calls_to("protect_image") == [(new_id,)]
    assert api.images[new_id]["protection"]["delete"] is True
    assert result["snapshot"]["protection"] == {"delete": True}


def test_wait_false_returns_the_creating_snapshot(make_api, run):
    api = make_api()
    result = run(api, wait=False)[0]
    assert result["outcome"] == "created"
    assert result["snapshot"]["status"] == "creating"
    assert api.calls_to("action") == []
    assert api.calls_to("image") == []


def test_create_action_error_fails_with_the_action_failure(make_api, run):
    api = make_api()
    original = api._finish_action  # pylint: disable=protected-access

    def fail(action):
        if action["command"] != "create_image":
            original(action)
            return
        action.update(status="error", error={"code": "image_create_failed", "message": "disk error"})

    api._finish_action = fail  # pylint: disable=protected-access
    with pytest.raises(TaskFailed) as raised:
        run(api)
    failed = raised.value
    assert "waiting for snapshot" in failed.msg
    assert "disk error (image_create_failed)" in failed.msg
    assert failed.failure["code"] == "image_create_failed"
    result = failed.result()
    assert result["changed"] is True
    assert result["failure"]["details"]["action_id"] == result["action"]["id"]


def test_diff_shows_the_new_snapshot(make_api, run):
    api = make_api([make_image(1, description="pre-upgrade", created=ago(hours=2))])
    result = run(api)[0]
    assert result["diff"]["before"]["snapshots"] == ["1: pre-upgrade (available)"]
    assert len(result["diff"]["after"]["snapshots"]) == 2
    assert result["diff"]["after"]["snapshots"][1].endswith(f": {TODAY} (available)")


def test_snapshot_still_creating_after_wait_timeout_fails_naming_it(make_api, run, clock):
    api = make_api([make_image(1, description=TODAY, status="creating")], image_polls=10**6)
    with pytest.raises(TaskFailed) as raised:
        run(api, wait_timeout=300)
    assert "snapshot 1 was still creating after 300 s" in raised.value.msg
    assert 299 < clock.slept <= 320
    assert api.writes == []


def test_adopted_snapshot_that_vanishes_fails_naming_it(make_api, run):
    api = make_api([make_image(1, description=TODAY, status="creating")], image_polls=5)
    original = api.image

    def vanish(image_id):
        api.images.pop(image_id, None)
        return original(image_id)

    api.image = vanish
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert raised.value.msg.startswith("waiting for snapshot 1 of server web1: snapshot 1 was deleted")
    assert raised.value.result()["adopted"] is True
    assert api.writes == []


# present: check mode ------------------------------------------------------------------------------------


def test_check_mode_writes_nothing_and_predicts_changed(make_api, run):
    api = make_api()
    result = run(api, check_mode=True)[0]
    assert api.writes == []
    assert result["changed"] is True
    assert result["outcome"] == "created"
    assert result["msg"] == f"would create snapshot {TODAY!r} of server web1"
    assert "would_create" not in result
    assert "snapshot" not in result
    assert result["diff"]["after"]["snapshots"] == [f"(new): {TODAY} (available)"]


def test_check_mode_with_a_match_is_unchanged(make_api, run):
    api = make_api([make_image(1, description=TODAY)])
    result = run(api, check_mode=True)[0]
    assert result["changed"] is False
    assert api.writes == []


def test_check_mode_adopts_a_creating_match_without_waiting(make_api, run, clock):
    api = make_api([make_image(1, description=TODAY, status="creating")])
    result = run(api, check_mode=True)[0]
    assert result["adopted"] is True
    assert result["changed"] is False
    assert result["snapshot"]["status"] == "creating"
    assert api.calls_to("image") == []
    assert clock.sleeps == []
    assert api.writes == []


def test_check_mode_locked_wait_says_it_would_wait_without_sleeping(make_api, run, clock):
    api = make_api()
    api.running = [[make_action(77, command="rebuild", progress=30)]]
    result = run(api, check_mode=True)[0]
    assert result["msg"].startswith("would wait for action 77 (rebuild")
    assert f"then create snapshot {TODAY!r}" in result["msg"]
    assert clock.sleeps == []
    assert api.writes == []
    assert result["lock"]["actions"][0]["id"] == 77


def test_check_mode_shutdown_lists_the_power_steps(make_api, run):
    api = make_api()
    result = run(api, check_mode=True, shutdown=True)[0]
    assert result["msg"] == f"would shut web1 down, then create snapshot {TODAY!r} of server web1, then power web1 on again"
    assert api.writes == []


# present: locks -----------------------------------------------------------------------------------------


def test_locked_and_skip_is_skipped(make_api, run):
    api = make_api()
    api.running = [[make_action(77, command="rebuild", progress=30)]]
    result = run(api, on_locked="skip")[0]
    assert result["skipped"] is True
    assert result["outcome"] == "skipped"
    assert result["changed"] is False
    assert "action 77 (rebuild" in result["msg"]
    assert api.writes == []
    assert result["lock"]["actions"] == [{"id": 77, "command": "rebuild", "started": NOW.isoformat(), "progress": 30, "status": "running"}]


def test_locked_and_skip_in_check_mode(make_api, run):
    api = make_api()
    api.running = [[make_action(77, command="rebuild")]]
    result = run(api, check_mode=True, on_locked="skip")[0]
    assert result["skipped"] is True
    assert result["changed"] is False


def test_locked_and_fail_names_the_action(make_api, run):
    api = make_api()
    api.running = [[make_action(77, command="rebuild", progress=30)]]
    with pytest.raises(TaskFailed) as raised:
        run(api, on_locked="fail")
    msg = raised.value.msg
    assert "server web1 is locked by action 77 (rebuild" in msg
    assert "on_locked=wait" in msg
    assert api.calls_to("create_snapshot") == []
    result = raised.value.result()
    assert result["msg"] == msg
    assert result["lock"]["actions"][0]["id"] == 77
    assert result["changed"] is False


def test_locked_and_fail_in_check_mode(make_api, run):
    api = make_api()
    api.running = [[make_action(77, command="rebuild")]]
    with pytest.raises(TaskFailed, match="action 77"):
        run(api, check_mode=True, on_locked="fail")


def test_locked_and_wait_waits_then_creates(make_api, run, clock):
    api = make_api()
    backup = make_action(70, command="create_image", progress=10)
    api.running = [[backup], [backup], [backup], []]
    result = run(api)[0]
    assert result["outcome"] == "created"
    assert len(api.calls_to("running_actions")) == 4
    assert len(clock.sleeps) >= 3
    assert [action["id"] for action in result["lock"]["actions"]] == [70]
    assert len(api.calls_to("create_snapshot")) == 1


def test_locked_and_wait_times_out_naming_the_action(make_api, run):
    api = make_api()
    api.running = [[make_action(70, command="rebuild")]] * 3
    with pytest.raises(TaskFailed) as raised:
        run(api, lock_timeout=0)
    assert "server web1 was still locked" in raised.value.msg
    assert "action 70 (rebuild" in raised.value.msg
    assert api.calls_to("create_snapshot") == []


# present: writes of unknown outcome ---------------------------------------------------------------------


@pytest.mark.parametrize("exc", [api_error("server_error"), api_error(502), requests.exceptions.ConnectionError(), requests.exceptions.ReadTimeout()])
def test_create_applied_but_answer_lost_is_recovered_not_repeated(make_api, run, exc):
    api = make_api()
    api.create_failures = [PlannedFailure(exc, applied=True)]
    result = run(api)[0]
    assert len(api.calls_to("create_snapshot")) == 1
    assert len(api.snapshots_of(42)) == 1
    assert [call for call in api.calls_to("snapshots_now") if REQUEST in (call[0] or "")], "the request was not looked for"
    assert "recovered_request" not in result
    assert result["outcome"] == "created"
    assert result["snapshot"]["status"] == "available"
    (image,) = api.snapshots_of(42)
    assert result["snapshot"]["id"] == image["id"]


def test_create_failed_without_effect_is_sent_again_with_the_same_request_label(make_api, run):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("server_error"), applied=False)]
    result = run(api)[0]
    calls = api.calls_to("create_snapshot")
    assert len(calls) == 2
    assert calls[0][2][REQUEST] == calls[1][2][REQUEST]
    assert len(api.snapshots_of(42)) == 1
    assert "recovered_request" not in result
    assert result["outcome"] == "created"


@pytest.mark.parametrize("exc", [api_error("server_error"), api_error(504), requests.exceptions.ConnectionError(), api_error("rate_limit_exceeded")])
def test_create_not_applied_looks_for_a_match_made_meanwhile_before_resending(make_api, run, exc):
    def colleague_snapshots(api):
        api.add_image(make_image(7, description=TODAY, status="creating", managed=True))

    api = make_api()
    api.create_failures = [PlannedFailure(exc, applied=False, meanwhile=colleague_snapshots)]
    result = run(api)[0]
    assert len(api.calls_to("create_snapshot")) == 1
    assert [image["id"] for image in api.snapshots_of(42)] == [7]
    assert result["adopted"] is True
    assert result["snapshot"]["id"] == 7


def test_create_locked_twice_then_success_makes_one_snapshot(make_api, run):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("locked")), PlannedFailure(api_error("locked"))]
    result = run(api)[0]
    assert len(api.calls_to("create_snapshot")) == 3
    assert len(api.snapshots_of(42)) == 1
    assert result["outcome"] == "created"
    assert len(api.calls_to("running_actions")) == 3


class ResendPacing(Pacing):
    """A run's pacing whose budget has room for another resend round only after ``wait`` seconds."""

    def __init__(self, wait):
        super().__init__()
        self.wait = wait
        self.asked = 0

    def resend_delay(self):
        self.asked += 1
        return self.wait


def test_a_resend_after_locked_waits_for_the_runs_budget(make_api, run, clock):
    api = make_api()
    pacing = ResendPacing(13.0)  # the run's budget has no room for another round yet
    api.create_failures = [PlannedFailure(api_error("locked")), PlannedFailure(api_error("locked"))]
    result = run(api, pacing=pacing)[0]
    assert result["outcome"] == "created"
    assert pacing.asked == 2
    assert clock.sleeps.count(13.0) == 2  # longer than the backoff's 1 s and 2 s: the budget paced both resends


def test_an_action_ending_in_locked_waits_for_the_runs_budget_before_the_resend(make_api, run, clock):
    api = make_api()
    pacing = ResendPacing(11.0)
    api.create_action_errors = [LOCKED_ACTION]
    assert run(api, pacing=pacing)[0]["outcome"] == "created"
    assert pacing.asked == 1
    assert 11.0 in clock.sleeps


def test_create_rate_limited_waits_for_the_rate_limit(make_api, run, clock):
    api = make_api()
    api.rate_limit.wait = 17.0
    api.create_failures = [PlannedFailure(api_error("rate_limit_exceeded"))]
    result = run(api, pacing=Pacing(api.rate_limit))[0]
    assert result["outcome"] == "created"
    assert len(api.calls_to("create_snapshot")) == 2
    assert 17.0 in clock.sleeps
    assert api.rate_limit.asked == 1
    # a rate limit certainly was not applied: no search for the request
    assert [call for call in api.calls_to("snapshots") + api.calls_to("snapshots_now") if call[0] and REQUEST in call[0]] == []


def test_create_gives_up_after_repeated_unknown_outcomes(make_api, run):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("server_error", "internal error")) for _index in range(10)]
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert len(api.calls_to("create_snapshot")) == MAX_UNKNOWN_OUTCOMES + 1
    assert api.snapshots_of(42) == []
    assert raised.value.failure["code"] == "server_error"
    assert "internal error (server_error)" in raised.value.msg


def test_create_failure_message_names_the_create_step(make_api, run):
    """After a failed create, looking for the request does not take over the message: it names the create step."""
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("server_error", "internal error")) for _index in range(10)]
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert raised.value.msg.startswith("creating a snapshot of server web1: ")


@pytest.mark.parametrize("code", ["invalid_input", "forbidden", "unauthorized", "resource_limit_exceeded"])
def test_create_refused_fails_at_once(make_api, run, code):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error(code, "refused"))]
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert len(api.calls_to("create_snapshot")) == 1
    assert raised.value.msg.startswith(f"creating a snapshot of server web1: refused ({code})")
    assert raised.value.failure == {"code": code, "message": "refused", "details": None, "correlation_id": "abc"}
    assert raised.value.result()["exception"]
    assert api.snapshots_of(42) == []


def test_quota_error_message_says_nothing_was_deleted(make_api, run):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("resource_limit_exceeded", "snapshot limit reached"))]
    with pytest.raises(TaskFailed) as raised:
        run(api, keep=2, labels=SERIES)
    assert "quota" in raised.value.msg
    assert "nothing was deleted" in raised.value.msg
    assert api.calls_to("delete_image") == []


# present: rotation --------------------------------------------------------------------------------------


def rotation_fixture():
    def member(image_id, days, **kwargs):
        kwargs.setdefault("labels", SERIES)
        return make_image(image_id, description=f"web1-day-{days}", created=ago(days=days), managed=True, **kwargs)

    return [
        member(1, 1),
        member(2, 2),
        member(3, 3, protected=True),
        member(4, 4),
        member(5, 5),
        member(6, 0.5, status="creating"),
        make_image(7, description="manual", labels=SERIES, created=ago(days=10)),  # not managed
        member(8, 10, server_id=43),  # other server
        member(9, 10, labels={"schedule": "weekly"}),  # other series
    ]


def test_keep_rotation_deletes_only_old_unprotected_series_members(make_api, run):
    api = make_api(rotation_fixture())
    result = run(api, labels=SERIES, keep=3)[0]
    assert sorted(call[0] for call in api.calls_to("delete_image")) == [4, 5]
    assert sorted(image["id"] for image in result["deleted"]) == [4, 5]
    assert result["changed"] is True
    new_id = result["snapshot"]["id"]
    assert sorted(api.images) == sorted([1, 2, 3, 6, 7, 8, 9, new_id])


def test_keep_rotation_when_the_snapshot_already_exists(make_api, run):
    images = [*rotation_fixture(), make_image(10, description=TODAY, labels=SERIES, managed=True)]
    api = make_api(images)
    result = run(api, labels=SERIES, keep=2)[0]
    assert result["outcome"] == "unchanged"
    assert result["changed"] is True
    assert api.calls_to("create_snapshot") == []
    # newest two available: 10 (today) and 1; 3 is protected; 6 is still creating
    assert sorted(call[0] for call in api.calls_to("delete_image")) == [2, 4, 5]


def test_keep_rotation_check_mode_predicts_without_deleting(make_api, run):
    api = make_api(rotation_fixture())
    result = run(api, check_mode=True, labels=SERIES, keep=3)[0]
    assert api.writes == []
    assert sorted(image["id"] for image in result["deleted"]) == [4, 5]
    assert result["changed"] is True


def test_keep_rotation_skipped_when_the_server_is_skipped(make_api, run):
    api = make_api(rotation_fixture())
    api.running = [[make_action(70, command="rebuild")]]
    result = run(api, labels=SERIES, keep=1, on_locked="skip")[0]
    assert result["skipped"] is True
    assert api.writes == []
    assert result["deleted"] == []


def test_keep_rotation_tolerates_an_already_deleted_image(make_api, run):
    api = make_api(rotation_fixture())
    api.delete_failures = {4: api_error("not_found")}
    result = run(api, labels=SERIES, keep=3)[0]
    assert sorted(image["id"] for image in result["deleted"]) == [4, 5]


def test_keep_rotation_stops_on_a_real_delete_error(make_api, run):
    api = make_api(rotation_fixture())
    api.delete_failures = {4: api_error("server_error", "internal error"), 5: api_error("server_error", "internal error")}
    with pytest.raises(TaskFailed) as raised:
        run(api, labels=SERIES, keep=3)
    assert "deleting snapshot" in raised.value.msg
    assert "(server_error)" in raised.value.msg


def test_keep_rotation_keeps_a_snapshot_protected_since_it_was_listed(make_api, run):
    api = make_api(rotation_fixture())
    api.delete_failures = {4: api_error("protected", "image is protected"), 5: api_error("protected", "image is protected")}
    result = run(api, labels=SERIES, keep=3)[0]
    deleted = {image["id"] for image in result["deleted"]}
    assert not deleted & {4, 5}
    assert any("protected meanwhile" in warning for warning in result["warnings"])


# present: shutdown --------------------------------------------------------------------------------------


def test_shutdown_powers_down_creates_and_powers_up(make_api, run):
    api = make_api()
    result = run(api, shutdown=True)[0]
    commands = [call[1] for call in api.calls_to("server_action")]
    assert commands == ["shutdown", "poweron"]
    order = [call[0] for call in api.writes]
    # Labelled before the shutdown, unlabelled right after the power-on (``_power_record``).
    assert order == ["label_server", "server_action", "create_snapshot", "server_action", "label_server"]
    assert [labels for _server, labels in api.calls_to("label_server")] == [{"lockaware.hcloud/powered-off": "20261123T120000Z"}, {}]
    assert result["power"] == {
        "initial_status": "running",
        "shut_down": True,
        "powered_off": False,
        "powered_on": True,
        "recovered": False,
        "left_off_since": None,
    }
    assert api.servers[42]["status"] == "running"


class StubbornServerApi(FakeApi):
    """A server that ignores graceful shutdowns: the shutdown action succeeds at once, the server keeps running."""

    def server_action(self, server_id, command):
        if command != "shutdown":
            return super().server_action(server_id, command)
        self.calls.append(("server_action", server_id, command))
        return make_action(8000, command="shutdown", status="success", progress=100)


def test_shutdown_not_done_in_time_fails_without_creating(clock, run):
    api = StubbornServerApi(now=clock.now)
    with pytest.raises(TaskFailed) as raised:
        run(api, shutdown=True, shutdown_timeout=0)
    assert "did not shut down within 0 s" in raised.value.msg
    assert "force_poweroff=true" in raised.value.msg
    assert api.calls_to("create_snapshot") == []
    assert [call[1] for call in api.calls_to("server_action")] == ["shutdown"]
    assert raised.value.result()["power"]["shut_down"] is True
    assert api.servers[42]["labels"] == {}  # still running: the label went at once


def test_shutdown_not_done_in_time_with_force_poweroff(clock, run):
    api = StubbornServerApi(now=clock.now)
    result = run(api, shutdown=True, shutdown_timeout=0, force_poweroff=True)[0]
    assert [call[1] for call in api.calls_to("server_action")] == ["shutdown", "poweroff", "poweron"]
    assert result["power"] == {
        "initial_status": "running",
        "shut_down": True,
        "powered_off": True,
        "powered_on": True,
        "recovered": False,
        "left_off_since": None,
    }
    assert len(api.calls_to("create_snapshot")) == 1
    assert api.servers[42]["labels"] == {}


def test_shutdown_powers_up_again_when_the_snapshot_fails(make_api, run):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("invalid_input", "refused"))]
    with pytest.raises(TaskFailed) as raised:
        run(api, shutdown=True)
    assert [call[1] for call in api.calls_to("server_action")] == ["shutdown", "poweron"]
    assert api.servers[42]["status"] == "running"
    assert raised.value.result()["power"]["powered_on"] is True


def test_shutdown_of_a_stopped_server_does_not_power_it_on(make_api, run):
    api = make_api(servers=[make_server(status="off")])
    result = run(api, shutdown=True)[0]
    assert api.calls_to("server_action") == []
    assert result["power"]["initial_status"] == "off"
    assert result["outcome"] == "created"


# absent -------------------------------------------------------------------------------------------------


def test_absent_deletes_matching_managed_snapshots(make_api, run):
    api = make_api(
        [
            make_image(1, description="db1-before-migration", managed=True),
            make_image(2, description="db1-before-migration", managed=True, created=ago(days=1)),
            make_image(3, description="db1-before-migration"),  # not managed: left, with a warning
            make_image(4, description="other", managed=True),
            make_image(5, description="db1-before-migration", managed=True, server_id=43),
        ]
    )
    result = run(api, state="absent", description="db1-before-migration")[0]
    assert sorted(call[0] for call in api.calls_to("delete_image")) == [1, 2]
    assert result["outcome"] == "deleted"
    assert result["changed"] is True
    assert result["msg"] == "deleted 2 snapshot(s) of server web1"
    assert "include_unmanaged" in result["warnings"][0]
    assert sorted(api.images) == [3, 4, 5]


def test_absent_include_unmanaged_deletes_them_too(make_api, run):
    api = make_api([make_image(1, description="x", managed=True), make_image(3, description="x")])
    result = run(api, state="absent", description="x", include_unmanaged=True)[0]
    assert sorted(call[0] for call in api.calls_to("delete_image")) == [1, 3]
    assert "warnings" not in result


@pytest.mark.parametrize(
    ("blocker", "reason"),
    [
        (make_image(2, description="x", managed=True, protected=True), "protected: remove its delete protection first"),
        (make_image(2, description="x", managed=True, status="creating"), "still creating: run again once it is available"),
    ],
    ids=["protected", "creating"],
)
def test_absent_refuses_protected_or_creating_before_deleting_anything(make_api, run, blocker, reason):
    api = make_api([make_image(1, description="x", managed=True), blocker])
    with pytest.raises(TaskFailed) as raised:
        run(api, state="absent", description="x")
    assert api.calls_to("delete_image") == []
    assert raised.value.msg.startswith("cannot delete snapshot 2 (x, ")
    assert reason in raised.value.msg
    assert raised.value.msg.endswith(": nothing was deleted")
    assert sorted(api.images) == [1, 2]


def test_absent_check_mode_deletes_nothing(make_api, run):
    api = make_api([make_image(1, description="x", managed=True)])
    result = run(api, check_mode=True, state="absent", description="x")[0]
    assert api.writes == []
    assert result["changed"] is True
    assert result["msg"] == "would delete 1 snapshot(s) of server web1"
    assert [image["id"] for image in result["deleted"]] == [1]


def test_absent_without_match_is_unchanged(make_api, run):
    api = make_api([make_image(1, description="y", managed=True)])
    result = run(api, state="absent", description="x")[0]
    assert result["changed"] is False
    assert result["outcome"] == "unchanged"
    assert result["msg"] == "no matching snapshot of server web1"
    assert api.writes == []


def test_absent_default_description_is_todays(make_api, run):
    api = make_api([make_image(1, description=TODAY, managed=True), make_image(2, description="web1-2026-11-22", managed=True)])
    run(api, state="absent")
    assert api.calls_to("delete_image") == [(1,)]


def test_absent_with_max_age_deletes_recent_managed_ones(make_api, run):
    api = make_api([make_image(1, managed=True, created=ago(minutes=10)), make_image(2, managed=True, created=ago(hours=2))])
    run(api, state="absent", max_age="1h")
    assert api.calls_to("delete_image") == [(1,)]


# present: another run makes the same snapshot while we wait ---------------------------------------------


def _other_run_creates_while_we_wait(api, status, command="create_image"):
    """The server is locked (by another run's create_image, or by ``command``); while we wait, a snapshot appears."""
    api.running = [[make_action(77, command=command, progress=30)], []]
    real_running_actions = api.running_actions

    def running_actions(server_id):
        actions = real_running_actions(server_id)
        if not actions:
            api.images[600] = make_image(600, status=status, description="web1-2026-11-23", managed=True)
            api._polls_left[("image", 600)] = 1  # pylint: disable=protected-access
        return actions

    api.running_actions = running_actions


@pytest.mark.parametrize("command", ["rebuild", "change_type"])
def test_a_snapshot_made_by_another_run_while_we_waited_out_a_lock_that_makes_none_is_not_made_again(make_api, run, command):
    """A lock wait is not the instant between the run's listing and its create: while this run waits out a rebuild,
    another run (the fleet beside snapshot_hosts.yml) can make the snapshot. Skipping the look after such a lock made
    duplicates (reliability scenario 16): the look comes after every lock."""
    api = make_api()
    _other_run_creates_while_we_wait(api, "available", command)
    result = run(api)[0]
    assert api.calls_to("create_snapshot") == []
    assert result["outcome"] == "unchanged"
    assert [image["id"] for image in api.snapshots_of(42)] == [600]


@pytest.mark.parametrize(("status", "outcome"), [("available", "unchanged"), ("creating", "adopted")])
def test_a_snapshot_made_by_another_run_while_we_waited_is_not_made_again(make_api, run, status, outcome):
    api = make_api()
    _other_run_creates_while_we_wait(api, status)
    result = run(api)[0]
    assert api.calls_to("create_snapshot") == []
    assert result["outcome"] == outcome
    assert result["snapshot"]["id"] == 600
    assert [image["id"] for image in api.snapshots_of(42)] == [600]


# the real API's locks: one it does not show, an accepted action that ends in locked ------------------------

LOCKED_ACTION = {"code": "locked", "message": "cannot perform operation because server is locked"}


def test_an_invisible_lock_with_skip_is_skipped_at_once(make_api, run, clock):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("locked"))]  # 423 locked, and no running action listed
    result = run(api, on_locked="skip", lock_timeout=600)[0]
    assert result["skipped"] is True and result["changed"] is False and result["outcome"] == "skipped"
    assert "locked by an action the API does not list" in result["msg"]
    assert len(api.calls_to("create_snapshot")) == 1
    assert clock.slept < 5
    assert api.snapshots_of() == []


def test_an_invisible_lock_with_fail_fails_at_once(make_api, run, clock):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("locked"))]
    with pytest.raises(TaskFailed) as raised:
        run(api, on_locked="fail", lock_timeout=600)
    assert "server web1 is locked by an action the API does not list" in raised.value.msg
    assert len(api.calls_to("create_snapshot")) == 1
    assert clock.slept < 5


def test_an_invisible_lock_with_wait_fails_at_lock_timeout_saying_it_is_still_locked(make_api, run, clock):
    api = make_api()
    api.create_failures = [PlannedFailure(api_error("locked")) for _attempt in range(50)]
    with pytest.raises(TaskFailed) as raised:
        run(api, lock_timeout=20)
    assert "server web1 was still locked after waiting 20 s (lock_timeout)" in raised.value.msg
    assert clock.slept <= 20 + 2 * 1.0 * len(api.calls_to("create_snapshot"))  # the backoffs, plus the short looks for our request
    assert api.snapshots_of() == []


def test_an_action_that_ends_in_locked_is_a_lock_then_one_snapshot(make_api, run):
    api = make_api()
    api.create_action_errors = [LOCKED_ACTION]
    result = run(api)[0]
    assert result["outcome"] == "created" and result["changed"] is True
    assert len(api.calls_to("create_snapshot")) == 2
    statuses = sorted(image["status"] for image in api.snapshots_of())
    assert statuses == ["available", "unavailable"]  # the refused one is left as the API left it, never deleted
    assert result["snapshot"]["status"] == "available"
    # Looked for a match before sending again, and the second request carries a request label of its own.
    assert api.calls_to("server_snapshots_now")
    first, second = (call[2][REQUEST] for call in api.calls_to("create_snapshot"))
    assert first != second


def test_an_action_that_ends_in_locked_with_skip_is_skipped_not_failed(make_api, run):
    api = make_api()
    api.create_action_errors = [LOCKED_ACTION]
    result = run(api, on_locked="skip")[0]
    assert result["outcome"] == "skipped" and result["changed"] is False
    assert len(api.calls_to("create_snapshot")) == 1


def test_an_action_that_ends_in_locked_with_fail_fails_as_locked(make_api, run):
    api = make_api()
    api.create_action_errors = [LOCKED_ACTION]
    with pytest.raises(TaskFailed) as raised:
        run(api, on_locked="fail")
    assert "server web1 is locked by action" in raised.value.msg


def test_a_snapshot_that_fails_otherwise_fails_the_task_and_is_left_unavailable(make_api, run):
    api = make_api()
    api.create_action_errors = [{"code": "image_create_failed", "message": "disk read error"}]
    with pytest.raises(TaskFailed) as raised:
        run(api)
    assert "disk read error" in raised.value.msg
    assert [image["status"] for image in api.snapshots_of()] == ["unavailable"]


def test_an_unavailable_or_deleted_image_never_matches(make_api, run):
    failed = make_image(5, status="unavailable", description=TODAY, managed=True)
    deleted = dict(make_image(6, description=TODAY, managed=True), deleted="2026-11-23T11:00:00+00:00")
    api = make_api(images=[failed, deleted])
    result = run(api)[0]
    assert result["outcome"] == "created"
    assert {5, 6} <= set(api.images)  # reported by the listing, never deleted


def member(image_id, days, **kwargs):
    """A snapshot of web1's series, ``days`` old."""
    kwargs.setdefault("labels", SERIES)
    return make_image(image_id, description=f"web1-day-{days}", created=ago(days=days), managed=True, **kwargs)


def test_a_new_snapshot_carries_the_server_label_of_its_series(make_api, run):
    api = make_api()
    result = run(api, labels=SERIES)[0]
    assert api.images[result["snapshot"]["id"]]["labels"]["lockaware.hcloud/server"] == "42"


def test_rotation_leaves_exactly_keep_of_labelled_and_earlier_versions_snapshots(make_api, run):
    labelled = [member(20 + day, day, labels=dict(SERIES, **{"lockaware.hcloud/server": "42"})) for day in range(1, 5)]
    earlier = [member(30 + day, day + 0.5) for day in range(1, 5)]  # no server label: made by an earlier version
    api = make_api([*labelled, *earlier, make_image(40, description="manual", labels=SERIES, created=ago(days=20))])
    result = run(api, labels=SERIES, keep=3)[0]
    series = [image for image in api.images.values() if image["labels"].get("lockaware.hcloud/managed") == "true"]
    assert len(series) == 3
    assert result["snapshot"]["id"] in {image["id"] for image in series}
    assert [image["id"] for image in series if "lockaware.hcloud/server" not in image["labels"]] == [31]  # kept as 0.1 left it
    assert [call[0] for call in api.writes if call[0] != "create_snapshot"] == ["delete_image"] * 6  # no relabelling
    assert 40 in api.images  # made by hand: untouched


def test_the_identity_check_reads_only_the_window_of_the_default_description(make_api, run):
    api = make_api([make_image(1, description=TODAY, created=ago(days=3))])  # a hand-made snapshot named after today, three days old
    result = run(api)[0]
    assert result["outcome"] == "created"


# cheap steady state: reads made anyway serve the waits ---------------------------------------------------


def test_with_keep_the_new_snapshots_status_comes_from_the_series_read_not_an_image_read(make_api, run):
    api = make_api(images=[make_image(i, description=f"web1-2026-11-{10 + i}", managed=True, labels={"lockaware.hcloud/server": "42"}) for i in range(1, 4)])
    result = run(api, keep=2)[0]
    assert result["snapshot"]["status"] == "available"
    assert result["snapshot"]["image_size"] == 1.5
    assert api.calls_to("image") == []  # rotation's series read, made once the action ended, showed it available
    assert len(api.calls_to("series")) == 1  # and rotation used that same read
    assert len(result["deleted"]) == 2


def test_without_keep_the_new_snapshot_is_read_on_its_own(make_api, run):
    api = make_api()
    result = run(api)[0]
    assert result["snapshot"]["status"] == "available"
    assert len(api.calls_to("image")) == 1
    assert api.calls_to("series") == []


# One rotation rule for check mode and a real run, also after an adoption ------------------------------------


@pytest.mark.parametrize("managed", [True, False], ids=["ours", "another-clients"])
def test_check_mode_predicts_the_rotation_a_real_run_makes_after_an_adoption(make_api, run, managed):
    """An adopted snapshot of the series counts as the newest; another client's is not in the series, which keeps
    its own ``keep`` beside it. Check mode, which cannot wait for it, predicts exactly what the real run deletes."""
    images = [*rotation_fixture(), make_image(20, description=TODAY, status="creating", labels=SERIES, managed=managed)]
    predicted = run(make_api(images), check_mode=True, labels=SERIES, keep=2)[0]
    api = make_api(images)
    real = run(api, labels=SERIES, keep=2)[0]
    assert real["adopted"] and predicted["adopted"]
    deleted = sorted(call[0] for call in api.calls_to("delete_image"))
    # ours: 20 (the adopted one) and 1 stay; another client's: the series' own newest two, 1 and 2, stay beside it.
    assert deleted == ([2, 4, 5] if managed else [4, 5])
    assert sorted(image["id"] for image in predicted["deleted"]) == deleted
    assert [entry["reason"] for entry in predicted["retention"]["snapshots"]] == [entry["reason"] for entry in real["retention"]["snapshots"]]


def test_a_failed_deletion_is_reported_as_kept_not_as_deleted(make_api, run):
    api = make_api(rotation_fixture())
    api.delete_failures = {4: api_error("service_error", "try again later")}
    with pytest.raises(TaskFailed) as raised:
        run(api, labels=SERIES, keep=3)
    result = raised.value.result()
    reasons = {entry["id"]: (entry["fate"], entry["reason"]) for entry in result["retention"]["snapshots"]}
    assert reasons[4] == ("kept", "kept: the deletion failed (service_error)")
    assert reasons[5] == ("kept", "kept: not tried, rotation stopped at a failed deletion")
    assert result["retention"]["cost"]["removed"]["count"] == 0
    assert result["deleted"] == []
    assert "deleting snapshot 4" in result["msg"]
    assert sorted(api.images) == sorted([1, 2, 3, 4, 5, 6, 7, 8, 9, result["snapshot"]["id"]])


def test_deletions_done_before_a_failure_are_reported_deleted(make_api, run):
    api = make_api(rotation_fixture())
    api.delete_failures = {5: api_error("service_error")}
    with pytest.raises(TaskFailed) as raised:
        run(api, labels=SERIES, keep=3)
    result = raised.value.result()
    fates = {entry["id"]: entry["fate"] for entry in result["retention"]["snapshots"]}
    assert (fates[4], fates[5]) == ("deleted", "kept")
    assert [image["id"] for image in result["deleted"]] == [4]
    assert result["retention"]["cost"]["removed"]["count"] == 1
