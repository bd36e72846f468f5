# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot_info module's entry point."""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.report._views import SNAPSHOT_KEYS
from ansible_collections.lockaware.hcloud.plugins.modules import snapshot_info
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import NOW, FakeApi, make_image, make_server
from ansible_collections.lockaware.hcloud.tests.unit.plugins.modules.module_harness import run_main

TOKEN = "unit-test-token-0123456789"


def project():
    images = [
        make_image(1, server_id=1, managed=True, created="2026-11-20T00:00:00+00:00"),
        make_image(2, server_id=1, created=NOW),
        make_image(3, server_id=2, managed=True),
        make_image(4, server_id=1, status="unavailable"),
    ]
    return FakeApi(servers=[make_server(1, "web1"), make_server(2, "db1")], images=images)


def test_lists_a_servers_live_snapshots_newest_first_in_the_result_shape(monkeypatch):
    failed, result, _transports = run_main(monkeypatch, snapshot_info, project(), {"api_token": TOKEN, "server": "web1"})
    assert not failed
    assert result["changed"] is False
    assert [snap["id"] for snap in result["snapshots"]] == [2, 1]
    assert all(tuple(snap) == SNAPSHOT_KEYS for snap in result["snapshots"])


def test_managed_only(monkeypatch):
    _failed, result, _transports = run_main(monkeypatch, snapshot_info, project(), {"api_token": TOKEN, "managed_only": True})
    assert sorted(snap["id"] for snap in result["snapshots"]) == [1, 3]


def test_an_unknown_server_fails_with_the_shared_message(monkeypatch):
    failed, result, _transports = run_main(monkeypatch, snapshot_info, project(), {"api_token": TOKEN, "server": "ghost"})
    assert failed
    assert result["msg"] == "server ghost not found: check the name or ID (hcloud server list)"


def test_bad_labels_fail_before_listing(monkeypatch):
    failed, result, transports = run_main(monkeypatch, snapshot_info, project(), {"api_token": TOKEN, "labels": {"bad key!": "x"}})
    assert failed
    assert "invalid key 'bad key!'" in result["msg"]
    assert all(not transport.calls for transport in transports)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"server": ""}, "server must be the name or ID of a server, got ''"),
        ({"server": "  "}, "server must be the name or ID of a server"),
        ({"description": ""}, "description must not be empty"),
    ],
)
def test_the_snapshot_modules_option_checks_apply_before_listing(monkeypatch, given, message):
    failed, result, transports = run_main(monkeypatch, snapshot_info, project(), dict({"api_token": TOKEN}, **given))
    assert failed
    assert message in result["msg"]
    assert all(not transport.calls for transport in transports)
