"""End to end, raw HTTP: every answer validated against the OpenAPI document."""

from __future__ import annotations

import pytest
import requests

from hcloud_sim.launcher import SimControl, start_simulator

from .conftest import ED25519_KEY, ED25519_MD5, RSA_KEY, RSA_MD5, CheckedApi, server_id, wait_until
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
    assert [(image["name"], image["architecture"]) for image in api.get("/images?name=debian-12")["images"]] == [("debian-12", "x86"), ("debian-12", "arm")]
    arm = api.get("/images?architecture=arm")["images"]
    assert {(image["type"], image["name"]) for image in arm} == {("system", "ubuntu-24.04"), ("system", "debian-12"), ("system", "debian-13")}
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
    response = api.session.delete(f"{sim.url}/servers", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")
    validate_response("GET", "/v1/servers", 405, response.json())  # the document has no DELETE /servers: the error envelope of its GET
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


# ----------------------------------------------------------------- a server's life


def db1_snapshot(api: CheckedApi, control: SimControl) -> dict:
    """An available snapshot made from db1 (160 GB disk)."""
    return next(image for image in api.get("/images?type=snapshot&status=available&per_page=50")["images"] if image["created_from"]["name"] == "db1")


def action_done(api: CheckedApi, action_id: int) -> dict:
    """Wait for an action to end; its final state."""
    return wait_until(lambda: (a := api.get(f"/actions/{action_id}")["action"])["status"] != "running" and a)


def test_unknown_server_action_is_an_unknown_route(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    for path in (f"/servers/{web1}/actions/frobnicate", "/servers/999/actions/frobnicate"):
        response = api.session.post(f"{api.base_url}/v1{path}", json={}, timeout=10)
        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "not found", "details": {}}}  # as any unknown route
        validate_response("GET", "/v1/servers", 404, response.json())  # the document has no such path: the envelope of a known one
    error = api.post("/servers/999/actions/rebuild", {"image": "debian-12"}, expect=404)["error"]
    assert error["message"] == "server with ID '999' not found"
    response = api.session.get(f"{api.base_url}/v1/servers/{web1}/actions/rebuild", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")


def test_create_server_from_a_system_image(api: CheckedApi, control: SimControl) -> None:
    body = api.post("/servers", {"name": "new1", "server_type": "cpx22", "image": "debian-13", "location": "nbg1", "labels": {"env": "test"}})
    server, action, [start] = body["server"], body["action"], body["next_actions"]
    assert isinstance(body["root_password"], str) and len(body["root_password"]) == 20
    assert (server["name"], server["status"], server["locked"], server["labels"]) == ("new1", "initializing", True, {"env": "test"})
    assert (server["server_type"]["name"], server["location"]["name"], server["image"]["name"]) == ("cpx22", "nbg1", "debian-13")
    assert server["primary_disk_size"] == server["server_type"]["disk"]
    assert (action["command"], action["status"], action["resources"]) == ("create_server", "running", [{"id": server["id"], "type": "server"}])
    assert (start["command"], start["status"]) == ("start_server", "running")
    assert action_done(api, action["id"])["status"] == "success"
    assert action_done(api, start["id"])["status"] == "success"
    after = api.get(f"/servers/{server['id']}")["server"]
    assert (after["status"], after["locked"]) == ("running", False)
    by_id = api.post("/servers", {"name": "new2", "server_type": "104", "image": 1004, "location": "3", "start_after_create": False})
    assert (by_id["server"]["server_type"]["name"], by_id["server"]["image"]["name"], by_id["server"]["location"]["name"]) == ("cx22", "debian-12", "hel1")
    assert by_id["next_actions"] == []
    action_done(api, by_id["action"]["id"])
    assert api.get(f"/servers/{by_id['server']['id']}")["server"]["status"] == "off"


def test_create_server_from_a_snapshot_with_ssh_keys(api: CheckedApi, control: SimControl) -> None:
    key = api.post("/ssh_keys", {"name": "alice", "public_key": ED25519_KEY})["ssh_key"]
    snapshot = db1_snapshot(api, control)
    body = api.post("/servers", {"name": "restored", "server_type": "cx42", "image": str(snapshot["id"]), "ssh_keys": ["alice", key["id"]]})
    assert body["root_password"] is None
    assert body["server"]["image"]["id"] == snapshot["id"]
    assert body["server"]["location"]["name"] == "fsn1"
    action_done(api, body["next_actions"][0]["id"])
    assert api.get(f"/servers/{body['server']['id']}")["server"]["status"] == "running"
    arm = api.post("/servers", {"name": "arm1", "server_type": "cax11", "image": "ubuntu-24.04"})["server"]
    assert (arm["image"]["architecture"], arm["server_type"]["architecture"]) == ("arm", "arm")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "web1", "server_type": "cx22", "image": "debian-12"}, 409, "uniqueness_error", "name"),
        ({"name": "bad name", "server_type": "cx22", "image": "debian-12"}, 400, "invalid_input", "name"),
        ({"server_type": "cx22", "image": "debian-12"}, 400, "invalid_input", "name"),
        ({"name": "n", "server_type": "cx99", "image": "debian-12"}, 400, "invalid_input", "server_type"),
        ({"name": "n", "server_type": "cx11", "image": "debian-12"}, 400, "invalid_input", "server_type"),
        ({"name": "n", "server_type": "cx22", "image": "windows-95"}, 400, "invalid_input", "image"),
        ({"name": "n", "server_type": "cx22", "image": "debian-12", "location": "mars"}, 400, "invalid_input", "location"),
        ({"name": "n", "server_type": "cx22", "image": "debian-12", "ssh_keys": ["nobody"]}, 400, "invalid_input", "ssh_keys"),
        ({"name": "n", "server_type": "cx22", "image": "debian-12", "volumes": [1]}, 400, "invalid_input", "volumes"),
        ({"name": "n", "server_type": "cx22", "image": "debian-12", "colour": "red"}, 400, "invalid_input", "colour"),
        ({"name": "n", "server_type": "cx22", "image": "debian-12", "labels": {"hetzner.cloud/x": "y"}}, 400, "invalid_input", "labels"),
    ],
)
def test_create_server_refusals(api: CheckedApi, body: dict, status: int, code: str, field: str) -> None:
    before = len(api.get("/servers")["servers"])
    error = api.post("/servers", body, expect=status)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == (code, field)
    assert len(api.get("/servers")["servers"]) == before


