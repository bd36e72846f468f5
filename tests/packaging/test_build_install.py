"""The collection as users get it: build the tarball, install it into an empty path, run a playbook by FQCN.

Run with pytest from the repository root (``make packaging``); needs ansible-core on PATH (the .venv).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
import tarfile
from pathlib import Path

from conftest import user_env  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from hcloud_sim.launcher import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

BIN = Path(sys.executable).parent
REQUIRED = ["MANIFEST.json", "FILES.json", "meta/runtime.yml", "plugins/modules/snapshot.py", "plugins/modules/snapshot_info.py",
            "plugins/lookup/servers.py", "plugins/module_utils/task/_snapshot_task.py", "playbooks/snapshot_fleet.yml",
            "playbooks/snapshot_hosts.yml", "roles/snapshot_host/tasks/main.yml", "roles/snapshot_host/meta/argument_specs.yml",
            "hcloud_sim/__main__.py", "README.md", "COPYING"]  # fmt: skip


def test_the_tarball_holds_the_collection_and_none_of_the_clutter(tarball, clutter):
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    cache_dirs = {".venv", ".tmp", ".pytest_cache", ".ruff_cache", "__pycache__"}
    assert [name for name in names if cache_dirs & set(name.split("/")) or name.endswith(".pyc")] == []
    assert [name for name in clutter if name in names] == []
    assert [name for name in REQUIRED if name not in names] == []


def test_installed_collection_runs_the_fleet_playbook_by_fqcn(installed, tmp_path):
    assert (installed.root / "MANIFEST.json").is_file()
    with start_simulator(["--fleet", "demo"], cwd=REPO_ROOT) as sim:
        env = user_env(installed, BIN, HCLOUD_ENDPOINT=sim.url, HCLOUD_TOKEN=sim.token)
        run = subprocess.run(
            [BIN / "ansible-playbook", "lockaware.hcloud.snapshot_fleet", "-e", "label_selector=role=web"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert str(REPO_ROOT) not in run.stdout  # the collection came from the tarball, not from this checkout
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        made = sorted(image["description"] for image in sim.control.state()["images"] if image.get("type") == "snapshot" and image.get("status") == "available")
    assert f"web1-{today}" in made
    assert f"web2-{today}" in made
