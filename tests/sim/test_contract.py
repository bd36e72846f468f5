"""End to end, raw HTTP: every answer validated against the OpenAPI document."""

from __future__ import annotations

import pytest
import requests

from hcloud_sim.launcher import SimControl

from .conftest import CheckedApi, server_id, wait_until
from .openapi import KEPT_SPEC, SHARED_SPEC, spec_bytes, validate_response


def test_list_servers_and_pagination(api: CheckedApi) -> None:
    body = api.get("/servers")
    assert [server["name"] for server in body["servers"]] == ["web1", "web2", "db1", "sg5", "worker1", "legacy"]
    assert body["meta"]["pagination"] == {"page": 1, "per_page": 25, "previous_page": None, "next_page": None, "last_page": 1, "total_entries": 6}
    page = api.get("/servers?page=2&per_page=4")
    assert [server["name"] for server in page["servers"]] == ["worker1", "legacy"]
    assert page["meta"]["pagination"]["previous_page"] == 1
    assert api.get("/servers?per_page=500")["meta"]["pagination"]["per_page"] == 50
    server = body["servers"][0]
    assert server["public_net"]["ipv6"]["ip"].endswith("::/64")
    assert server["location"]["name"] == "fsn1"


def names(body: dict) -> list[str]:
    return [server["name"] for server in body["servers"]]


def ids(body: dict) -> list[int]:
    return [image["id"] for image in body["images"]]


def test_server_filters_and_sorting(api: CheckedApi) -> None:
    assert names(api.get("/servers?name=db1")) == ["db1"]
    assert names(api.get("/servers?status=off")) == ["legacy"]
    assert names(api.get("/servers?status=off&status=running")) == names(api.get("/servers"))
    assert names(api.get("/servers?label_selector=role in (db,storage)")) == ["db1", "sg5"]
    assert names(api.get("/servers?label_selector=env=prod,role!=web")) == ["db1", "sg5"]
    assert names(api.get("/servers?label_selector=!nothing,backup notin (daily)")) == ["worker1", "legacy"]
    assert names(api.get("/servers?sort=name:desc")) == ["worker1", "web2", "web1", "sg5", "legacy", "db1"]
    assert names(api.get("/servers?sort=id:desc"))[0] == "legacy"
    assert names(api.get("/servers?sort=created"))[0] == "legacy"


@pytest.mark.parametrize(
    ("query", "field"),
    [("label_selector=env in (prod", "label_selector"), ("sort=size", "sort"), ("status=sleeping", "status"), ("page=0", "page"), ("per_page=x", "per_page")],
)
def test_bad_list_parameters(api: CheckedApi, query: str, field: str) -> None:
    error = api.get(f"/servers?{query}", expect=400)["error"]
    assert error["code"] == "invalid_input"
    assert error["details"]["fields"][0]["name"] == field


def test_get_server_and_not_found(api: CheckedApi, control: SimControl) -> None:
    db1 = server_id(control, "db1")
    server = api.get(f"/servers/{db1}")["server"]
    assert (server["name"], server["protection"], server["backup_window"]) == ("db1", {"delete": True, "rebuild": True}, "02-06")
    assert api.get("/servers/999", expect=404)["error"]["code"] == "not_found"


def test_locked_server_and_its_action(api: CheckedApi, control: SimControl) -> None:
    sg5 = server_id(control, "sg5")
    server = api.get(f"/servers/{sg5}")["server"]
    assert server["locked"] is True
    [action] = api.get(f"/servers/{sg5}/actions")["actions"]
    assert (action["command"], action["status"]) == ("create_image", "running")
    error = api.post(f"/servers/{sg5}/actions/create_image", {"description": "x"}, expect=423)["error"]
    assert error == {"code": "locked", "message": "cannot perform operation because server is locked", "details": {}}
    assert api.get(f"/servers/{sg5}/actions/{action['id']}")["action"]["id"] == action["id"]
    assert api.get(f"/servers/actions/{action['id']}")["action"]["id"] == action["id"]
    assert api.get(f"/actions/{action['id']}")["action"]["id"] == action["id"]
    assert api.get(f"/servers/{server_id(control, 'web1')}/actions/{action['id']}", expect=404)["error"]["code"] == "not_found"
    wait_until(lambda: not api.get(f"/servers/{sg5}")["server"]["locked"])
    done = api.get(f"/actions/{action['id']}")["action"]
    assert (done["status"], done["progress"]) == ("success", 100)
    assert done["finished"] >= done["started"]


