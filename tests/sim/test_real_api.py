"""The behaviours of the API as it stands in December 2026, each setting both ways.

Every raw answer is checked against the OpenAPI document (``CheckedApi``); where the official
``hcloud`` library reaches the behaviour, it is driven through the library too.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from hcloud import APIException
from hcloud.actions import ActionFailedException

from hcloud_sim.launcher import SimControl, SimulatorError, SimulatorProcess, start_simulator

from .conftest import SPEED, TOKEN, CheckedApi, fast_demo, fast_generated, make_client, server_id, wait_until
from .openapi import validate_response

# ------------------------------------------------------------------------- actions_id_cap


def _start_actions(control: SimControl, count: int) -> list[int]:
    control.reset(fast_generated(count))
    servers = control.state()["servers"]
    return [control.lock(server["id"], "rebuild", 600)["action"]["id"] for server in servers]


def test_actions_by_id_answer_the_first_25_ids_asked_for(api: CheckedApi, control: SimControl) -> None:
    action_ids = _start_actions(control, 30)
    asked = list(reversed(action_ids))  # the first 25 asked for are not the 25 lowest ids
    body = api.get("/actions?" + "&".join(f"id={action_id}" for action_id in asked) + "&per_page=50")
    assert set(body) == {"actions"}  # as in the OpenAPI document: no meta
    assert [action["id"] for action in body["actions"]] == sorted(asked[:25])
    assert control.state()["settings"]["actions_id_cap"] == 25


def test_actions_id_cap_can_be_raised(api: CheckedApi, control: SimControl) -> None:
    action_ids = _start_actions(control, 30)
    control.settings(actions_id_cap=50)
    body = api.get("/actions?" + "&".join(f"id={action_id}" for action_id in action_ids))
    assert [action["id"] for action in body["actions"]] == action_ids
    with pytest.raises(SimulatorError, match="actions_id_cap"):
        control.settings(actions_id_cap=0)


# ------------------------------------------------------------------------- failed_image


def _failing_snapshot(api: CheckedApi, control: SimControl, code: str = "action_failed") -> tuple[dict, dict]:
    control.action_fault("create_image", code=code, message="it failed")
    body = api.post(f"/servers/{server_id(control, 'web1')}/actions/create_image", {"description": "doomed"})
    action = wait_until(lambda: (found := api.get(f"/actions/{body['action']['id']}")["action"])["status"] == "error" and found)
    return action, body["image"]


def test_a_failed_create_image_leaves_an_unavailable_image(api: CheckedApi, control: SimControl) -> None:
    action, image = _failing_snapshot(api, control)
    assert action["error"] == {"code": "action_failed", "message": "it failed"}
    left = api.get(f"/images/{image['id']}")["image"]
    assert (left["status"], left["image_size"]) == ("unavailable", None)
    assert [found["id"] for found in api.get("/images?type=snapshot&status=unavailable")["images"]] == [image["id"]]
    api.call("DELETE", f"/images/{image['id']}", 204)


def test_failed_image_delete_leaves_nothing(api: CheckedApi, control: SimControl) -> None:
    control.settings(failed_image="delete")
    _action, image = _failing_snapshot(api, control)
    assert api.get(f"/images/{image['id']}", expect=404)["error"]["code"] == "not_found"
    assert api.get("/images?status=unavailable")["images"] == []


# ------------------------------------------------------------------------- action faults with code locked


@pytest.mark.parametrize(("failed_image", "left"), [("unavailable", ["unavailable"]), ("delete", [])])
def test_an_accepted_action_can_end_in_locked(client, control: SimControl, failed_image: str, left: list[str]) -> None:
    control.settings(failed_image=failed_image)
    fault = control.action_fault("create_image", code="locked", message="")["action_fault"]
    assert fault["code"] == "locked"
    result = client.servers.create_image(client.servers.get_by_name("web2"), description="raced")
    assert result.action.status == "running"  # accepted
    with pytest.raises(ActionFailedException) as caught:
        result.action.wait_until_finished()
    assert caught.value.action.error["code"] == "locked"
    assert [image["status"] for image in control.state()["images"] if image["description"] == "raced"] == left


def test_a_locked_action_fault_has_the_documented_message_by_default(control: SimControl) -> None:
    fault = control.request("POST", "/action_faults", {"command": "create_image", "code": "locked"})["action_fault"]
    assert fault["message"] == "cannot perform operation because server is locked"


# ------------------------------------------------------------------------- progress


def test_progress_rises_linearly_by_default(api: CheckedApi, control: SimControl) -> None:
    action = control.lock("web1", "rebuild", 40)["action"]  # 2 s real
    seen = wait_until(lambda: (found := api.get(f"/actions/{action['id']}")["action"])["progress"] > 0 and found)
    assert seen["status"] == "running" and 0 < seen["progress"] < 100


def test_progress_stuck_stays_at_0_until_the_end(api: CheckedApi, control: SimControl) -> None:
    control.settings(progress="stuck")
    action = control.lock("web1", "rebuild", 40)["action"]  # 2 s real
    seen = []
    while (found := api.get(f"/actions/{action['id']}")["action"])["status"] == "running":
        seen.append(found["progress"])
    assert seen and set(seen) == {0}
    assert (found["status"], found["progress"]) == ("success", 100)


# ------------------------------------------------------------------------- datacenters


def test_datacenters_removed_by_default(sim: SimulatorProcess, api: CheckedApi, control: SimControl) -> None:
    server = api.get(f"/servers/{server_id(control, 'web1')}")["server"]
    assert "datacenter" not in server and server["location"]["name"] == "fsn1"
    control.clear_requests()
    for path in ("/datacenters", "/datacenters/4"):
        assert api.get(path, expect=410)["error"]["code"] == "deprecated_api_endpoint"
    assert [entry["deprecated"] for entry in control.requests()] == [True, True]
    client = make_client(sim.url)
    assert client.servers.get_by_name("web1").location.name == "fsn1"
    with pytest.raises(APIException) as caught, pytest.warns(DeprecationWarning, match="datacenters"):
        client.datacenters.get_all()
    assert caught.value.code == "deprecated_api_endpoint"


def test_datacenters_present_as_before_2026_07(sim: SimulatorProcess, api: CheckedApi, control: SimControl) -> None:
    control.settings(datacenters="present")
    server = api.get(f"/servers/{server_id(control, 'web1')}")["server"]
    assert server["datacenter"]["location"]["name"] == server["location"]["name"] == "fsn1"
    datacenters = api.get("/datacenters")
    assert datacenters["recommendation"] in [dc["id"] for dc in datacenters["datacenters"]]
    assert api.get(f"/datacenters/{datacenters['datacenters'][0]['id']}")["datacenter"]["location"]
    with pytest.warns(DeprecationWarning, match="2026-06-02-datacenters-deprecated"):  # hcloud 2.27 warns too
        assert "fsn1-dc14" in [dc.name for dc in make_client(sim.url).datacenters.get_all()]


# ------------------------------------------------------------------------- invisible locks


def test_a_lock_without_a_visible_action(sim: SimulatorProcess, api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    answer = control.lock("web1", "rebuild", 40, visible=False)  # 2 s real
    assert set(answer) == {"lock"} and answer["lock"]["visible"] is False and answer["lock"]["server_id"] == web1
    assert [lock["server_id"] for lock in control.state()["hidden_locks"]] == [web1]
    error = api.post(f"/servers/{web1}/actions/create_image", {"description": "x"}, expect=423)["error"]
    assert error["code"] == "locked"
    assert api.post(f"/servers/{web1}/actions/reboot", None, expect=423)["error"]["code"] == "locked"
    assert api.get(f"/servers/{web1}/actions?status=running")["actions"] == []
    assert [action for action in api.get("/servers/actions?status=running")["actions"] if action["resources"][0]["id"] == web1] == []
    assert api.get(f"/servers/{web1}")["server"]["locked"] is False
    with pytest.raises(SimulatorError, match="423"):
        control.lock("web1", "rebuild", 1)
    client = make_client(sim.url)
    with pytest.raises(APIException) as caught:
        client.servers.create_image(client.servers.get_by_id(web1), description="x")
    assert caught.value.code == "locked"
    made = wait_until(lambda: api.call("POST", f"/servers/{web1}/actions/create_image", json={"description": "after"}).status_code == 201, timeout=10)
    assert made
    assert control.state()["hidden_locks"] == []


def test_a_visible_lock_lists_its_action(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    action = control.lock("web1", "rebuild", 40)["action"]
    assert [found["id"] for found in api.get(f"/servers/{web1}/actions?status=running")["actions"]] == [action["id"]]
    assert api.get(f"/servers/{web1}")["server"]["locked"] is True


def test_invisible_locks_in_the_initial_state_and_bad_input(api: CheckedApi, control: SimControl) -> None:
    state = fast_demo()
    web2 = next(server for server in state["servers"] if server["name"] == "web2")
    web2["locks"] = [{"command": "rebuild", "seconds": 600, "visible": False}]
    control.reset(state)
    assert api.post(f"/servers/{server_id(control, 'web2')}/actions/create_image", {}, expect=423)["error"]["code"] == "locked"
    with pytest.raises(SimulatorError, match="invisible lock"):
        control.request("POST", "/servers/web1/lock", {"command": "create_image", "seconds": 5, "visible": False, "image": {"description": "x"}})


# ------------------------------------------------------------------------- read-only tokens


@pytest.fixture(scope="module")
def read_only_sim():
    with start_simulator(["--state", "demo", "--speed", str(SPEED), "--read-only-token", "ro-one", "--read-only-token", "ro-two"]) as process:
        yield process


@pytest.mark.parametrize("token", ["ro-one", "ro-two"])
def test_a_read_only_token_reads_but_does_not_write(read_only_sim: SimulatorProcess, token: str) -> None:
    api = CheckedApi(read_only_sim.base_url, token)
    web1 = next(server for server in api.get("/servers")["servers"] if server["name"] == "web1")
    error = api.post(f"/servers/{web1['id']}/actions/create_image", {"description": "x"}, expect=403)["error"]
    assert error == {"code": "token_readonly", "message": "the token is only allowed to perform GET requests", "details": {}}
    assert api.call("DELETE", "/images/500001", 403).json()["error"]["code"] == "token_readonly"
    assert api.call("PUT", "/images/500001", 403, json={"description": "x"}).json()["error"]["code"] == "token_readonly"
    state = read_only_sim.control.state()
    assert [image for image in state["images"] if image["description"] == "x"] == []
    assert [action for action in state["actions"] if action["command"] != "create_image"] == []
    client = make_client(read_only_sim.url, token)
    with pytest.raises(APIException) as caught:
        client.servers.create_image(client.servers.get_by_name("web1"), description="y")
    assert caught.value.code == "token_readonly"
    control = requests.get(f"{read_only_sim.base_url}/_sim/state", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert control.status_code == 401


def test_the_full_token_still_writes(read_only_sim: SimulatorProcess) -> None:
    api = CheckedApi(read_only_sim.base_url, TOKEN)
    web2 = next(server for server in api.get("/servers")["servers"] if server["name"] == "web2")
    assert api.post(f"/servers/{web2['id']}/actions/create_image", {"description": "full"})["image"]["description"] == "full"


# ------------------------------------------------------------------------- deprecated endpoints


def test_deprecated_endpoints_answer_and_are_marked_in_the_log(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    body = api.post(f"/servers/{web1}/actions/create_image", {"description": "d"})
    action_id, image_id = body["action"]["id"], body["image"]["id"]
    control.clear_requests()
    assert api.get(f"/servers/{web1}/actions/{action_id}")["action"]["id"] == action_id
    assert api.get(f"/images/{image_id}/actions/{action_id}")["action"]["id"] == action_id
    api.get(f"/servers/{web1}/actions")
    api.get(f"/actions/{action_id}")
    api.get(f"/actions?id={action_id}")
    api.get("/actions", expect=410)
    marks = [(entry["path"], entry["deprecated"]) for entry in control.requests()]
    assert marks == [
        (f"/v1/servers/{web1}/actions/{action_id}", True),
        (f"/v1/images/{image_id}/actions/{action_id}", True),
        (f"/v1/servers/{web1}/actions", False),
        (f"/v1/actions/{action_id}", False),
        ("/v1/actions", False),
        ("/v1/actions", True),
    ]


# ------------------------------------------------------------------------- unknown body fields


@pytest.mark.parametrize(
    ("path", "body"),
    [("/servers/{web1}/actions/create_image", {"description": "x", "colour": "red"}), ("/servers/{web1}/actions/shutdown", {"force": True})],
)
def test_unknown_body_fields_are_refused(api: CheckedApi, control: SimControl, path: str, body: dict) -> None:
    unknown = next(name for name in body if name not in ("description",))
    error = api.post(path.format(web1=server_id(control, "web1")), body, expect=400)["error"]
    assert error["code"] == "invalid_input"
    assert error["message"] == f"invalid input in field '{unknown}': unknown field name"
    assert error["details"] == {"fields": [{"name": unknown, "messages": ["unknown field name"]}]}
    assert [action for action in control.state()["actions"] if action["resources"][0]["id"] == server_id(control, "web1")] == []


# ------------------------------------------------------------------------- snapshot durations


def test_snapshot_durations_default_to_30_s_plus_1_s_per_gb(sim: SimulatorProcess, control: SimControl) -> None:
    control.reset({"servers": [{"name": "big", "disk": 240}]})
    settings = control.state()["settings"]
    assert (settings["snapshot_seconds_base"], settings["snapshot_seconds_per_gb"]) == (30, 1)
    web = control.state()["servers"][0]
    action = CheckedApi(sim.base_url).post(f"/servers/{web['id']}/actions/create_image", {"description": "big"})["action"]
    [listed] = [item for item in control.state()["actions"] if item["id"] == action["id"]]
    real = (datetime.fromisoformat(listed["sim"]["ends_at"]) - datetime.fromisoformat(listed["started"])).total_seconds()
    assert abs(real - (30 + 240) / SPEED) <= 1  # 270 simulated seconds (4.5 minutes), compressed by --speed


# ------------------------------------------------------------------------- --setting


def test_setting_on_the_command_line_is_the_default_of_every_state(tmp_path) -> None:
    args = ["--state", "demo", "--setting", "actions_id_cap=50", "--setting", "failed_image=delete", "--setting", "progress=stuck"]
    with start_simulator(args) as sim:
        settings = sim.control.state()["settings"]
        assert (settings["actions_id_cap"], settings["failed_image"], settings["progress"], settings["datacenters"]) == (50, "delete", "stuck", "removed")
        sim.control.reset({"servers": [{"name": "a"}], "settings": {"progress": "linear"}})
        settings = sim.control.state()["settings"]
        assert (settings["actions_id_cap"], settings["failed_image"], settings["progress"]) == (50, "delete", "linear")
        sim.control.reset("demo")
        assert sim.control.state()["settings"]["actions_id_cap"] == 50
    with pytest.raises(SimulatorError, match="actions_id_cap"):
        start_simulator(["--setting", "actions_id_cap=none"], timeout=10)
    with pytest.raises(SimulatorError, match="NAME=VALUE"):
        start_simulator(["--setting", "actions_id_cap"], timeout=10)


# ------------------------------------------------------------------------- pricing


def test_pricing_as_the_document_describes_it(sim: SimulatorProcess, api: CheckedApi) -> None:
    pricing = api.get("/pricing")["pricing"]
    assert (pricing["currency"], pricing["vat_rate"]) == ("EUR", "19.00")
    assert pricing["image"]["price_per_gb_month"] == {"net": "0.0119000000", "gross": "0.0141610000"}
    assert {item["name"] for item in pricing["server_types"]} >= {"cx22", "cpx31"}
    through_library = make_client(sim.url).request("GET", "/pricing")["pricing"]  # hcloud 2.27 has no pricing client of its own
    assert through_library == pricing


def test_pricing_comes_from_the_initial_state(api: CheckedApi, control: SimControl) -> None:
    control.reset({**fast_demo(), "pricing": {"currency": "USD", "vat_rate": 0, "image_per_gb_month": "0.0143"}})
    pricing = api.get("/pricing")["pricing"]
    assert (pricing["currency"], pricing["vat_rate"]) == ("USD", "0.00")
    assert pricing["image"]["price_per_gb_month"] == {"net": "0.0143000000", "gross": "0.0143000000"}
    control.reset({**fast_demo(), "pricing": {"vat_rate": "20", "image_per_gb_month": 0.01}})
    assert api.get("/pricing")["pricing"]["image"]["price_per_gb_month"] == {"net": "0.0100000000", "gross": "0.0120000000"}
    for bad, message in (({"currency": "euro"}, "pricing.currency"), ({"image_per_gb_month": -1}, "pricing.image_per_gb_month"), ({"vat": 1}, "unknown key")):
        with pytest.raises(SimulatorError, match=message):
            control.reset({"servers": [], "pricing": bad})


def test_pricing_error_answers_are_documented(sim: SimulatorProcess) -> None:
    response = requests.get(f"{sim.url}/pricing", headers={"Authorization": "Bearer wrong"}, timeout=10)
    validate_response("GET", "/v1/pricing", response.status_code, response.json())
    assert response.status_code == 401
