# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A drill's step on a fake project (``_drill_task``, ``_scratch_servers``): one scratch server per restore, from the
right snapshot; a lost answer adopted, not repeated; a failure or a cancel deletes the scratch server again; removal
deletes only marked servers, waits for their locks, and says what they cost. Time is the fake clock's."""

from __future__ import annotations

import pytest
from hcloud import APIException
from requests.exceptions import ConnectionError as DroppedConnection

from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._drill_task import DrillOptions, DrillTask
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_marks import DRILL_LABEL, EXPIRES_LABEL, ORIGIN_LABEL, SNAPSHOT_LABEL
from ansible_collections.lockaware.hcloud.plugins.module_utils.drill._scratch_servers import ScratchServers
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import StepFailed, TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._budget import RequestBudget
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._cancel import CancellableClock, Cancellation
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_drill_api import FakeDrillApi

POST = ("POST", "/servers")


@pytest.fixture(name="fake_clock")
def fake_clock_fixture():
    return FakeClock()


@pytest.fixture(name="clock")
def clock_fixture(fake_clock):
    return CancellableClock(Cancellation(), fake_clock)


@pytest.fixture(name="api")
def api_fixture(clock):
    return FakeDrillApi(clock)


def task(api, clock, check_mode=False, **given):
    options = DrillOptions(**dict({"run_id": "run-1", "origin": "web1"}, **given))
    return DrillTask(ScratchServers(api, clock, RequestBudget(clock=clock)), options, check_mode)


def scratch(api):
    return [server for server in api.servers.values() if DRILL_LABEL in server["labels"]]


def test_restores_the_servers_own_newest_snapshot_onto_the_smallest_type(api, clock):
    result = task(api, clock).restore()
    assert result["restorable"] is True and result["snapshot"]["id"] == 11  # not 12: db1's, newer
    [server] = scratch(api)
    assert server["image"]["id"] == 11 and server["server_type"]["name"] == "cx23" and server["location"]["name"] == "fsn1"
    assert server["labels"][ORIGIN_LABEL] == "1" and server["labels"][SNAPSHOT_LABEL] == "11" and server["labels"][DRILL_LABEL] == "run-1"
    assert server["labels"][EXPIRES_LABEL] == "20261123T150000Z"  # three hours after the fake "now"
    assert result["scratch"]["status"] == "running" and result["scratch"]["address"] == server["public_net"]["ipv4"]["ip"]
    assert 4.0 <= result["seconds_to_restore"] <= 10.0  # the create action takes 4 s; the polls back off from 1 s
    assert api.writes() == [POST]


def test_check_mode_says_what_it_would_restore_and_writes_nothing(api, clock):
    result = task(api, clock, check_mode=True).restore()
    assert result["changed"] is True and "would restore snapshot 11" in result["msg"] and "cx23 in fsn1" in result["msg"]
    assert api.writes() == [] and not scratch(api)


def test_a_server_without_its_own_snapshot_is_not_restorable_before_anything_is_written(api, clock):
    api.images = [image for image in api.images if image["created_from"]["id"] != 1]
    with pytest.raises(TaskFailed, match="server web1 has no available snapshot made from it") as failed:
        task(api, clock).restore()
    assert failed.value.partial["restorable"] is False and api.writes() == []


def test_a_lost_answer_is_found_by_its_request_label_and_not_sent_again(api, clock):
    api.fail_next("POST", "/servers", DroppedConnection("connection reset"), applied=True)
    result = task(api, clock).restore()
    assert result["restorable"] is True and len(scratch(api)) == 1
    assert api.writes() == [POST]


def test_a_request_that_was_not_applied_is_sent_again_once(api, clock):
    api.fail_next("POST", "/servers", DroppedConnection("connection refused"))
    task(api, clock).restore()
    assert len(scratch(api)) == 1 and api.writes() == [POST, POST]


def test_a_refusal_that_cannot_pass_is_not_repeated(api, clock):
    api.fail_next("POST", "/servers", APIException("resource_limit_exceeded", "server limit reached", None))
    with pytest.raises(TaskFailed, match="server limit reached"):
        task(api, clock).restore()
    assert api.writes() == [POST] and not scratch(api)


def test_a_failed_create_deletes_the_scratch_server_again(api, clock):
    original = api._action

    def failing(server_id, command, seconds):
        action = original(server_id, command, seconds)
        api.actions[action["id"]]["fail"] = command == "create_server"
        return action

    api._action = failing
    with pytest.raises(TaskFailed, match=r"creating the server failed.*scratch server drill-web1-1-run-1 was deleted") as failed:
        task(api, clock).restore()
    assert failed.value.partial["restorable"] is False
    assert [entry["name"] for entry in failed.value.partial["removed"]["deleted"]] == ["drill-web1-1-run-1"]
    assert not scratch(api)