def test_create_image_answer(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    body = api.post(f"/servers/{web1}/actions/create_image", {"description": "nightly", "labels": {"lockaware.hcloud/managed": "true"}})
    action, image = body["action"], body["image"]
    assert (action["command"], action["status"], action["finished"], action["error"]) == ("create_image", "running", None, None)
    assert 0 <= action["progress"] < 100
    assert action["resources"] == [{"id": web1, "type": "server"}, {"id": image["id"], "type": "image"}]
    assert (image["type"], image["status"], image["image_size"], image["disk_size"]) == ("snapshot", "creating", None, 40)
    assert image["created_from"] == {"id": web1, "name": "web1"}
    assert (image["description"], image["labels"], image["protection"]) == ("nightly", {"lockaware.hcloud/managed": "true"}, {"delete": False})
    assert image["created"].endswith("+00:00")
    finished = wait_until(lambda: (a := api.get(f"/actions/{action['id']}")["action"])["status"] == "success" and a)
    assert finished["progress"] == 100
    available = api.get(f"/images/{image['id']}")["image"]
    assert available["status"] == "available"
    assert isinstance(available["image_size"], float)
    assert [a["id"] for a in api.get(f"/images/{image['id']}/actions")["actions"]] == [action["id"]]
    assert api.get(f"/images/{image['id']}/actions/{action['id']}")["action"]["status"] == "success"
    assert action["id"] in [a["id"] for a in api.get("/images/actions")["actions"]]
    assert api.get(f"/images/actions/{action['id']}")["action"]["command"] == "create_image"


def test_create_image_defaults(api: CheckedApi, control: SimControl) -> None:
    web2 = server_id(control, "web2")
    image = api.post(f"/servers/{web2}/actions/create_image", None)["image"]
    assert image["type"] == "snapshot"
    assert image["description"].startswith("web2-")
    assert image["labels"] == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "x", "name": "y"}, "name"),
        ({"description": 5}, "description"),
        ({"type": "app"}, "type"),
        ({"labels": {"bad key": "v"}}, "labels"),
        ({"labels": {"k": "-bad-"}}, "labels"),
        ({"labels": {"hetzner.cloud/reserved": "x"}}, "labels"),
        ({"labels": ["k"]}, "labels"),
        ({"labels": {"k": 1}}, "labels"),
    ],
)
def test_create_image_invalid_input_names_the_field(api: CheckedApi, control: SimControl, body: dict, field: str) -> None:
    error = api.post(f"/servers/{server_id(control, 'web1')}/actions/create_image", body, expect=400)["error"]
    assert error["code"] == "invalid_input"
    assert [item["name"] for item in error["details"]["fields"]] == [field]
    assert field in error["message"]