def test_create_server_image_must_fit_the_type(api: CheckedApi, control: SimControl) -> None:
    snapshot = db1_snapshot(api, control)  # 160 GB
    error = api.post("/servers", {"name": "small", "server_type": "cx22", "image": snapshot["id"]}, expect=400)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == ("invalid_input", "server_type")


def test_create_server_from_a_backup_and_not_from_an_unfinished_image(api: CheckedApi, control: SimControl) -> None:
    [backup] = api.get(f"/images?type=backup&status=available&bound_to={server_id(control, 'db1')}")["images"]
    body = api.post("/servers", {"name": "from-backup", "server_type": "cpx41", "image": backup["id"], "start_after_create": False})
    assert (body["server"]["image"]["type"], body["server"]["image"]["id"], body["server"]["primary_disk_size"]) == ("backup", backup["id"], 240)
    [creating] = api.get("/images?status=creating")["images"]  # sg5's backup, still being made
    error = api.post("/servers", {"name": "too-early", "server_type": "cx52", "image": creating["id"]}, expect=400)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == ("invalid_input", "image")
    error = api.post("/servers", {"name": "on-arm", "server_type": "cax41", "image": backup["id"]}, expect=400)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == ("invalid_input", "image")  # an x86 image


def test_delete_server(api: CheckedApi, control: SimControl) -> None:
    db1 = server_id(control, "db1")
    snapshots = [image["id"] for image in api.get("/images?type=snapshot&per_page=50")["images"] if image["created_from"]["id"] == db1]
    assert api.get(f"/images?bound_to={db1}")["images"]
    error = api.call("DELETE", f"/servers/{db1}", 423).json()["error"]
    assert (error["code"], error["message"]) == ("protected", f"server {db1} is delete protected")
    assert api.call("DELETE", f"/servers/{server_id(control, 'sg5')}", 423).json()["error"]["code"] == "locked"
    protection = api.post(f"/servers/{db1}/actions/change_protection", {"delete": False, "rebuild": False})["action"]
    assert (protection["command"], protection["status"]) == ("change_protection", "success")
    action = api.call("DELETE", f"/servers/{db1}", 200).json()["action"]
    assert (action["command"], action["resources"]) == ("delete_server", [{"id": db1, "type": "server"}])
    assert action_done(api, action["id"])["status"] == "success"
    assert api.get(f"/servers/{db1}", expect=404)["error"]["code"] == "not_found"
    assert api.get(f"/images?bound_to={db1}")["images"] == []
    for image_id in snapshots:
        assert api.get(f"/images/{image_id}")["image"]["created_from"] == {"id": db1, "name": "db1"}
    assert api.call("DELETE", "/servers/999", 404).json()["error"]["code"] == "not_found"


