"""hetzner.hcloud's ``server`` and ``ssh_key`` modules (6.x, unchanged) drive a server's whole life on the simulator.

The collection comes from the same cache as ``test_hetzner_inventory.py`` (``.tmp/hetzner.hcloud/``). Each step is
one ``ansible-playbook`` run; the state is read back through the simulator's API between the steps: an SSH key, a
server restored from a snapshot of db1 with that key, relabelled, rebuilt from ``debian-13``, deleted (its snapshot
source stays); and a server from a system image without keys, with backups and both protections, renamed, stopped,
resized without its disk, backups off, booted into rescue, refused deletion while protected, then deleted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hcloud_sim.launcher import SimControl, SimulatorProcess

from .conftest import ED25519_KEY, TOKEN, make_client
from .test_hetzner_inventory import ansible_env, hetzner_collections, tool

__all__ = ["hetzner_collections"]  # the fixture, imported for the tests below


def play(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A playbook on localhost with the endpoint and token from the environment (hetzner.hcloud reads both)."""
    return [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def run_playbook(sim: SimulatorProcess, collections: Path, tmp_path: Path, name: str, tasks: list[dict[str, Any]]) -> str:
    """Run one step; fail with its output if it fails; its output."""
    playbook = tmp_path / f"{name}.yml"
    playbook.write_text(json.dumps(play(tasks)))  # JSON is YAML
    env = ansible_env(sim, collections, tmp_path / "home")
    done = subprocess.run(
        [tool("ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}"
    assert TOKEN not in done.stdout + done.stderr
    return done.stdout


def test_server_life_with_hetzner_hcloud_modules(sim: SimulatorProcess, control: SimControl, hetzner_collections: Path, tmp_path: Path) -> None:
    client = make_client(sim.url)
    snapshot = next(image for image in client.images.get_all(type=["snapshot"]) if image.status == "available" and image.created_from.name == "db1")
    server = {"name": "restored", "server_type": "cx42", "location": "hel1"}

    run_playbook(
        sim,
        hetzner_collections,
        tmp_path,
        "create",
        [
            {"hetzner.hcloud.ssh_key": {"name": "alice", "public_key": ED25519_KEY, "labels": {"team": "ops"}}},
            {"hetzner.hcloud.server": {**server, "image": str(snapshot.id), "ssh_keys": ["alice"], "labels": {"from": "db1"}, "state": "present"}},
            {"hetzner.hcloud.server": {"name": "restored", "labels": {"from": "db1", "restored": "yes"}, "state": "present"}},
        ],
    )
    [key] = client.ssh_keys.get_all()
    assert (key.name, key.labels) == ("alice", {"team": "ops"})
    restored = client.servers.get_by_name("restored")
    assert (restored.status, restored.server_type.name, restored.location.name) == ("running", "cx42", "hel1")
    assert (restored.image.id, restored.labels) == (snapshot.id, {"from": "db1", "restored": "yes"})

    run_playbook(sim, hetzner_collections, tmp_path, "rebuild", [{"hetzner.hcloud.server": {"name": "restored", "image": "debian-13", "state": "rebuild"}}])
    rebuilt = client.servers.get_by_name("restored")
    assert (rebuilt.id, rebuilt.status, rebuilt.locked, rebuilt.image.name) == (restored.id, "running", False, "debian-13")

    run_playbook(
        sim,
        hetzner_collections,
        tmp_path,
        "delete",
        [{"hetzner.hcloud.server": {"name": "restored", "state": "absent"}}, {"hetzner.hcloud.ssh_key": {"name": "alice", "state": "absent"}}],
    )
    assert client.servers.get_by_name("restored") is None
    assert client.ssh_keys.get_all() == []
    assert client.images.get_by_id(snapshot.id).created_from.name == "db1"
    writes = [
        (entry["method"], entry["path"].rsplit("/", 1)[-1] if "actions" in entry["path"] else entry["path"], entry["status"])
        for entry in control.requests()
        if entry["method"] != "GET"
    ]
    assert ("POST", "/v1/servers", 201) in writes
    assert ("POST", "rebuild", 201) in writes
    assert ("DELETE", f"/v1/servers/{restored.id}", 200) in writes
    assert [entry for entry in control.requests() if entry["status"] not in (200, 201, 204)] == []


def test_the_rest_of_the_server_modules_range(sim: SimulatorProcess, control: SimControl, hetzner_collections: Path, tmp_path: Path) -> None:
    """Without keys, from a system image, with backups and both protections; renamed, stopped, resized without its
    disk, backups off, rescue mode, started; delete refused while protected, then unprotected and deleted."""
    client = make_client(sim.url)
    plain = {"name": "plain", "server_type": "cx22", "image": "debian-12", "location": "fsn1"}
    run_playbook(
        sim,
        hetzner_collections,
        tmp_path,
        "create-plain",
        [{"hetzner.hcloud.server": {**plain, "backups": True, "delete_protection": True, "rebuild_protection": True, "state": "present"}}],
    )
    created = client.servers.get_by_name("plain")
    assert (created.status, created.image.name, created.primary_disk_size) == ("running", "debian-12", 40)
    assert created.backup_window is not None
    assert created.protection == {"delete": True, "rebuild": True}

    run_playbook(
        sim,
        hetzner_collections,
        tmp_path,
        "change",
        [
            {"hetzner.hcloud.server": {"id": str(created.id), "name": "renamed", "state": "present"}},
            {"hetzner.hcloud.server": {"name": "renamed", "state": "stopped"}},
            {"hetzner.hcloud.server": {"name": "renamed", "server_type": "cx32", "upgrade_disk": False, "state": "stopped"}},
            {"hetzner.hcloud.server": {"name": "renamed", "backups": False, "rescue_mode": "linux64", "state": "started"}},
        ],
    )
    changed = client.servers.get_by_id(created.id)
    assert (changed.name, changed.server_type.name, changed.primary_disk_size, changed.status) == ("renamed", "cx32", 40, "running")
    # Rescue mode is switched off by the first boot into it (the API's documentation of enable_rescue): started, it is off.
    assert (changed.backup_window, changed.rescue_enabled) == (None, False)
    steps = [entry["path"].rsplit("/", 1)[-1] for entry in control.requests() if entry["method"] == "POST" and "/actions/" in entry["path"]]
    # resized while off, backups and rescue set, then booted (into rescue)
    assert {"change_type", "disable_backup", "enable_rescue"} <= set(steps), steps
    assert steps.index("change_type") < steps.index("enable_rescue") < len(steps) - 1 and steps[-1] == "poweron", steps

    output = run_playbook(
        sim,
        hetzner_collections,
        tmp_path,
        "delete-protected",
        [
            {"hetzner.hcloud.server": {"name": "renamed", "state": "absent"}, "register": "refused", "ignore_errors": True},
            {"ansible.builtin.assert": {"that": ["refused is failed"]}},
            {"hetzner.hcloud.server": {"name": "renamed", "delete_protection": False, "rebuild_protection": False, "state": "present"}},
            {"hetzner.hcloud.server": {"name": "renamed", "state": "absent"}},
        ],
    )
    assert "protected" in output.lower()
    assert client.servers.get_by_name("renamed") is None
    refused = [entry for entry in control.requests() if entry["method"] == "DELETE" and entry["status"] == 423]
    assert len(refused) == 1
