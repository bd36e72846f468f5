"""The control API, the request log, and concurrent clients."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from hcloud import APIException

from hcloud_sim.http_server import SimRequestHandler, create_server
from hcloud_sim.initial_state import parse_initial_state
from hcloud_sim.launcher import SimControl, SimulatorError, SimulatorProcess
from hcloud_sim.simulator import Options

from .conftest import TOKEN, CheckedApi, make_client, server_id, wait_until


def test_state_lists_everything(control: SimControl) -> None:
    state = control.state()
    assert [server["name"] for server in state["servers"]] == ["web1", "web2", "db1", "sg5", "worker1", "legacy"]
    assert {image["type"] for image in state["images"]} == {"system", "snapshot", "backup"}
    [action] = state["actions"]
    assert action["command"] == "create_image"
    assert action["sim"]["ends_at"]
    assert state["settings"]["snapshot_seconds_base"] == 1
    assert state["speed"] == 20.0


def test_reset_with_a_spec_a_name_or_a_number(control: SimControl) -> None:
    assert control.reset({"servers": [{"name": "solo", "labels": {"env": "test"}}]}) == {"servers": 1}
    assert [server["name"] for server in control.state()["servers"]] == ["solo"]
    assert control.reset(12, seed=4) == {"servers": 12}
    assert control.reset("demo") == {"servers": 6}
    assert control.request("POST", "/reset", {"fleet": 3, "seed": 1}) == {"servers": 3}  # the older name of "state"
    assert control.request("POST", "/reset", {"state": 4}) == {"servers": 4}
    with pytest.raises(SimulatorError, match=r"servers\[0\]: unknown key\(s\) colour"):
        control.reset({"servers": [{"name": "x", "colour": "red"}]})
    assert control.reset("demo") == {"servers": 6}


def test_reset_clears_faults_and_the_request_log(sim: SimulatorProcess, control: SimControl) -> None:
    control.faults([{"path_regex": "x", "times": None}])
    control.action_fault("create_image", times=3)
    make_client(sim.url).locations.get_all()
    assert control.requests()
    control.reset("demo")
    assert control.requests() == []
    assert control.state()["faults"] == []
    assert control.state()["action_faults"] == []


def test_lock_by_name_or_id(sim: SimulatorProcess, control: SimControl) -> None:
    answer = control.lock("web1", "rebuild", 1000)
    assert (answer["action"]["command"], answer["action"]["status"]) == ("rebuild", "running")
    assert "image" not in answer
    client = make_client(sim.url)
    with pytest.raises(APIException) as caught:
        client.servers.create_image(client.servers.get_by_name("web1"))
    assert caught.value.code == "locked"
    with pytest.raises(SimulatorError, match="423"):
        control.lock(server_id(control, "web1"), "rebuild", 1)
    with pytest.raises(SimulatorError, match="404"):
        control.lock("nope", "rebuild", 1)
    with pytest.raises(SimulatorError, match="400"):
        control.lock("web2", "", 1)
    control.fail_action(answer["action"]["id"])
    assert not client.servers.get_by_name("web1").locked


def test_lock_with_an_image_and_a_failure(sim: SimulatorProcess, control: SimControl) -> None:
    answer = control.lock("web2", "create_image", 4, image={"description": "theirs", "labels": {"owner": "bob"}})
    image = answer["image"]
    assert (image["description"], image["labels"], image["status"]) == ("theirs", {"owner": "bob"}, "creating")
    assert answer["action"]["resources"][1] == {"id": image["id"], "type": "image"}
    client = make_client(sim.url)
    wait_until(lambda: client.images.get_by_id(image["id"]).status == "available")
    failing = control.lock("worker1", "create_image", 2, image={"description": "doomed"}, fail={"code": "action_failed", "message": "disk full"})
    action = client.actions.get_by_id(failing["action"]["id"])
    wait_until(lambda: action.reload() or action.status == "error")
    assert action.error == {"code": "action_failed", "message": "disk full"}
    assert [i["status"] for i in control.state()["images"] if i["description"] == "doomed"] == ["unavailable"]


def test_fail_action_now(sim: SimulatorProcess, control: SimControl) -> None:
    action = control.lock("web1", "rebuild", 1000)["action"]
    failed = control.fail_action(action["id"], "action_failed", "stopped by test")["action"]
    assert (failed["status"], failed["error"]["message"]) == ("error", "stopped by test")
    assert not make_client(sim.url).servers.get_by_name("web1").locked
    with pytest.raises(SimulatorError, match="409"):
        control.fail_action(action["id"])


def test_delete_server(sim: SimulatorProcess, control: SimControl) -> None:
    deleted = control.delete_server("db1")["server"]
    assert deleted["name"] == "db1"
    client = make_client(sim.url)
    with pytest.raises(APIException) as caught:
        client.servers.get_by_id(deleted["id"])
    assert caught.value.code == "not_found"
    assert client.images.get_all(type=["backup"], bound_to=[str(deleted["id"])]) == []
    assert len(client.images.get_all(type=["snapshot"])) == 6
    response = requests.delete(f"{sim.base_url}/_sim/servers/web1", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200


def test_control_needs_the_token(sim: SimulatorProcess) -> None:
    response = requests.get(f"{sim.base_url}/_sim/state", headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert response.status_code == 401
    assert requests.get(f"{sim.base_url}/_sim/nothing", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).status_code == 404


def test_added_tokens_are_accepted_until_cleared(sim: SimulatorProcess, control: SimControl) -> None:
    def status(token: str, method: str = "GET", path: str = "/servers") -> int:
        return requests.request(method, f"{sim.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    try:
        assert status("Z") == 401
        assert control.add_token("Z") == {"tokens": 1}
        assert control.add_token("ro-added", read_only=True) == {"tokens": 2}
        assert status("Z") == 200
        assert status("ro-added") == 200
        assert status("ro-added", "POST", "/servers/1/actions/poweron") == 403  # token_readonly
        control.reset("demo")  # tokens are the project's credentials, not its state: a reset keeps them
        assert status("Z") == 200
        with pytest.raises(SimulatorError, match="must be printable ASCII without spaces"):
            control.add_token("has space")
        with pytest.raises(SimulatorError, match="must be printable ASCII without spaces"):
            control.add_token("caf\u00e9")
        requests.delete(f"{sim.base_url}/_sim/tokens", headers={"Authorization": "Bearer Z"}, timeout=10).raise_for_status()
        assert status("Z") == 401  # the control API itself needs the token given at start or an added full one
    finally:
        control.clear_tokens()


def test_request_log(sim: SimulatorProcess, api: CheckedApi, control: SimControl) -> None:
    control.clear_requests()
    api.get("/servers?label_selector=env%3Dprod&page=1")
    api.get("/servers/999", expect=404)
    requests.get(f"{sim.url}/servers", headers={"Authorization": "Bearer wrong"}, timeout=10)
    control.state()
    log = control.requests()
    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("GET", "/v1/servers", 200),
        ("GET", "/v1/servers/999", 404),
        ("GET", "/v1/servers", 401),
    ]
    first = log[0]
    assert first["query"] == {"label_selector": ["env=prod"], "page": ["1"]}
    assert set(first) == {"time", "method", "path", "query", "status", "rate_limit_remaining", "correlation_id", "fault", "deprecated"}
    assert [entry["deprecated"] for entry in log] == [False, False, False]
    assert log[1]["rate_limit_remaining"] < first["rate_limit_remaining"]
    assert log[2]["rate_limit_remaining"] == log[1]["rate_limit_remaining"]  # a 401 takes no token
    assert len({entry["correlation_id"] for entry in log}) == 3
    control.clear_requests()
    assert control.requests() == []


def test_a_request_is_logged_before_its_answer_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # A client that reads the log once it has its answer must find its request: the entry is written before the
    # answer leaves (the reverse order lost the last request now and then on a loaded machine). In process, so
    # that the moment of sending can be watched.
    server = create_server(Options(port=0), parse_initial_state({"servers": [{"name": "solo"}]}))
    logged_at_send: list[int] = []
    send = SimRequestHandler._send

    def watched_send(handler: SimRequestHandler, response: object, correlation_id: str) -> None:
        logged_at_send.append(len(server.sim.requests.entries()))
        send(handler, response, correlation_id)

    monkeypatch.setattr(SimRequestHandler, "_send", watched_send)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        for _attempt in range(3):
            answer = requests.get(f"{server.base_url}/v1/servers", headers={"Authorization": "Bearer sim-token"}, timeout=10)
            assert answer.status_code == 200
    finally:
        server.shutdown()
        server.server_close()
    assert logged_at_send == [1, 2, 3]


def test_thirty_clients_snapshot_one_server_at_once(sim: SimulatorProcess, control: SimControl) -> None:
    control.settings(snapshot_seconds_base=600)  # the winner's action outlives the race
    web1 = server_id(control, "web1")
    barrier = threading.Barrier(30)
    session_headers = {"Authorization": f"Bearer {TOKEN}"}

    def create(index: int) -> int:
        barrier.wait()
        url = f"{sim.url}/servers/{web1}/actions/create_image"
        return requests.post(url, json={"description": f"race {index}"}, headers=session_headers, timeout=30).status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(create, range(30)))
    assert sorted(statuses) == [201] + [423] * 29
    assert len([image for image in control.state()["images"] if image["description"].startswith("race ")]) == 1


def test_many_clients_on_many_servers(sim: SimulatorProcess, control: SimControl) -> None:
    control.reset({"servers": [{"name": f"s{index}"} for index in range(40)], "settings": {"snapshot_seconds_base": 1, "snapshot_seconds_per_gb": 0}})
    client = make_client(sim.url)
    servers = client.servers.get_all()

    def snapshot(server) -> str:
        own = make_client(sim.url)
        result = own.servers.create_image(server, description=f"fork {server.name}")
        result.action.wait_until_finished()
        return own.images.get_by_id(result.image.id).status

    with ThreadPoolExecutor(max_workers=40) as pool:
        assert set(pool.map(snapshot, servers)) == {"available"}
    assert len(client.images.get_all(type=["snapshot"])) == 40


def test_a_backup_window_run_now_keeps_the_seven_newest_backups(sim: SimulatorProcess, control: SimControl) -> None:
    client = make_client(sim.url)
    server = client.servers.get_by_name("web1")
    server.enable_backup().wait_until_finished()
    made = []
    for _window in range(8):
        answer = control.backup_window("web1")
        assert (answer["action"]["command"], answer["image"]["type"], answer["image"]["status"]) == ("create_image", "backup", "creating")
        made.append(answer["image"]["id"])
        wait_until(lambda image_id=answer["image"]["id"]: client.images.get_by_id(image_id).status == "available")
    kept = sorted(image.id for image in client.images.get_all(type=["backup"]) if image.created_from.id == server.id)
    assert kept == made[1:]  # seven slots: the oldest went when the eighth was made


def test_a_backup_window_needs_backups_enabled(control: SimControl) -> None:
    with pytest.raises(SimulatorError, match="has no backups enabled"):
        control.backup_window("web2")
