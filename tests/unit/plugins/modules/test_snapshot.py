# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot module's entry point: options in, one result or one failure out."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.task import _module_main
from ansible_collections.lockaware.hcloud.plugins.modules import snapshot
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import FakeApi, make_image, make_server
from ansible_collections.lockaware.hcloud.tests.unit.plugins.modules.module_harness import run_main

TOKEN = "unit-test-token-0123456789"


@pytest.fixture(name="fake")
def fake_fixture():
    return FakeApi(servers=[make_server(1, "web1"), make_server(2, "db1")], images=[make_image(5, server_id=1, managed=True, description="old")])


def test_main_declares_server_and_servers_exclusive_and_check_mode(monkeypatch, fake):
    run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "server": "web1"})
    built = _module_main.AnsibleModule.built_with
    assert built["required_one_of"] == [("server", "servers")]
    assert built["mutually_exclusive"] == [("server", "servers")]
    assert built["supports_check_mode"] is True


def test_main_with_server_exits_with_the_single_result(monkeypatch, fake):
    failed, result, transports = run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "server": "web1", "keep": 1})
    assert not failed
    assert result["outcome"] == "created"
    assert result["changed"] is True
    assert [image["id"] for image in result["deleted"]] == [5]
    assert set(result) >= {"snapshot", "action", "lock", "diff", "adopted", "skipped", "msg"}
    assert not set(result) & {"would_create", "recovered_request", "results", "server"}
    assert len(transports) == 1


def test_main_with_servers_exits_with_results_and_summary(monkeypatch, fake):
    failed, result, _transports = run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "servers": ["web1", "db1"]})
    assert not failed
    assert result["summary"]["created"] == 2
    assert [entry["server"] for entry in result["results"]] == ["web1", "db1"]


def test_main_fails_when_a_server_of_the_fleet_fails_after_trying_all(monkeypatch, fake):
    failed, result, _transports = run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "servers": ["web1", "ghost"]})
    assert failed
    assert result["msg"] == "1 created, 1 failed of 2 servers; failed: ghost"
    assert result["failed_servers"] == ["ghost"]
    assert result["results"][0]["outcome"] == "created"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"server": "web1", "keep": 0}, "keep must be 1 or more"),
        ({"servers": ["web1", " "]}, "each of servers must be the name or ID of a server"),
        ({"servers": ["web1"], "concurrency": 0}, "concurrency must be 1 or more, got 0"),
        ({"server": "web1", "api_endpoint": "ftp://x"}, "api_endpoint must be an http:// or https:// URL"),
    ],
)
def test_main_fails_on_bad_options_before_any_request(monkeypatch, fake, args, fragment):
    failed, result, transports = run_main(monkeypatch, snapshot, fake, dict(args, api_token=TOKEN))
    assert failed
    assert fragment in result["msg"]
    assert all(not transport.calls for transport in transports)
    assert fake.writes == []


def test_main_in_check_mode_writes_nothing(monkeypatch, fake):
    failed, result, _transports = run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "server": "web1"}, check_mode=True)
    assert not failed
    assert result["msg"] == "would create snapshot 'web1-" + result["msg"].split("'web1-")[1]
    assert fake.writes == []


def test_main_failure_never_shows_the_token(monkeypatch, fake):
    failed, result, _transports = run_main(monkeypatch, snapshot, fake, {"api_token": TOKEN, "server": "ghost"})
    assert failed
    assert result["msg"] == "server ghost not found: check the name or ID (hcloud server list)"
    assert TOKEN not in repr(result)
