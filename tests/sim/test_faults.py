"""Fault injection: the rules' parsing, and each mode end to end."""

from __future__ import annotations

import time

import pytest
import requests
from hcloud import APIException

from hcloud_sim.errors import ApiError
from hcloud_sim.faults import ActionFault, FaultBook, parse_rule
from hcloud_sim.launcher import SimControl, SimulatorError, SimulatorProcess

from .conftest import make_client, server_id

CREATE_IMAGE = r"/v1/servers/\d+/actions/create_image"


def snapshots_named(control: SimControl, description: str) -> list[dict]:
    return [image for image in control.state()["images"] if image["description"] == description]


def test_rule_defaults_and_validation() -> None:
    rule = parse_rule({"path_regex": "/v1/servers"}, 1, "rules[0]")
    assert (rule.method, rule.times, rule.mode, rule.status, rule.code) == (None, 1, "respond", 500, "server_error")
    assert parse_rule({"path_regex": "x", "times": None}, 2, "r").times is None
    assert parse_rule({"path_regex": "x", "times": 0}, 3, "r").times is None
    assert parse_rule({"path_regex": "x", "mode": "delay"}, 4, "r").delay_ms == 1000
    assert parse_rule({"path_regex": "x", "method": "post"}, 5, "r").method == "POST"
    for bad, field in (
        ({"mode": "explode"}, "rules[0].mode"),
        ({"path_regex": "("}, "rules[0].path_regex"),
        ({"times": -1}, "rules[0].times"),
        ({"status": 200}, "rules[0].status"),
        ({"colour": "red"}, "rules[0].colour"),
    ):
        with pytest.raises(ApiError) as caught:
            parse_rule(bad, 9, "rules[0]")
        assert caught.value.details["fields"][0]["name"] == field


def test_fault_book_counts_uses() -> None:
    book = FaultBook()
    book.add([{"method": "GET", "path_regex": "^/v1/servers$", "times": 2}, {"path_regex": "images", "times": None}])
    assert book.take("POST", "/v1/servers") is None
    assert book.take("GET", "/v1/servers").times == 1
    assert book.take("GET", "/v1/servers").times == 0
    assert book.take("GET", "/v1/servers") is None
    assert all(book.take("DELETE", "/v1/images/1") for _attempt in range(5))
    assert [rule["path_regex"] for rule in book.rules()] == ["images"]
    book.clear()
    assert book.rules() == []


def test_one_book_holds_request_faults_and_action_faults() -> None:
    book = FaultBook()
    book.add([{"path_regex": "images", "times": None}])
    book.add_action_fault(ActionFault("create_image", 2, "locked", "raced", server_id=7))
    book.add_action_fault(ActionFault("shutdown", None, "action_failed", "acpi"))
    assert book.take_action_fault("create_image", 8) is None  # another server
    assert book.take_action_fault("create_image", 7) == {"code": "locked", "message": "raced"}
    assert book.action_faults()[0]["times"] == 1
    assert book.take_action_fault("create_image", 7) == {"code": "locked", "message": "raced"}
    assert book.take_action_fault("create_image", 7) is None
    assert all(book.take_action_fault("shutdown", 1) for _attempt in range(3))  # times None: forever
    book.clear_rules()
    assert (book.rules(), len(book.action_faults())) == ([], 1)
    book.add([{"path_regex": "x"}])
    book.clear()
    assert (book.rules(), book.action_faults()) == ([], [])


def test_respond_answers_the_error_and_does_nothing(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"method": "POST", "path_regex": CREATE_IMAGE, "status": 503, "code": "unavailable", "message": "try later"}])
    client = make_client(sim.url)
    web1 = client.servers.get_by_name("web1")
    with pytest.raises(APIException) as caught:
        client.servers.create_image(web1, description="respond")
    assert (caught.value.code, caught.value.message) == ("unavailable", "try later")
    assert snapshots_named(control, "respond") == []
    assert not client.servers.get_by_id(web1.id).locked
    # used up: the next request goes through
    client.servers.create_image(web1, description="respond").action.wait_until_finished()
    assert len(snapshots_named(control, "respond")) == 1
    assert control.request("GET", "/faults") == {"rules": []}


def test_after_commit_does_the_work_then_fails(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"method": "POST", "path_regex": CREATE_IMAGE, "mode": "after_commit", "status": 500, "code": "server_error"}])
    client = make_client(sim.url)
    with pytest.raises(APIException) as caught:
        client.servers.create_image(client.servers.get_by_name("web1"), description="ambiguous")
    assert caught.value.code == "server_error"
    [image] = snapshots_named(control, "ambiguous")
    assert image["status"] in ("creating", "available")
    log = control.requests()
    assert (log[-1]["status"], log[-1]["fault"]) == (500, "after_commit")


def test_drop_closes_the_connection_after_the_work(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"method": "POST", "path_regex": CREATE_IMAGE, "mode": "drop"}])
    web1 = server_id(control, "web1")
    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{sim.url}/servers/{web1}/actions/create_image", json={"description": "dropped"}, headers={"Authorization": f"Bearer {sim.token}"}, timeout=10
        )
    [image] = snapshots_named(control, "dropped")
    assert image["created_from"]["id"] == web1
    log = control.requests()
    assert (log[-1]["status"], log[-1]["fault"]) == (None, "drop")
    # the simulator keeps serving
    assert make_client(sim.url).servers.get_by_id(web1).name == "web1"


def test_delay_waits_then_answers(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"method": "GET", "path_regex": r"^/v1/servers$", "mode": "delay", "delay_ms": 300, "times": 2}])
    client = make_client(sim.url)
    started = time.monotonic()
    assert len(client.servers.get_list().servers) == 6
    assert time.monotonic() - started >= 0.3
    assert control.request("GET", "/faults")["rules"][0]["times"] == 1
    control.clear_faults()
    started = time.monotonic()
    client.servers.get_list()
    assert time.monotonic() - started < 0.3


def test_unlimited_rule_and_bad_rules(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"path_regex": r"^/v1/locations", "times": None, "status": 502, "code": "bad_gateway"}])
    client = make_client(sim.url)
    for _attempt in range(3):
        with pytest.raises(APIException) as caught:
            client.locations.get_all()
        assert caught.value.code == "bad_gateway"
    control.clear_faults()
    assert client.locations.get_all()
    with pytest.raises(SimulatorError, match="400"):
        control.faults([{"mode": "nope"}])
    assert control.request("GET", "/faults") == {"rules": []}
