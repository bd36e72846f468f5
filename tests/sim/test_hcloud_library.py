"""End to end with the official ``hcloud`` Python library."""

from __future__ import annotations

import time

import pytest
import requests
from hcloud import APIException
from hcloud.actions import ActionFailedException
from hcloud.images import Image
from hcloud.locations import Location
from hcloud.server_types import ServerType
from hcloud.servers import Server

from hcloud_sim.launcher import SimControl, SimulatorProcess, start_simulator

from .conftest import ED25519_KEY, ED25519_MD5, TOKEN, fast_demo, fast_generated, make_client
from .openapi import validate_response


def test_list_with_pagination_and_label_selectors(sim: SimulatorProcess, control: SimControl) -> None:
    control.reset(fast_generated(120, seed=3))
    client = make_client(sim.url)
    servers = client.servers.get_all()
    assert len(servers) == 120
    assert [server.name for server in servers[:3]] == ["srv-0001", "srv-0002", "srv-0003"]
    page = client.servers.get_list(page=3, per_page=50)
    assert len(page.servers) == 20
    assert page.meta.pagination.total_entries == 120
    assert page.meta.pagination.last_page == 3
    assert page.meta.pagination.previous_page == 2
    assert page.meta.pagination.next_page is None
    prod = client.servers.get_all(label_selector="env=prod")
    assert prod and all(server.labels["env"] == "prod" for server in prod)
    mixed = client.servers.get_all(label_selector="env in (staging,dev),role!=db")
    assert mixed and all(server.labels["env"] != "prod" and server.labels["role"] != "db" for server in mixed)
    assert len(prod) + len(client.servers.get_all(label_selector="env notin (prod)")) == 120
    off = client.servers.get_all(status=["off"])
    assert off and all(server.status == "off" for server in off)
    assert client.servers.get_by_name("srv-0042").name == "srv-0042"
    requests = control.requests()
    assert [entry["query"].get("page") for entry in requests[:3]] == [["1"], ["2"], ["3"]]


def test_create_image_and_wait(client, control: SimControl) -> None:
    control.settings(snapshot_seconds_base=20)  # one real second: long enough to see the lock
    web1 = client.servers.get_by_name("web1")
    result = client.servers.create_image(web1, description="before upgrade", type="snapshot", labels={"lockaware.hcloud/managed": "true"})
    assert result.action.status == "running"
    assert result.action.command == "create_image"
    assert result.image.status == "creating"
    assert result.image.created_from.name == "web1"
    assert client.servers.get_by_id(web1.id).locked
    result.action.wait_until_finished()
    assert result.action.status == "success"
    assert result.action.progress == 100
    image = client.images.get_by_id(result.image.id)
    assert image.status == "available"
    assert image.image_size > 0
    assert image.labels == {"lockaware.hcloud/managed": "true"}
    assert not client.servers.get_by_id(web1.id).locked
    snapshots = client.images.get_all(type=["snapshot"], label_selector="lockaware.hcloud/managed=true")
    assert image.id in [snapshot.id for snapshot in snapshots]
    assert len(snapshots) == 4


def test_locked_server_answers_423_then_succeeds(client) -> None:
    sg5 = client.servers.get_by_name("sg5")
    assert sg5.locked
    with pytest.raises(APIException) as caught:
        client.servers.create_image(sg5, description="mine")
    assert caught.value.code == "locked"
    assert caught.value.message == "cannot perform operation because server is locked"
    assert caught.value.correlation_id
    deadline = time.monotonic() + 10
    while client.servers.get_by_id(sg5.id).locked:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    client.servers.create_image(sg5, description="mine").action.wait_until_finished()


def test_protected_delete_and_quota(client, control: SimControl) -> None:
    protected = [image for image in client.images.get_all(type=["snapshot"]) if image.protection["delete"]]
    assert len(protected) == 2
    with pytest.raises(APIException) as caught:
        client.images.delete(protected[0])
    assert caught.value.code == "protected"
    control.settings(snapshot_quota=6)
    with pytest.raises(APIException) as caught:
        client.servers.create_image(client.servers.get_by_name("web1"), description="over quota")
    assert caught.value.code == "resource_limit_exceeded"
    client.images.change_protection(protected[0], delete=False).wait_until_finished()
    assert client.images.delete(protected[0]) is True
    client.servers.create_image(client.servers.get_by_name("web1"), description="fits again").action.wait_until_finished()


