"""The official ``hcloud`` CLI (Debian package ``hcloud-cli``) against the simulator.

Debian's CLI is 1.30.3, older than the API's removal of ``datacenter`` from servers (2026-07-01):
its tests run with the setting ``datacenters: present``, the API it was written for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hcloud_sim.launcher import SimControl, SimulatorProcess

from .conftest import ED25519_KEY, ED25519_MD5, wait_until

HCLOUD = shutil.which("hcloud")
pytestmark = pytest.mark.skipif(HCLOUD is None, reason="the hcloud CLI is not installed (Debian: apt-get install hcloud-cli)")


@pytest.fixture
def hcloud_cli(sim: SimulatorProcess, control: SimControl, tmp_path: Path):
    control.settings(datacenters="present")  # hcloud-cli 1.30.3 predates the removal of datacenters
    env = {**os.environ, "HCLOUD_ENDPOINT": sim.url, "HCLOUD_TOKEN": sim.token, "HOME": str(tmp_path), "HCLOUD_CONFIG": str(tmp_path / "cli.toml")}

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([HCLOUD, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
        if check:
            assert result.returncode == 0, f"hcloud {' '.join(args)} failed ({result.returncode}): {result.stdout}{result.stderr}"
        return result

    return run


def test_cli_reads_the_fleet(hcloud_cli) -> None:
    listing = hcloud_cli("server", "list").stdout
    for name in ("web1", "web2", "db1", "sg5", "worker1", "legacy"):
        assert re.search(rf"\b{name}\b", listing)
    assert re.search(r"\blegacy\s+off\b", listing)
    described = hcloud_cli("server", "describe", "db1").stdout
    assert re.search(r"Name:\s+db1", described)
    assert re.search(r"Backup Window:\s+02-06", described)
    assert "backup: daily" in described


def test_cli_create_image_waits_for_the_lock_on_sg5(hcloud_cli, control: SimControl) -> None:
    locked = hcloud_cli("server", "create-image", "--type", "snapshot", "--description", "cli snapshot", "sg5", check=False)
    assert locked.returncode != 0
    assert "locked" in locked.stderr
    wait_until(lambda: not next(s for s in control.state()["servers"] if s["name"] == "sg5")["locked"], timeout=15)
    created = hcloud_cli("server", "create-image", "--type", "snapshot", "--description", "cli snapshot", "sg5")
    match = re.search(r"Image (\d+) created", created.stdout)
    assert match, created.stdout
    image_id = match.group(1)
    assert re.search(rf"^{image_id}\s+snapshot\s+-\s+cli snapshot", hcloud_cli("image", "list").stdout, re.MULTILINE)
    described = hcloud_cli("image", "describe", image_id).stdout
    assert re.search(r"Status:\s+available", described)
    assert re.search(r"Description:\s+cli snapshot", described)
    hcloud_cli("image", "delete", image_id)
    assert image_id not in [str(image["id"]) for image in control.state()["images"]]


def test_cli_refuses_to_delete_a_protected_image(hcloud_cli, control: SimControl) -> None:
    protected = next(image for image in control.state()["images"] if image["protection"]["delete"])
    result = hcloud_cli("image", "delete", str(protected["id"]), check=False)
    assert result.returncode != 0
    assert "protected" in result.stderr


def test_cli_shows_the_datacenter_the_api_had(hcloud_cli) -> None:
    assert re.search(r"\bweb1\b.*\bfsn1-dc14\b", hcloud_cli("server", "list").stdout)
    assert "fsn1-dc14" in hcloud_cli("datacenter", "list").stdout


def test_cli_1_30_with_datacenters_removed(hcloud_cli, control: SimControl) -> None:
    control.settings(datacenters="removed")
    assert re.search(r"\bweb1\s+running\b", hcloud_cli("server", "list").stdout)  # the DATACENTER column is empty
    refused = hcloud_cli("datacenter", "list", check=False)
    assert refused.returncode != 0
    assert "deprecated_api_endpoint" in refused.stderr


def test_cli_ssh_key_and_a_servers_life(hcloud_cli, control: SimControl, tmp_path: Path) -> None:
    control.settings(create_server_seconds=2, rebuild_seconds=2, delete_server_seconds=1)
    key_file = tmp_path / "alice.pub"
    key_file.write_text(ED25519_KEY + "\n")
    created_key = hcloud_cli("ssh-key", "create", "--name", "alice", "--public-key-from-file", str(key_file))
    assert "SSH key" in created_key.stdout and "created" in created_key.stdout, created_key.stdout
    assert re.search(rf"\balice\s+{ED25519_MD5}", hcloud_cli("ssh-key", "list").stdout)
    snapshot = next(
        image
        for image in control.state()["images"]
        if image["type"] == "snapshot" and image["status"] == "available" and image["created_from"]["name"] == "db1"
    )
    created = hcloud_cli("server", "create", "--name", "restored", "--type", "cx42", "--image", str(snapshot["id"]), "--ssh-key", "alice", "--location", "hel1")
    assert re.search(r"Server \d+ created", created.stdout), created.stdout
    assert "Root password" not in created.stdout  # created with an SSH key
    server = next(item for item in control.state()["servers"] if item["name"] == "restored")
    assert (server["status"], server["image"]["id"], server["location"]["name"]) == ("running", snapshot["id"], "hel1")
    hcloud_cli("server", "add-label", "restored", "drill=yes")
    rebuilt = hcloud_cli("server", "rebuild", "--image", "debian-13", "restored")
    assert "rebuilt" in rebuilt.stdout, rebuilt.stdout
    server = next(item for item in control.state()["servers"] if item["name"] == "restored")
    assert (server["image"]["name"], server["labels"]) == ("debian-13", {"drill": "yes"})
    hcloud_cli("server", "enable-protection", "restored", "delete", "rebuild")
    refused = hcloud_cli("server", "delete", "restored", check=False)
    assert refused.returncode != 0
    assert "protected" in refused.stderr
    hcloud_cli("server", "disable-protection", "restored", "delete", "rebuild")
    deleted = hcloud_cli("server", "delete", "restored")
    assert "deleted" in deleted.stdout, deleted.stdout
    assert "restored" not in [item["name"] for item in control.state()["servers"]]
    assert snapshot["id"] in [image["id"] for image in control.state()["images"]]