def test_bad_json(api: CheckedApi, control: SimControl) -> None:
    path = f"/servers/{server_id(control, 'web1')}/actions/create_image"
    response = api.call("POST", path, 400, data=b"{not json", headers={"Content-Type": "application/json"})
    assert response.json()["error"]["code"] == "json_error"
    response = api.call("POST", path, 400, data=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert response.json()["error"]["code"] == "json_error"


def test_quota(api: CheckedApi, control: SimControl) -> None:
    control.settings(snapshot_quota=7)  # db1 already has 6 snapshots
    web1 = server_id(control, "web1")
    api.post(f"/servers/{web1}/actions/create_image", {"description": "fits"})
    error = api.post(f"/servers/{server_id(control, 'web2')}/actions/create_image", {"description": "too many"}, expect=403)["error"]
    assert error["code"] == "resource_limit_exceeded"


def test_power_actions(api: CheckedApi, control: SimControl) -> None:
    control.settings(shutdown_seconds=20)  # one real second: long enough to see "stopping"
    worker = server_id(control, "worker1")
    shutdown = api.post(f"/servers/{worker}/actions/shutdown")["action"]
    assert shutdown["command"] == "shutdown"
    assert api.get(f"/servers/{worker}")["server"]["status"] == "stopping"
    wait_until(lambda: api.get(f"/servers/{worker}")["server"]["status"] == "off")
    again = api.post(f"/servers/{worker}/actions/shutdown")["action"]
    assert again["status"] == "success"
    api.post(f"/servers/{worker}/actions/poweron")
    wait_until(lambda: api.get(f"/servers/{worker}")["server"]["status"] == "running")
    wait_until(lambda: not api.get(f"/servers/{worker}")["server"]["locked"])
    api.post(f"/servers/{worker}/actions/poweroff")
    assert api.get(f"/servers/{worker}")["server"]["status"] == "off"
    wait_until(lambda: not api.get(f"/servers/{worker}")["server"]["locked"])
    reboot = api.post(f"/servers/{worker}/actions/reboot")["action"]
    assert reboot["command"] == "reboot"
    statuses = api.get(f"/servers/{worker}/actions?sort=id:desc&status=running")["actions"]
    assert [a["command"] for a in statuses] == ["reboot"]
    all_actions = api.get("/servers/actions?sort=command")["actions"]
    assert [a["command"] for a in all_actions if a["resources"][0]["id"] == worker] == ["poweroff", "poweron", "reboot", "shutdown", "shutdown"]
    listed = api.get(f"/actions?id={shutdown['id']}&id={reboot['id']}")["actions"]
    assert [a["id"] for a in listed] == [shutdown["id"], reboot["id"]]


def test_actions_list_without_id_is_gone(api: CheckedApi) -> None:
    error = api.get("/actions", expect=410)["error"]
    assert error["code"] == "deprecated_api_endpoint"
    assert api.get("/actions?status=running", expect=410)["error"]["code"] == "deprecated_api_endpoint"


def test_image_listing_filters(api: CheckedApi, control: SimControl) -> None:
    every = api.get("/images?per_page=50")["images"]
    assert {image["type"] for image in every} == {"system", "snapshot", "backup"}
    assert all(image["deprecated"] is None for image in every)
    with_deprecated = api.get("/images?include_deprecated=true&per_page=50")["images"]
    assert len(with_deprecated) == len(every) + 1
    snapshots = api.get("/images?type=snapshot")["images"]
    assert len(snapshots) == 6 and all(image["type"] == "snapshot" for image in snapshots)
    assert len(api.get("/images?type=snapshot&type=backup")["images"]) == 8
    assert len(api.get("/images?status=creating")["images"]) == 1
    managed = api.get("/images?label_selector=lockaware.hcloud/managed=true")["images"]
    assert len(managed) == 3
    db1 = server_id(control, "db1")
    [backup] = api.get(f"/images?bound_to={db1}")["images"]
    assert (backup["type"], backup["bound_to"]) == ("backup", db1)
    assert [image["name"] for image in api.get("/images?name=debian-12")["images"]] == ["debian-12"]
    assert api.get("/images?architecture=arm")["images"] == []
    assert ids(api.get("/images?type=snapshot&sort=created:desc"))[0] == max(ids(api.get("/images?type=snapshot")))
    assert api.get("/images?type=vm", expect=400)["error"]["details"]["fields"][0]["name"] == "type"
    assert api.get("/images?include_deprecated=maybe", expect=400)["error"]["code"] == "invalid_input"


def test_update_delete_and_protect_images(api: CheckedApi) -> None:
    snapshots = {image["description"]: image for image in api.get("/images?type=snapshot")["images"]}
    alice = snapshots["manual test by alice"]
    updated = api.call("PUT", f"/images/{alice['id']}", 200, json={"description": "renamed", "labels": {"x": "y"}}).json()["image"]
    assert (updated["description"], updated["labels"]) == ("renamed", {"x": "y"})
    error = api.call("PUT", f"/images/{alice['id']}", 400, json={"type": "backup"}).json()["error"]
    assert error["details"]["fields"][0]["name"] == "type"
    protect = api.post(f"/images/{alice['id']}/actions/change_protection", {"delete": True})["action"]
    assert (protect["command"], protect["status"]) == ("change_protection", "success")
    error = api.call("DELETE", f"/images/{alice['id']}", 423).json()["error"]
    assert error["code"] == "protected"
    api.post(f"/images/{alice['id']}/actions/change_protection", {"delete": False})
    response = api.call("DELETE", f"/images/{alice['id']}", 204)
    assert response.content == b""
    assert "Content-Type" not in response.headers
    api.call("GET", f"/images/{alice['id']}", 404)
    backup = api.get("/images?type=backup&status=available")["images"][0]
    converted = api.call("PUT", f"/images/{backup['id']}", 200, json={"type": "snapshot"}).json()["image"]
    assert (converted["type"], converted["bound_to"]) == ("snapshot", None)
    assert api.call("DELETE", "/images/1003", 403).json()["error"]["code"] == "forbidden"


def test_update_server_name_and_labels(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    before = api.get(f"/servers/{web1}")["server"]
    labels = dict(before["labels"], **{"lockaware.hcloud/powered-off": "20261202T033000Z", "just-a-key": ""})
    updated = api.call("PUT", f"/servers/{web1}", 200, json={"labels": labels}).json()["server"]
    assert (updated["name"], updated["labels"]) == ("web1", labels)
    assert api.get(f"/servers/{web1}")["server"]["labels"] == labels
    assert api.get("/servers?label_selector=lockaware.hcloud/powered-off")["servers"][0]["id"] == web1
    renamed = api.call("PUT", f"/servers/{web1}", 200, json={"name": "web1.example.com"}).json()["server"]
    assert (renamed["name"], renamed["labels"]) == ("web1.example.com", labels)  # labels not sent: kept
    emptied = api.call("PUT", f"/servers/{web1}", 200, json={"labels": {}}).json()["server"]
    assert emptied["labels"] == {}
    assert api.call("PUT", f"/servers/{web1}", 200, json={"name": "web1.example.com"}).json()["server"]["name"] == "web1.example.com"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "web2"}, 409, "uniqueness_error", "name"),
        ({"name": "not a hostname"}, 400, "invalid_input", "name"),
        ({"name": "-web"}, 400, "invalid_input", "name"),
        ({"labels": {"hetzner.cloud/x": "y"}}, 400, "invalid_input", "labels"),
        ({"labels": {"ok": "not: valid"}}, 400, "invalid_input", "labels"),
        ({"labels": {"k": "v" * 64}}, 400, "invalid_input", "labels"),
        ({"labels": {"ok": 1}}, 400, "invalid_input", "labels"),
        ({"status": "off"}, 400, "invalid_input", "status"),
    ],
)
def test_update_server_refusals(api: CheckedApi, control: SimControl, body: dict, status: int, code: str, field: str) -> None:
    web1 = server_id(control, "web1")
    before = api.get(f"/servers/{web1}")["server"]
    error = api.call("PUT", f"/servers/{web1}", status, json=body).json()["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == (code, field)
    after = api.get(f"/servers/{web1}")["server"]
    assert (after["name"], after["labels"]) == (before["name"], before["labels"])
    assert api.call("PUT", "/servers/999", 404, json={"labels": {}}).json()["error"]["code"] == "not_found"


def test_catalogue(api: CheckedApi) -> None:
    locations = api.get("/locations")["locations"]
    assert "fsn1" in [location["name"] for location in locations]
    assert api.get(f"/locations/{locations[0]['id']}")["location"] == locations[0]
    assert [location["name"] for location in api.get("/locations?name=hel1")["locations"]] == ["hel1"]
    server_types = api.get("/server_types?per_page=50")["server_types"]
    assert {"cx22", "cpx31"} <= {server_type["name"] for server_type in server_types}
    assert api.get(f"/server_types/{server_types[0]['id']}")["server_type"]["name"] == server_types[0]["name"]
    assert api.get("/locations/999", expect=404)["error"]["code"] == "not_found"


def test_unknown_route_wrong_method_and_wrong_token(sim, api: CheckedApi) -> None:
    response = api.session.get(f"{sim.url}/volumes", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    validate_response("GET", "/v1/volumes", 404, response.json())
    response = api.session.post(f"{sim.url}/servers", json={}, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
    validate_response("POST", "/v1/servers", 405, response.json())
    for headers in ({"Authorization": "Bearer wrong"}, {}, {"Authorization": "Basic c2ltLXRva2Vu"}, {"Authorization": "Bearer"}):
        response = requests.get(f"{sim.url}/servers", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        validate_response("GET", "/v1/servers", 401, response.json())
        assert response.headers["X-Correlation-Id"]
        assert response.headers["RateLimit-Limit"]


def test_the_validator_rejects_wrong_bodies(api: CheckedApi) -> None:
    server = api.get("/servers")["servers"][0]
    validate_response("GET", "/v1/servers/1", 200, {"server": server})
    broken = {key: value for key, value in server.items() if key != "locked"}
    with pytest.raises(AssertionError, match="locked"):
        validate_response("GET", "/v1/servers/1", 200, {"server": broken})
    with pytest.raises(AssertionError, match="status"):
        validate_response("GET", "/v1/servers/1", 200, {"server": {**server, "status": "sleeping"}})
    with pytest.raises(AssertionError, match="message"):
        validate_response("GET", "/v1/servers/1", 404, {"error": {"code": "not_found"}})


@pytest.mark.skipif(not SHARED_SPEC.is_file(), reason="../shared/hcloud-openapi.json is not there to compare with")
def test_the_kept_copy_of_the_document_is_identical() -> None:
    assert spec_bytes(KEPT_SPEC) == SHARED_SPEC.read_bytes()
    assert (KEPT_SPEC.parent / "hcloud-openapi.LICENSE").read_bytes() == (SHARED_SPEC.parent / "hcloud-openapi.LICENSE").read_bytes()