def test_a_cancel_while_it_is_created_deletes_it_once_its_lock_ends(api, clock):
    api.create_seconds = 30.0
    # the signal comes with the first poll of the create action
    api.get = lambda path, params=None, deadline=None: (clock.cancellation.cancel("SIGINT"), FakeDrillApi.get(api, path, params))[1]
    with pytest.raises(TaskFailed, match=r"cancelled \(SIGINT\).*scratch server drill-web1-1-run-1 was deleted"):
        task(api, clock).restore()
    assert not scratch(api)
    assert api.writes() == [POST, ("DELETE", f"/servers/{900}")]
    assert clock() >= 1000 + 30.0  # the delete waited for the create to end, on the shielded clock


def test_a_cancel_before_the_create_request_sends_nothing(api, clock):
    clock.cancellation.cancel("SIGTERM")
    with pytest.raises(TaskFailed, match="cancelled"):
        task(api, clock).restore()
    assert api.writes() == []


def test_removal_deletes_this_runs_and_leftovers_only_marked_ones(api, clock):
    mine = api._server(50, "drill-web1-1-run-1", {DRILL_LABEL: "run-1", ORIGIN_LABEL: "1"}, "cx23")
    old = api._server(51, "drill-db1-2-old", {DRILL_LABEL: "old", EXPIRES_LABEL: "20261123T110000Z"}, "cx43")
    young = api._server(52, "drill-db1-2-young", {DRILL_LABEL: "young", EXPIRES_LABEL: "20261123T130000Z"}, "cx43")
    lookalike = api._server(53, "drill-lookalike", {ORIGIN_LABEL: "1"})
    api.servers.update({server["id"]: server for server in (mine, old, young, lookalike)})
    expired_only = task(api, clock, origin=None, leftovers="expired").remove()
    assert sorted(entry["name"] for entry in expired_only["deleted"]) == ["drill-db1-2-old", "drill-web1-1-run-1"]
    everything = task(api, clock, run_id="run-2", origin=None, leftovers="all").remove()
    assert [entry["name"] for entry in everything["deleted"]] == ["drill-db1-2-young"]
    assert sorted(api.servers) == [1, 2, 53]  # the origins and the unmarked server stay
    assert everything["cost"] == {"hours": 1, "net": "0.0130", "gross": "0.0155", "currency": "EUR"}


def test_removal_waits_for_a_server_being_created_and_reports_a_protected_one(api, clock):
    api.servers[60] = api._server(60, "drill-web1-1-old", {DRILL_LABEL: "old"}, "cx23")
    api._action(60, "create_server", 20.0)
    protected = api._server(61, "drill-web1-1-kept", {DRILL_LABEL: "old"})
    protected["protection"]["delete"] = True
    api.servers[61] = protected
    with pytest.raises(TaskFailed, match="drill-web1-1-kept has delete protection") as failed:
        task(api, clock, origin=None, leftovers="all").remove()
    assert [entry["name"] for entry in failed.value.partial["deleted"]] == ["drill-web1-1-old"]
    assert len(failed.value.partial["not_deleted"]) == 1 and 61 in api.servers and 60 not in api.servers
    assert clock() >= 1020.0


def test_removal_check_mode_writes_nothing(api, clock):
    api.servers[60] = api._server(60, "drill-web1-1-old", {DRILL_LABEL: "old"}, "cx23")
    result = task(api, clock, check_mode=True, origin=None, leftovers="all").remove()
    assert result["msg"] == "would delete 1 scratch server(s): drill-web1-1-old" and api.writes() == [] and 60 in api.servers


def test_waits_are_paid_from_the_budget(api, clock, fake_clock):
    budget = RequestBudget(share=0.25, clock=clock)
    budget.spend(20 + 5)  # the burst and five more are spent: a poll waits until the budget refilled one
    servers = ScratchServers(api, clock, budget)
    DrillTask(servers, DrillOptions(run_id="run-1", origin="web1")).restore()
    assert fake_clock.sleeps[0] >= 6 / 0.25 - 0.01  # six requests missing at 0.25 a second


def test_a_server_without_the_mark_is_never_deleted_whatever_a_listing_said(api, clock):
    servers = ScratchServers(api, clock, RequestBudget(clock=clock))
    with pytest.raises(StepFailed, match="does not carry the drill's mark"):
        servers.delete(api.servers[1], Deadline(60, clock=clock))
    assert 1 in api.servers and api.writes() == []