def test_change_server_protection(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    error = api.post(f"/servers/{web1}/actions/change_protection", {"delete": True, "rebuild": False}, expect=400)["error"]
    assert error["code"] == "invalid_input"
    api.post(f"/servers/{web1}/actions/change_protection", {"delete": True, "rebuild": True})
    assert api.get(f"/servers/{web1}")["server"]["protection"] == {"delete": True, "rebuild": True}
    assert api.call("DELETE", f"/servers/{web1}", 423).json()["error"]["code"] == "protected"
    assert api.post(f"/servers/{web1}/actions/rebuild", {"image": "debian-12"}, expect=423)["error"]["code"] == "protected"
    api.post(f"/servers/{web1}/actions/change_protection", {"rebuild": False})
    assert api.get(f"/servers/{web1}")["server"]["protection"] == {"delete": True, "rebuild": False}
    assert api.post(f"/servers/{web1}/actions/change_protection", {"delete": "yes"}, expect=400)["error"]["details"]["fields"][0]["name"] == "delete"


def test_rebuild_server(api: CheckedApi, control: SimControl) -> None:
    control.settings(rebuild_seconds=30)  # 1.5 real seconds: long enough to see the lock
    web1 = server_id(control, "web1")
    body = api.post(f"/servers/{web1}/actions/rebuild", {"image": "debian-12"})
    action = body["action"]
    assert isinstance(body["root_password"], str)
    assert (action["command"], action["status"], action["resources"]) == ("rebuild_server", "running", [{"id": web1, "type": "server"}])
    during = api.get(f"/servers/{web1}")["server"]
    assert (during["status"], during["locked"], during["image"]["name"]) == ("rebuilding", True, "debian-12")
    assert api.post(f"/servers/{web1}/actions/rebuild", {"image": "debian-12"}, expect=423)["error"]["code"] == "locked"
    assert action_done(api, action["id"])["status"] == "success"
    after = api.get(f"/servers/{web1}")["server"]
    assert (after["id"], after["status"], after["locked"], after["public_net"]) == (web1, "running", False, during["public_net"])
    made = api.post(f"/servers/{web1}/actions/create_image", {"description": "own"})
    action_done(api, made["action"]["id"])
    from_snapshot = api.post(f"/servers/{web1}/actions/rebuild", {"image": str(made["image"]["id"])})
    assert from_snapshot["root_password"] is None
    action_done(api, from_snapshot["action"]["id"])
    assert api.get(f"/servers/{web1}")["server"]["image"]["id"] == made["image"]["id"]


def test_rebuild_refusals(api: CheckedApi, control: SimControl) -> None:
    web1, db1 = server_id(control, "web1"), server_id(control, "db1")
    assert api.post(f"/servers/{db1}/actions/rebuild", {"image": "debian-12"}, expect=423)["error"]["code"] == "protected"
    assert api.post(f"/servers/{server_id(control, 'sg5')}/actions/rebuild", {"image": "debian-12"}, expect=423)["error"]["code"] == "locked"
    too_big = db1_snapshot(api, control)["id"]
    error = api.post(f"/servers/{web1}/actions/rebuild", {"image": too_big}, expect=400)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == ("invalid_input", "image")
    for body, field in (({}, "image"), ({"image": "nothing"}, "image"), ({"image": "debian-12", "x": 1}, "x")):
        assert api.post(f"/servers/{web1}/actions/rebuild", body, expect=400)["error"]["details"]["fields"][0]["name"] == field
    assert api.get(f"/servers/{web1}")["server"]["image"]["name"] == "ubuntu-24.04"


def test_ssh_keys(api: CheckedApi, control: SimControl) -> None:
    created = api.post("/ssh_keys", {"name": "alice", "public_key": ED25519_KEY, "labels": {"team": "ops"}})["ssh_key"]
    assert (created["name"], created["fingerprint"], created["public_key"], created["labels"]) == ("alice", ED25519_MD5, ED25519_KEY, {"team": "ops"})
    bob = api.post("/ssh_keys", {"name": "bob", "public_key": RSA_KEY + "\n"})["ssh_key"]
    assert (bob["fingerprint"], bob["public_key"]) == (RSA_MD5, RSA_KEY)
    assert [key["name"] for key in api.get("/ssh_keys")["ssh_keys"]] == ["alice", "bob"]
    assert [key["name"] for key in api.get("/ssh_keys?name=bob")["ssh_keys"]] == ["bob"]
    assert [key["name"] for key in api.get(f"/ssh_keys?fingerprint={ED25519_MD5}")["ssh_keys"]] == ["alice"]
    assert [key["name"] for key in api.get("/ssh_keys?label_selector=team=ops")["ssh_keys"]] == ["alice"]
    assert [key["name"] for key in api.get("/ssh_keys?sort=name:desc&per_page=1")["ssh_keys"]] == ["bob"]
    assert api.get(f"/ssh_keys/{created['id']}")["ssh_key"] == created
    updated = api.call("PUT", f"/ssh_keys/{created['id']}", 200, json={"name": "alice2", "labels": {}}).json()["ssh_key"]
    assert (updated["name"], updated["labels"], updated["fingerprint"]) == ("alice2", {}, ED25519_MD5)
    assert api.call("PUT", f"/ssh_keys/{created['id']}", 409, json={"name": "bob"}).json()["error"]["code"] == "uniqueness_error"
    assert [key["name"] for key in control.state()["ssh_keys"]] == ["alice2", "bob"]
    assert api.call("DELETE", f"/ssh_keys/{created['id']}", 204).content == b""
    assert api.get(f"/ssh_keys/{created['id']}", expect=404)["error"]["code"] == "not_found"
    assert api.call("DELETE", f"/ssh_keys/{created['id']}", 404).json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"name": "bob", "public_key": ED25519_KEY}, 409, "uniqueness_error", "name"),
        ({"name": "carol", "public_key": RSA_KEY.replace("test2", "other comment")}, 409, "uniqueness_error", "public_key"),
        ({"name": "carol", "public_key": "not a key"}, 400, "invalid_input", "public_key"),
        ({"name": "carol", "public_key": "ssh-ed25519 !!!notbase64"}, 400, "invalid_input", "public_key"),
        ({"name": "carol", "public_key": RSA_KEY.replace("ssh-rsa", "ssh-ed25519")}, 400, "invalid_input", "public_key"),
        ({"name": "carol"}, 400, "invalid_input", "public_key"),
        ({"name": "", "public_key": ED25519_KEY}, 400, "invalid_input", "name"),
        ({"name": "carol", "public_key": ED25519_KEY, "labels": {"k": "not ok!"}}, 400, "invalid_input", "labels"),
    ],
)
def test_ssh_key_refusals(api: CheckedApi, body: dict, status: int, code: str, field: str) -> None:
    api.post("/ssh_keys", {"name": "bob", "public_key": RSA_KEY})
    error = api.post("/ssh_keys", body, expect=status)["error"]
    assert (error["code"], error["details"]["fields"][0]["name"]) == (code, field)
    assert len(api.get("/ssh_keys")["ssh_keys"]) == 1


