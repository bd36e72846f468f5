# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for _api.HcloudApi with a fake client: pagination, lookups, retried reads and writes sent once."""

from __future__ import annotations

import threading

import pytest
import requests
from hcloud import APIException

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import PER_PAGE, HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.api._servers import AmbiguousServer, ServerNotFound
from ansible_collections.lockaware.hcloud.plugins.module_utils.waiting._timing import Deadline
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeClock, FakeRateLimit, make_action, make_image, make_server


def api_error(code, message="boom"):
    return APIException(code=code, message=message, details=None, correlation_id="abc")


class FakeClient:
    """``request(method, path, **kwargs)`` answered by a handler; failures scripted per (method, path)."""

    def __init__(self, handler):
        self.handler = handler
        self.calls = []
        self.failures = {}
        self._lock = threading.Lock()

    def request(self, method, path, params=None, json=None):
        with self._lock:
            self.calls.append((method, path, dict(params or {}), json))
            queue = self.failures.get((method, path))
            if queue:
                raise queue.pop(0)
        return self.handler(method, path, params or {}, json)


def paged(items, key, params, with_last_page=True):
    page, per_page = params["page"], params["per_page"]
    last = max(1, -(-len(items) // per_page))
    pagination = {"page": page, "per_page": per_page, "next_page": page + 1 if page < last else None}
    if with_last_page:
        pagination["last_page"] = last
    return {key: items[(page - 1) * per_page : page * per_page], "meta": {"pagination": pagination}}


def make_hcloud_api(handler):
    clock = FakeClock()
    client = FakeClient(handler)
    return HcloudApi(client, FakeRateLimit(), clock=clock, read_patience=60), client, clock


IMAGES = [make_image(i) for i in range(1, 2 * PER_PAGE + 8)]


def images_handler(with_last_page=True):
    def handler(method, path, params, json):  # pylint: disable=unused-argument
        assert (method, path) == ("GET", "/images")
        return paged(IMAGES, "images", params, with_last_page)

    return handler


def test_get_all_follows_next_page():
    api, client, _transport = make_hcloud_api(images_handler())
    assert api.get_all("/images", "images") == IMAGES
    assert [call[2]["page"] for call in client.calls] == [1, 2, 3]
    assert all(call[2]["per_page"] == PER_PAGE for call in client.calls)


def test_snapshots_filters_by_type_and_labels():
    api, client, _transport = make_hcloud_api(images_handler())
    api.snapshots("a=1")
    assert client.calls[0][2] == {"type": "snapshot", "label_selector": "a=1", "sort": ["created:desc", "id:asc"], "page": 1, "per_page": PER_PAGE}
    client.calls.clear()
    api.snapshots(None)
    assert "label_selector" not in client.calls[0][2]


@pytest.mark.parametrize("with_last_page", [True, False])
def test_get_all_concurrently_keeps_the_api_order(with_last_page):
    api, _client, _transport = make_hcloud_api(images_handler(with_last_page))
    assert api.get_all_concurrently("/images", "images", workers=4) == IMAGES


def test_get_all_concurrently_single_page():
    api, client, _transport = make_hcloud_api(lambda *args: {"servers": [make_server()], "meta": {"pagination": {"last_page": 1, "next_page": None}}})
    assert api.get_all_concurrently("/servers", "servers") == [make_server()]
    assert len(client.calls) == 1


def test_reads_are_retried_with_the_injected_sleep():
    api, client, clock = make_hcloud_api(lambda *args: {"action": make_action(5)})
    client.failures[("GET", "/actions/5")] = [api_error("server_error"), requests.exceptions.ConnectionError()]
    assert api.action(5)["id"] == 5
    assert len(client.calls) == 3
    assert len(clock.sleeps) == 2


def test_reads_give_up_at_the_given_deadline():
    api, client, clock = make_hcloud_api(lambda *args: {"image": make_image(1)})
    client.failures[("GET", "/images")] = [api_error("rate_limit_exceeded")] * 100
    with pytest.raises(APIException):
        api.get("/images", deadline=Deadline(5, clock=clock))
    assert clock.slept == pytest.approx(5)


def servers_handler(*servers):
    def handler(method, path, params, json):  # pylint: disable=unused-argument
        if path == "/servers":
            return {"servers": [server for server in servers if server["name"] == params["name"]]}
        found = [server for server in servers if path == f"/servers/{server['id']}"]
        if not found:
            raise api_error("not_found")
        return {"server": found[0]}

    return handler


def test_server_by_name_is_one_request_and_by_id_looks_for_the_name_too():
    api, client, _transport = make_hcloud_api(servers_handler(make_server()))
    assert api.server("web1")["id"] == 42
    assert [(call[1], call[2]) for call in client.calls] == [("/servers", {"name": "web1"})]
    assert api.server(42)["name"] == "web1"
    assert [(call[1], call[2]) for call in client.calls][1:] == [("/servers", {"name": "42"}), ("/servers/42", {})]


def test_an_all_digit_name_of_a_server_without_that_id_is_the_name():
    api, _client, _transport = make_hcloud_api(servers_handler(make_server(7, "1234")))
    assert api.server("1234")["id"] == 7


def test_a_value_that_is_one_servers_name_and_another_servers_id_fails_naming_both():
    api, _client, _transport = make_hcloud_api(servers_handler(make_server(7, "42"), make_server(42, "web1")))
    with pytest.raises(AmbiguousServer, match=r"name of server 7 \(42\) and the ID of server 42 \(web1\)"):
        api.server("42")


def test_server_not_found_by_name_or_id():
    def handler(method, path, params, json):  # pylint: disable=unused-argument
        if path == "/servers/7":
            raise api_error("not_found")
        return {"servers": []}

    api, _client, _transport = make_hcloud_api(handler)
    with pytest.raises(ServerNotFound):
        api.server("nope")
    with pytest.raises(ServerNotFound):
        api.server("7")


def test_server_lookup_other_errors_propagate():
    def handler(method, path, params, json):  # pylint: disable=unused-argument
        raise api_error("unauthorized")

    api, client, _transport = make_hcloud_api(handler)
    with pytest.raises(APIException, match="boom"):
        api.server("7")
    assert len(client.calls) == 1


def test_image_is_none_when_gone():
    def handler(method, path, params, json):  # pylint: disable=unused-argument
        raise api_error("not_found")

    api, _client, _transport = make_hcloud_api(handler)
    assert api.image(9) is None


def test_running_actions_asks_for_running_ones():
    api, client, _transport = make_hcloud_api(lambda *args: {"actions": [make_action(1)], "meta": {"pagination": {"next_page": None}}})
    assert api.running_actions(42) == [make_action(1)]
    assert client.calls[0][1] == "/servers/42/actions"
    assert client.calls[0][2]["status"] == "running"


@pytest.mark.parametrize("exc", [api_error("server_error"), requests.exceptions.ConnectionError(), api_error("locked")])
def test_create_snapshot_is_sent_once(exc):
    api, client, clock = make_hcloud_api(lambda *args: {"action": make_action(1), "image": make_image(2, status="creating")})
    client.failures[("POST", "/servers/42/actions/create_image")] = [exc]
    with pytest.raises(type(exc)):
        api.create_snapshot(42, "d", {"a": "1"})
    assert len(client.calls) == 1
    assert clock.sleeps == []


def test_create_snapshot_request_and_answer():
    api, client, _transport = make_hcloud_api(lambda *args: {"action": make_action(1), "image": make_image(2, status="creating")})
    action, image = api.create_snapshot(42, "web1-x", {"a": "1"})
    assert (action["id"], image["id"]) == (1, 2)
    assert client.calls == [("POST", "/servers/42/actions/create_image", {}, {"type": "snapshot", "description": "web1-x", "labels": {"a": "1"}})]


def test_other_writes_are_sent_once():
    api, client, _transport = make_hcloud_api(lambda *args: {"action": make_action(1)})
    client.failures[("DELETE", "/images/5")] = [api_error("server_error")]
    with pytest.raises(APIException):
        api.delete_image(5)
    assert api.protect_image(5)["id"] == 1
    assert api.server_action(42, "shutdown")["id"] == 1
    assert [call[:2] for call in client.calls] == [
        ("DELETE", "/images/5"),
        ("POST", "/images/5/actions/change_protection"),
        ("POST", "/servers/42/actions/shutdown"),
    ]
    assert client.calls[1][3] == {"delete": True}
