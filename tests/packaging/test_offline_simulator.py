"""The simulator started from the installed collection by the README's command, to test a user's playbooks offline."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from conftest import user_env  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# What the README tells a user to type after `ansible-galaxy collection install` (default path ~/.ansible/collections).
COMMAND = "PYTHONPATH=~/.ansible/collections python3 -m ansible_collections.lockaware.hcloud.hcloud_sim"
FLEET = """\
servers:
  - {name: app1, labels: {backup: daily}}
  - {name: app2, labels: {backup: daily}, locks: [{command: rebuild, seconds: 15}]}
  - {name: build1, labels: {backup: never}, status: "off"}
"""
PLAYBOOK = """\
- name: My nightly snapshots
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Snapshot app1
      lockaware.hcloud.snapshot:
        server: app1
        description: before-upgrade
"""


@contextmanager
def documented_simulator(installed, args: str, cwd: Path):
    """Start the simulator with the README's command (and ``--port 0``) in a user's shell; yields its API URL."""
    process = subprocess.Popen(
        ["bash", "-c", f"{COMMAND} {args} --port 0"], cwd=cwd, env=user_env(installed, BIN), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        line = process.stdout.readline() if selector.select(timeout=30) else ""
    try:
        if line.startswith("hcloud_sim listening on http://127.0.0.1:"):
            yield line.split()[3]
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
        stderr = process.communicate(timeout=15)[1]
    assert line, f"the simulator did not start: {stderr}"
    assert process.returncode == 0, stderr


def server_names(url: str) -> list[str]:
    """The names of the servers the simulator's public API lists, asked with its default token."""
    request = urllib.request.Request(f"{url}/servers", headers={"Authorization": "Bearer sim-token"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return sorted(server["name"] for server in json.load(response)["servers"])


def test_the_readme_shows_the_command():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"$ {COMMAND} --fleet demo" in readme
    assert f"$ {COMMAND} --fleet my-fleet.yml" in readme


def test_the_documented_command_starts_the_demo_fleet_from_the_installed_collection(installed, tmp_path):
    with documented_simulator(installed, "--fleet demo", tmp_path) as url:
        assert server_names(url) == ["db1", "legacy", "sg5", "web1", "web2", "worker1"]


def test_a_users_playbook_runs_offline_against_the_users_fleet(installed, tmp_path):
    (tmp_path / "my-fleet.yml").write_text(FLEET, encoding="utf-8")
    (tmp_path / "nightly.yml").write_text(PLAYBOOK, encoding="utf-8")
    with documented_simulator(installed, "--fleet my-fleet.yml --speed 10", tmp_path) as url:
        assert server_names(url) == ["app1", "app2", "build1"]
        env = user_env(installed, BIN, HCLOUD_ENDPOINT=url, HCLOUD_TOKEN="sim-token")
        run = subprocess.run([BIN / "ansible-playbook", "nightly.yml"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        request = urllib.request.Request(f"{url}/images?type=snapshot", headers={"Authorization": "Bearer sim-token"})
        with urllib.request.urlopen(request, timeout=10) as response:
            made = [(image["created_from"]["name"], image["description"], image["status"]) for image in json.load(response)["images"]]
    assert made == [("app1", "before-upgrade", "available")]