def test_backups_on_and_off(api: CheckedApi, control: SimControl) -> None:
    web1, db1 = server_id(control, "web1"), server_id(control, "db1")
    assert api.get(f"/servers/{web1}")["server"]["backup_window"] is None
    enabled = api.post(f"/servers/{web1}/actions/enable_backup")["action"]
    assert (enabled["command"], enabled["status"]) == ("enable_backup", "success")
    window = api.get(f"/servers/{web1}")["server"]["backup_window"]
    assert window in ("22-02", "02-06", "06-10", "10-14", "14-18", "18-22")
    backup = api.post(f"/servers/{web1}/actions/create_image", {"type": "backup"})
    action_done(api, backup["action"]["id"])
    api.post(f"/servers/{web1}/actions/enable_backup")
    assert api.get(f"/servers/{web1}")["server"]["backup_window"] == window  # enabling again keeps the window
    assert api.post(f"/servers/{web1}/actions/disable_backup")["action"]["command"] == "disable_backup"
    assert api.get(f"/servers/{web1}")["server"]["backup_window"] is None
    assert api.get(f"/images?bound_to={web1}")["images"] == []
    assert api.get(f"/images/{backup['image']['id']}", expect=404)["error"]["code"] == "not_found"
    assert api.post(f"/servers/{db1}/actions/disable_backup", {"x": 1}, expect=400)["error"]["details"]["fields"][0]["name"] == "x"
    assert api.post(f"/servers/{server_id(control, 'sg5')}/actions/disable_backup", expect=423)["error"]["code"] == "locked"


