"""Unit tests of fleet loading and validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hcloud_sim.fleet import FleetError, Settings, demo_fleet, generated_fleet, load_fleet, parse_fleet, parse_settings


def test_demo_fleet() -> None:
    fleet = demo_fleet()
    names = [server.name for server in fleet.servers]
    assert names == ["web1", "web2", "db1", "sg5", "worker1", "legacy"]
    servers = {server.name: server for server in fleet.servers}
    assert all({"env", "role", "backup"} <= set(server.labels) for server in fleet.servers)
    assert servers["sg5"].locks[0].seconds == 10
    assert servers["legacy"].status == "off"
    snapshots = servers["db1"].snapshots
    assert any(snapshot.protected for snapshot in snapshots)
    assert any(not snapshot.protected and "lockaware.hcloud/managed" not in snapshot.labels for snapshot in snapshots)
    assert sum(snapshot.labels.get("lockaware.hcloud/managed") == "true" for snapshot in snapshots) >= 3
    # a demo snapshot of the largest disk takes well under a minute at speed 1
    assert fleet.settings.snapshot_seconds(max(server.disk_size for server in fleet.servers)) < 20


def test_generated_fleet_is_deterministic_and_varied() -> None:
    fleet = generated_fleet(120, seed=7)
    assert fleet == generated_fleet(120, seed=7)
    assert fleet != generated_fleet(120, seed=8)
    assert [server.name for server in fleet.servers][:2] == ["srv-0001", "srv-0002"]
    assert len(fleet.servers) == 120
    disks = {server.disk_size for server in fleet.servers}
    assert min(disks) >= 20 and max(disks) <= 360 and len(disks) > 4
    assert any(server.status == "off" for server in fleet.servers)
    assert {server.labels["env"] for server in fleet.servers} == {"prod", "staging", "dev"}
    assert fleet.settings == Settings()


def test_load_from_files(tmp_path: Path) -> None:
    yaml_file = tmp_path / "fleet.yml"
    yaml_file.write_text(
        """
settings: {snapshot_quota: 5, snapshot_seconds_base: 2}
servers:
  - name: app1
    labels: {env: prod, lockaware.hcloud/managed: "true"}
    disk: 120
    locks: [{command: rebuild, seconds: 3}]
    snapshots:
      - {description: old, age_hours: 48, protected: true}
""",
        encoding="utf-8",
    )
    fleet = load_fleet(str(yaml_file))
    assert fleet.settings.snapshot_quota == 5
    assert fleet.settings.snapshot_seconds_base == 2
    assert fleet.settings.snapshot_seconds_per_gb == Settings().snapshot_seconds_per_gb
    [server] = fleet.servers
    assert server.disk_size == 120
    assert server.snapshots[0].protected
    json_file = tmp_path / "fleet.json"
    json_file.write_text(json.dumps({"servers": [{"name": "x"}]}), encoding="utf-8")
    assert load_fleet(str(json_file)).servers[0].name == "x"
    assert len(load_fleet("3").servers) == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"servers": [{"name": "a"}], "extra": 1}, "unknown key(s) extra"),
        ({"servers": [{"name": "a", "colour": "red"}]}, "servers[0]: unknown key(s) colour"),
        ({"servers": [{"name": "bad_name!"}]}, "not a valid hostname"),
        ({"servers": [{"name": "a"}, {"name": "a"}]}, "duplicate server name(s) a"),
        ({"servers": [{"name": "a", "status": "paused"}]}, "servers[a].status"),
        ({"servers": [{"name": "a", "server_type": "huge"}]}, "unknown server type 'huge'"),
        ({"servers": [{"name": "a", "location": "mars"}]}, "unknown location 'mars'"),
        ({"servers": [{"name": "a", "disk": 0}]}, "servers[a].disk"),
        ({"servers": [{"name": "a", "labels": {"k": True}}]}, "servers[a].labels.k"),
        ({"servers": [{"name": "a", "labels": {"hetzner.cloud/x": "y"}}]}, "reserved prefix"),
        ({"servers": [{"name": "a", "locks": [{"command": "rebuild"}]}]}, "locks[0].seconds: is required"),
        ({"servers": [{"name": "a", "locks": [{"command": "rebuild", "seconds": -1}]}]}, "must be at least 0"),
        ({"servers": [{"name": "a", "locks": [{"command": "rebuild", "seconds": 1, "image": {}}]}]}, "only a create_image lock"),
        ({"servers": [{"name": "a", "snapshots": [{"type": "app"}]}]}, "snapshots[0].type"),
        ({"servers": [{"name": "a", "backup_window": "late"}]}, "backup_window"),
        ({"settings": {"snapshot_quota": 1.5}}, "settings.snapshot_quota"),
        ({"settings": {"speed": 2}}, "settings: unknown key(s) speed"),
        ({"servers": {"name": "a"}}, "servers: must be a list"),
        ([], "fleet: must be a mapping"),
    ],
)
def test_bad_specs_are_rejected_with_the_path(spec: object, message: str) -> None:
    with pytest.raises(FleetError) as caught:
        parse_fleet(spec)
    assert message in str(caught.value)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(FleetError, match="neither 'demo'"):
        load_fleet(str(tmp_path / "missing.yml"))
    broken = tmp_path / "broken.yml"
    broken.write_text("servers: [", encoding="utf-8")
    with pytest.raises(FleetError, match="cannot be read as YAML"):
        load_fleet(str(broken))
    invalid = tmp_path / "invalid.yml"
    invalid.write_text("servers: [{name: a, disk: big}]", encoding="utf-8")
    with pytest.raises(FleetError, match=r"invalid\.yml: servers\[a\]\.disk"):
        load_fleet(str(invalid))


def test_parse_settings_on_top_of_a_base() -> None:
    base = Settings(snapshot_quota=7)
    changed = parse_settings({"shutdown_seconds": 1}, base=base)
    assert (changed.snapshot_quota, changed.shutdown_seconds) == (7, 1.0)
