# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the fleet run: many servers in one call, and a single server as a fleet of one.

The real ``HcloudApi`` runs on the fake's in-memory project (``FakeTransport``), so the requests it sends are
recorded as the API would see them.
"""

from __future__ import annotations

import pytest

from ansible_collections.lockaware.hcloud.plugins.module_utils.api._api import HcloudApi
from ansible_collections.lockaware.hcloud.plugins.module_utils.fleet._fleet import FleetRun
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._failure import TaskFailed
from ansible_collections.lockaware.hcloud.plugins.module_utils.task._options import SnapshotOptions
from ansible_collections.lockaware.hcloud.plugins.modules.snapshot import argument_spec
from ansible_collections.lockaware.hcloud.tests.unit.plugins.module_utils.fake_api import (
    FakeApi,
    FakeClock,
    FakeRateLimit,
    FakeTransport,
    make_action,
    make_image,
    make_server,
)

# What AnsibleModule hands over when only these are given: the argument spec's defaults.
SPEC_DEFAULTS = {name: spec.get("default") for name, spec in argument_spec().items()}


def options(**given):
    return SnapshotOptions.from_params(dict(SPEC_DEFAULTS, api_token="t", **given))


class Connections:
    """``connect`` for the fleet run: a new real client on the one fake project each time, counted."""

    def __init__(self, fake, clock):
        self.fake = fake
        self.clock = clock
        self.transports = []

    def __call__(self):
        transport = FakeTransport(self.fake)
        self.transports.append(transport)
        return HcloudApi(transport, FakeRateLimit(), clock=self.clock)

    @property
    def requests(self):
        return [call for transport in self.transports for call in transport.calls]


@pytest.fixture(name="clock")
def clock_fixture():
    return FakeClock()


@pytest.fixture(name="fleet")
def fleet_fixture(clock):
    servers = [make_server(1, "web1"), make_server(2, "web2"), make_server(3, "db1")]
    fake = FakeApi(servers=servers, now=clock.now)
    connections = Connections(fake, clock)

    def run(servers, check_mode=False, **given):
        return FleetRun(connections, options(servers=servers, **given), servers, concurrency=2, check_mode=check_mode, clock=clock)

    return fake, connections, run


def test_every_server_gets_its_snapshot_and_the_summary_counts_them(fleet):
    fake, connections, run = fleet
    result = run(["web1", "web2", "db1"]).run()
    assert [entry["server"] for entry in result["results"]] == ["web1", "web2", "db1"]
    assert result["summary"] == {"created": 3, "converted": 0, "adopted": 0, "unchanged": 0, "skipped": 0, "deleted": 0, "failed": 0}
    assert result["changed"] is True
    assert result["failed_servers"] == []
    assert result["msg"] == "3 created of 3 servers"
    assert all("diff" not in entry and entry["seconds"] >= 0 for entry in result["results"])
    assert sorted(image["created_from"]["name"] for image in fake.images.values()) == ["db1", "web1", "web2"]
    # One listing of all servers serves every task; no server is looked up by name.
    server_reads = [params for method, path, params in connections.requests if method == "GET" and path == "/servers"]
    assert server_reads == [{"sort": "id:asc", "per_page": 50, "page": 1}]
    # One client serves every task.
    assert len(connections.transports) == 1


def test_a_failing_server_fails_alone_and_is_named(fleet):
    fake, _connections, run = fleet
    result = run(["web1", "ghost", "web2"]).run()
    assert result["failed_servers"] == ["ghost"]
    failed = result["results"][1]
    assert failed["failed"] is True
    assert failed["outcome"] == "failed"
    assert failed["msg"] == "server ghost not found: check the name or ID (hcloud server list)"
    assert "exception" not in failed
    assert result["summary"]["created"] == 2
    assert result["msg"] == "2 created, 1 failed of 3 servers; failed: ghost"
    assert len(fake.images) == 2


def test_the_same_value_twice_is_worked_on_once(fleet):
    fake, _connections, run = fleet
    result = run(["web1", "web1"]).run()
    assert [entry["server"] for entry in result["results"]] == ["web1"]
    assert len(fake.images) == 1


def test_a_value_that_is_a_name_and_another_servers_id_fails_naming_both(clock):
    fake = FakeApi(servers=[make_server(1, "web1"), make_server(2, "1")], now=clock.now)
    connections = Connections(fake, clock)
    result = FleetRun(connections, options(servers=["1", "web1"]), ["1", "web1"], clock=clock).run()
    assert result["failed_servers"] == ["1"]
    assert "name of server 2 (1) and the ID of server 1 (web1)" in result["results"][0]["msg"]
    assert result["results"][1]["outcome"] == "created"


def test_check_mode_predicts_for_every_server_and_writes_nothing(fleet):
    fake, connections, run = fleet
    result = run(["web1", "db1"], check_mode=True).run()
    assert result["summary"]["created"] == 2
    assert fake.writes == []
    assert all(method == "GET" for method, _path, _params in connections.requests)


def test_a_locked_server_is_skipped_with_on_locked_skip(fleet):
    fake, _connections, run = fleet
    backup = make_action(70, command="backup", progress=10)
    backup["resources"] = [{"type": "server", "id": 2}]
    fake.running = [[backup]] * 5
    result = run(["web1", "web2"], on_locked="skip").run()
    assert [entry["outcome"] for entry in result["results"]] == ["created", "skipped"]
    assert "locked by action 70 (backup" in result["results"][1]["msg"]


def test_no_servers_is_an_empty_result():
    result = FleetRun(lambda: None, options(servers=[]), []).run()
    assert result == {
        "changed": False,
        "results": [],
        "summary": dict.fromkeys(("created", "converted", "adopted", "unchanged", "skipped", "deleted", "failed"), 0),
        "failed_servers": [],
        "msg": "no servers given",
    }


# a single server: a fleet of one -------------------------------------------------------------------------


def test_a_fleet_of_one_returns_the_single_result_with_its_diff_over_one_connection(fleet):
    _fake, connections, _run = fleet
    result = FleetRun(connections, options(server="web1"), ["web1"], clock=connections.clock).run_one()
    assert result["outcome"] == "created"
    assert "server" not in result
    assert "seconds" not in result
    assert result["diff"]["after"]["snapshots"]
    assert len(connections.transports) == 1
    assert ("GET", "/servers", {"name": "web1"}) in connections.requests


def test_a_fleet_of_one_raises_its_failure_with_the_result_so_far(fleet):
    _fake, connections, _run = fleet
    with pytest.raises(TaskFailed) as raised:
        FleetRun(connections, options(server="ghost"), ["ghost"], clock=connections.clock).run_one()
    assert raised.value.msg == "server ghost not found: check the name or ID (hcloud server list)"
    assert raised.value.partial["outcome"] == "failed"


@pytest.mark.parametrize("value", ["web1", "1"])
def test_server_and_servers_of_one_send_the_same_requests(clock, value):
    sent = []
    for given in ({"server": value}, {"servers": [value]}):
        fake = FakeApi(servers=[make_server(1, "web1"), make_server(2, "web2")], images=[make_image(5, server_id=1, managed=True)], now=clock.now)
        connections = Connections(fake, clock)
        FleetRun(connections, options(keep=1, **given), [value], clock=clock).outcomes()
        sent.append(connections.requests)
    assert sent[0] == sent[1]
    assert ("DELETE", "/images/5", {}) in sent[0]
    # With nobody to share with, the reads go straight to the server's own endpoints.
    paths = {path for _method, path, _params in sent[0]}
    assert "/servers/1/actions" in paths
    assert not paths & {"/servers/actions", "/actions"}


def test_diff_mode_shows_each_servers_snapshots_before_and_after(fleet):
    _fake, _connections, run = fleet
    result = run(["web1", "web2"]).run()
    headers = [(diff["before_header"], diff["after_header"]) for diff in result["diff"]]
    assert headers == [("web1: snapshots before", "web1: snapshots after"), ("web2: snapshots before", "web2: snapshots after")]
    for diff, entry in zip(result["diff"], result["results"], strict=True):
        assert diff["before"] == {"snapshots": []}
        assert diff["after"] == {"snapshots": [f"{entry['snapshot']['id']}: {entry['snapshot']['description']} (available)"]}
    assert all("diff" not in entry for entry in result["results"])