def test_invalid_labels(client) -> None:
    with pytest.raises(APIException) as caught:
        client.servers.create_image(Server(id=client.servers.get_by_name("web1").id), labels={"lockaware.hcloud/managed": "not ok!"})
    assert caught.value.code == "invalid_input"
    assert caught.value.details["fields"][0]["name"] == "labels"


def test_wrong_token_and_deprecated_actions_list(sim: SimulatorProcess, client) -> None:
    with pytest.raises(APIException) as caught:
        make_client(sim.url, token="not-the-token").servers.get_all()
    assert caught.value.code == "unauthorized"
    with pytest.raises(APIException) as caught:
        client.request("GET", "/actions")
    assert caught.value.code == "deprecated_api_endpoint"


def test_failed_snapshot_action(client, control: SimControl) -> None:
    control.action_fault("create_image", times=1, code="action_failed", message="image creation failed")
    result = client.servers.create_image(client.servers.get_by_name("web2"), description="will fail")
    with pytest.raises(ActionFailedException) as caught:
        result.action.wait_until_finished()
    assert caught.value.action.error == {"code": "action_failed", "message": "image creation failed"}
    assert client.images.get_by_id(result.image.id).status == "unavailable"  # failed_image: unavailable, the default
    assert not client.servers.get_by_name("web2").locked


def test_failed_snapshot_action_with_failed_image_delete(client, control: SimControl) -> None:
    control.settings(failed_image="delete")
    control.action_fault("create_image", times=1, code="action_failed", message="image creation failed")
    result = client.servers.create_image(client.servers.get_by_name("web2"), description="will fail")
    with pytest.raises(ActionFailedException):
        result.action.wait_until_finished()
    with pytest.raises(APIException) as missing:
        client.images.get_by_id(result.image.id)
    assert missing.value.code == "not_found"


def test_power_cycle(client) -> None:
    worker = client.servers.get_by_name("worker1")
    client.servers.shutdown(worker).wait_until_finished()
    assert client.servers.get_by_id(worker.id).status == "off"
    client.servers.power_on(worker).wait_until_finished()
    assert client.servers.get_by_id(worker.id).status == "running"
    client.servers.reboot(worker).wait_until_finished()
    client.servers.power_off(worker).wait_until_finished()
    assert client.servers.get_by_id(worker.id).status == "off"
    actions = client.servers.get_actions(worker, sort=["id:asc"])
    assert [action.command for action in actions] == ["shutdown", "poweron", "reboot", "poweroff"]