def test_change_type(api: CheckedApi, control: SimControl) -> None:
    control.settings(change_type_seconds=20)  # one real second
    legacy = server_id(control, "legacy")  # off
    before = api.get(f"/servers/{legacy}")["server"]
    error = api.post(f"/servers/{server_id(control, 'web1')}/actions/change_type", {"server_type": "cx32", "upgrade_disk": True}, expect=400)["error"]
    assert error["code"] == "server_not_stopped"
    for server_type in ("cax21", "cx11", "cpx11" if before["primary_disk_size"] > 40 else "cx99"):
        error = api.post(f"/servers/{legacy}/actions/change_type", {"server_type": server_type, "upgrade_disk": True}, expect=400)["error"]
        assert error["code"] in ("invalid_server_type", "invalid_input"), server_type
    assert api.post(f"/servers/{legacy}/actions/change_type", {"server_type": "cx52"}, expect=400)["error"]["details"]["fields"][0]["name"] == "upgrade_disk"
    action = api.post(f"/servers/{legacy}/actions/change_type", {"server_type": "cx52", "upgrade_disk": False})["action"]
    assert (action["command"], action["status"]) == ("change_server_type", "running")
    assert api.get(f"/servers/{legacy}")["server"]["status"] == "migrating"
    action_done(api, action["id"])
    after = api.get(f"/servers/{legacy}")["server"]
    assert (after["server_type"]["name"], after["primary_disk_size"], after["status"]) == ("cx52", before["primary_disk_size"], "running")
    api.post(f"/servers/{legacy}/actions/poweroff")
    wait_until(lambda: not api.get(f"/servers/{legacy}")["server"]["locked"])
    action_done(api, api.post(f"/servers/{legacy}/actions/change_type", {"server_type": "cx52", "upgrade_disk": True})["action"]["id"])
    assert api.get(f"/servers/{legacy}")["server"]["primary_disk_size"] == 320


def test_rescue_and_reset(api: CheckedApi, control: SimControl) -> None:
    web1 = server_id(control, "web1")
    body = api.post(f"/servers/{web1}/actions/enable_rescue", {"type": "linux64"})
    assert (body["action"]["command"], body["action"]["status"], len(body["root_password"])) == ("enable_rescue", "success", 20)
    assert api.get(f"/servers/{web1}")["server"]["rescue_enabled"] is True
    assert api.post(f"/servers/{web1}/actions/disable_rescue")["action"]["command"] == "disable_rescue"
    assert api.get(f"/servers/{web1}")["server"]["rescue_enabled"] is False
    key = api.post("/ssh_keys", {"name": "alice", "public_key": ED25519_KEY})["ssh_key"]
    assert len(api.post(f"/servers/{web1}/actions/enable_rescue", {"ssh_keys": [key["id"]]})["root_password"]) == 20
    assert api.post(f"/servers/{web1}/actions/enable_rescue", {"ssh_keys": [999]}, expect=400)["error"]["details"]["fields"][0]["name"] == "ssh_keys"
    assert api.post(f"/servers/{web1}/actions/enable_rescue", {"type": "freebsd64"}, expect=400)["error"]["details"]["fields"][0]["name"] == "type"
    reset = api.post(f"/servers/{web1}/actions/reset")["action"]
    assert (reset["command"], reset["status"]) == ("reset_server", "running")
    assert api.get(f"/servers/{web1}")["server"]["rescue_enabled"] is False  # booted into it: off again
    assert action_done(api, reset["id"])["status"] == "success"
    assert api.get(f"/servers/{web1}")["server"]["status"] == "running"


def test_automatic_backups_as_simulated_days_pass() -> None:
    with start_simulator(["--state", "demo", "--speed", "86400", "--setting", "automatic_backups=daily"]) as fast:  # a simulated day a second
        api = CheckedApi(fast.base_url)
        db1 = next(server for server in api.get("/servers?name=db1")["servers"])
        assert db1["backup_window"] == "02-06"
        made = wait_until(lambda: len(backups := api.get(f"/images?type=backup&bound_to={db1['id']}&status=available")["images"]) >= 3 and backups, timeout=20)
        assert all(image["created_from"] == {"id": db1["id"], "name": "db1"} for image in made)
        wait_until(lambda: len(api.get(f"/images?type=backup&bound_to={db1['id']}")["images"]) == 7, timeout=30)
        for server in api.get("/servers")["servers"]:
            expected = 0 if server["backup_window"] is None else 7
            wait_until(lambda server=server, expected=expected: len(api.get(f"/images?type=backup&bound_to={server['id']}")["images"]) == expected, timeout=30)
