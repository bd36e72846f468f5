"""Unit tests of fleet loading and validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hcloud_sim.initial_state import demo_state, generated_state, load_initial_state, parse_initial_state
from hcloud_sim.settings import Settings, SpecError, parse_assignment, parse_settings


def test_demo_state() -> None:
    fleet = demo_state()
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
    fleet = generated_state(120, seed=7)
    assert fleet == generated_state(120, seed=7)
    assert fleet != generated_state(120, seed=8)
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
    fleet = load_initial_state(str(yaml_file))
    assert fleet.settings.snapshot_quota == 5
    assert fleet.settings.snapshot_seconds_base == 2
    assert fleet.settings.snapshot_seconds_per_gb == Settings().snapshot_seconds_per_gb
    [server] = fleet.servers
    assert server.disk_size == 120
    assert server.snapshots[0].protected
    json_file = tmp_path / "fleet.json"
    json_file.write_text(json.dumps({"servers": [{"name": "x"}]}), encoding="utf-8")
    assert load_initial_state(str(json_file)).servers[0].name == "x"
    assert len(load_initial_state("3").servers) == 3


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
        ([], "state: must be a mapping"),
    ],
)
def test_bad_specs_are_rejected_with_the_path(spec: object, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_initial_state(spec)
    assert message in str(caught.value)


def test_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="neither 'demo'"):
        load_initial_state(str(tmp_path / "missing.yml"))
    broken = tmp_path / "broken.yml"
    broken.write_text("servers: [", encoding="utf-8")
    with pytest.raises(SpecError, match="cannot be read as YAML"):
        load_initial_state(str(broken))
    invalid = tmp_path / "invalid.yml"
    invalid.write_text("servers: [{name: a, disk: big}]", encoding="utf-8")
    with pytest.raises(SpecError, match=r"invalid\.yml: servers\[a\]\.disk"):
        load_initial_state(str(invalid))


def test_parse_settings_on_top_of_a_base() -> None:
    base = Settings(snapshot_quota=7)
    changed = parse_settings({"shutdown_seconds": 1}, base=base)
    assert (changed.snapshot_quota, changed.shutdown_seconds) == (7, 1.0)


def test_the_settings_of_the_real_api_and_their_switches() -> None:
    defaults = Settings()
    assert (defaults.actions_id_cap, defaults.failed_image, defaults.progress, defaults.datacenters) == (25, "unavailable", "linear", "removed")
    assert defaults.snapshot_seconds(60) == 90
    legacy = parse_settings({"actions_id_cap": 50, "failed_image": "delete", "progress": "stuck", "datacenters": "present"})
    assert (legacy.actions_id_cap, legacy.failed_image, legacy.progress, legacy.datacenters) == (50, "delete", "stuck", "present")
    for bad, message in (
        ({"actions_id_cap": 0}, "settings.actions_id_cap: must be at least 1"),
        ({"actions_id_cap": 2.5}, "must be a whole number"),
        ({"failed_image": "keep"}, "settings.failed_image: must be one of unavailable, delete"),
        ({"progress": "random"}, "must be one of linear, stuck"),
        ({"datacenters": True}, "must be one of removed, present"),
    ):
        with pytest.raises(SpecError, match=message):
            parse_settings(bad)


def test_command_line_assignments() -> None:
    assert parse_assignment("actions_id_cap=50") == ("actions_id_cap", 50)
    assert parse_assignment("snapshot_seconds_per_gb=0.5") == ("snapshot_seconds_per_gb", 0.5)
    assert parse_assignment("failed_image=delete") == ("failed_image", "delete")
    with pytest.raises(SpecError, match="NAME=VALUE"):
        parse_assignment("progress")


def test_base_settings_apply_under_the_state_settings() -> None:
    base = parse_settings({"actions_id_cap": 50, "failed_image": "delete"})
    state = parse_initial_state({"servers": [], "settings": {"failed_image": "unavailable"}}, base)
    assert (state.settings.actions_id_cap, state.settings.failed_image) == (50, "unavailable")
    assert demo_state(base).settings.actions_id_cap == 50


def test_pricing_in_the_initial_state() -> None:
    state = parse_initial_state({"servers": [], "pricing": {"currency": "CHF", "vat_rate": 8.1, "image_per_gb_month": "0.02"}})
    rendered = state.pricing.to_json()
    assert (rendered["currency"], rendered["vat_rate"]) == ("CHF", "8.10")
    assert rendered["image"]["price_per_gb_month"] == {"net": "0.0200000000", "gross": "0.0216200000"}
    assert parse_initial_state({"servers": []}).pricing.to_json()["image"]["price_per_gb_month"]["net"] == "0.0119000000"