def test_rate_limit_429_with_headers() -> None:
    with start_simulator(["--fleet", "demo", "--rate-limit", "5"]) as limited:
        client = make_client(limited.url)
        for _attempt in range(5):
            client.locations.get_all()
        with pytest.raises(APIException) as caught:
            client.locations.get_all()
        assert caught.value.code == "rate_limit_exceeded"
        response = requests.get(f"{limited.url}/servers", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        assert response.status_code == 429
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == "0"
        assert int(response.headers["RateLimit-Reset"]) >= int(time.time()) + 3000
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
        validate_response("GET", "/v1/servers", 429, response.json())
        # the control API is not rate limited, and a reset refills the bucket
        limited.control.reset(fast_demo())
        assert client.locations.get_all()


def test_a_servers_whole_life(client, control: SimControl) -> None:
    key = client.ssh_keys.create(name="alice", public_key=ED25519_KEY, labels={"team": "ops"})
    assert key.fingerprint == ED25519_MD5
    assert client.ssh_keys.get_by_fingerprint(ED25519_MD5).name == "alice"
    snapshot = next(image for image in client.images.get_all(type=["snapshot"]) if image.status == "available" and image.created_from.name == "db1")
    # (not status=[...]: hcloud 2.27 sends the page size as the status)
    created = client.servers.create(
        "restored", server_type=ServerType(name="cx42"), image=Image(id=snapshot.id), location=Location(name="hel1"), ssh_keys=[key], labels={"from": "db1"}
    )
    assert created.root_password is None
    assert created.action.command == "create_server"
    assert [action.command for action in created.next_actions] == ["start_server"]
    created.action.wait_until_finished()
    for action in created.next_actions:
        action.wait_until_finished()
    server = client.servers.get_by_name("restored")
    assert (server.status, server.image.id, server.location.name, server.labels) == ("running", snapshot.id, "hel1", {"from": "db1"})
    client.servers.update(server, labels={"from": "db1", "restored": "yes"})
    assert client.servers.get_by_id(server.id).labels == {"from": "db1", "restored": "yes"}
    rebuilt = client.servers.rebuild(server, Image(name="debian-13"))
    assert rebuilt.root_password is None  # created with an SSH key
    rebuilt.action.wait_until_finished()
    assert client.servers.get_by_id(server.id).image.name == "debian-13"
    client.servers.change_protection(server, delete=True, rebuild=True).wait_until_finished()
    with pytest.raises(APIException) as caught:
        client.servers.delete(server)
    assert caught.value.code == "protected"
    with pytest.raises(APIException) as caught:
        client.servers.rebuild(server, Image(name="debian-12"))
    assert caught.value.code == "protected"
    client.servers.change_protection(server, delete=False, rebuild=False).wait_until_finished()
    client.servers.delete(server).wait_until_finished()
    assert client.servers.get_by_name("restored") is None
    assert client.images.get_by_id(snapshot.id).created_from.name == "db1"  # snapshots stay
    client.ssh_keys.update(key, name="alice-old", labels={})
    assert client.ssh_keys.get_by_id(key.id).name == "alice-old"
    assert client.ssh_keys.delete(key) is True
    assert client.ssh_keys.get_all() == []


def test_server_life_refusals(client) -> None:
    with pytest.raises(APIException) as caught:
        client.servers.create("web1", server_type=ServerType(name="cx22"), image=Image(name="debian-12"))
    assert caught.value.code == "uniqueness_error"
    with pytest.raises(APIException) as caught:
        client.ssh_keys.create(name="broken", public_key="ssh-ed25519 AAAA")
    assert (caught.value.code, caught.value.details["fields"][0]["name"]) == ("invalid_input", "public_key")
    created = client.servers.create("fresh", server_type=ServerType(name="cpx22"), image=Image(name="ubuntu-24.04"))
    assert created.root_password
    with pytest.raises(APIException) as caught:
        client.servers.rebuild(created.server, Image(name="debian-12"))
    assert caught.value.code == "locked"  # still being created


def test_backups_type_rescue_and_reset(client, control: SimControl) -> None:
    control.settings(change_type_seconds=4, reset_seconds=2)
    legacy = client.servers.get_by_name("legacy")  # off
    client.servers.enable_backup(legacy).wait_until_finished()
    assert client.servers.get_by_id(legacy.id).backup_window is not None
    client.servers.disable_backup(legacy).wait_until_finished()
    assert client.servers.get_by_id(legacy.id).backup_window is None
    client.servers.change_type(legacy, ServerType(name="cx52"), upgrade_disk=True).wait_until_finished()
    changed = client.servers.get_by_id(legacy.id)
    assert (changed.server_type.name, changed.primary_disk_size, changed.status) == ("cx52", 320, "running")
    with pytest.raises(APIException) as caught:
        client.servers.change_type(changed, ServerType(name="cpx51"), upgrade_disk=False)
    assert caught.value.code == "server_not_stopped"
    rescue = client.servers.enable_rescue(changed, type="linux64")
    rescue.action.wait_until_finished()
    assert rescue.root_password and client.servers.get_by_id(legacy.id).rescue_enabled
    client.servers.reset(changed).wait_until_finished()
    assert not client.servers.get_by_id(legacy.id).rescue_enabled
    client.servers.enable_rescue(changed).action.wait_until_finished()
    client.servers.disable_rescue(changed).wait_until_finished()
    assert not client.servers.get_by_id(legacy.id).rescue_enabled
