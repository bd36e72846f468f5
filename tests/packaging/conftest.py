"""Fixtures of the packaging tests: the tarball ansible-galaxy builds from a cluttered checkout, installed once where
ansible-galaxy installs by default, and the tools users run it with."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from tools_venv import tools_bin  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Things a working checkout accumulates that must never reach the published tarball.
JUNK = [".venv/lib/site.py", ".tmp/collections/x", "plugins/modules/__pycache__/snapshot.cpython-311.pyc", "tests/output/junit.xml",
        ".pytest_cache/v/cache", ".ruff_cache/x", "bench/output/raw.json", "tests/integration/integration_config.yml",
        "hcloud_sim/state/fleet.json"]  # fmt: skip


def tracked_files():
    """What a commit would hold: tracked files and untracked ones git does not ignore."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (REPO_ROOT / name).is_file()]


@pytest.fixture(name="tarball", scope="session")
def tarball_fixture(tmp_path_factory):
    """The tarball ansible-galaxy builds from a checkout cluttered with caches and local state."""
    source = tmp_path_factory.mktemp("checkout")
    for name in tracked_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, source / name)
    for name in JUNK:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text("junk\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out], cwd=source, check=True, capture_output=True)
    return out / "lockaware-hcloud-0.1.0.tar.gz"


@pytest.fixture(name="clutter")
def clutter_fixture():
    """The paths of local clutter the tarball fixture planted in the checkout."""
    return list(JUNK)


@dataclass(frozen=True)
class Installed:
    """The collection installed from the tarball into a home of its own, at ansible-galaxy's default path."""

    home: Path
    collections: Path  # ~/.ansible/collections
    root: Path  # ~/.ansible/collections/ansible_collections/lockaware/hcloud


def user_env(installed: Installed, bin_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a user of the installed collection: none of the checkout's ANSIBLE_*, HCLOUD_* or
    PYTHONPATH (``make`` puts the checkout on the collections path), HOME at the install, ``bin_dir`` first on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HCLOUD_")) and key != "PYTHONPATH"}
    env.update(HOME=str(installed.home), PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", ANSIBLE_COLLECTIONS_PATH=str(installed.collections))
    env.update(variables)
    return env


@pytest.fixture(name="installed", scope="session")
def installed_fixture(tarball, tmp_path_factory):
    """The tarball installed by ``ansible-galaxy collection install`` without ``-p``, as a user would: into
    ``~/.ansible/collections`` of an empty home. Shared by the tests, which must not write into it."""
    home = tmp_path_factory.mktemp("home")
    env = user_env(Installed(home, home, home), BIN)
    del env["ANSIBLE_COLLECTIONS_PATH"]
    subprocess.run([BIN / "ansible-galaxy", "collection", "install", "--offline", tarball], cwd=home, env=env, check=True, capture_output=True)
    collections = home / ".ansible" / "collections"
    installed = Installed(home, collections, collections / "ansible_collections" / "lockaware" / "hcloud")
    yield installed
    assert stray_files(installed.root) == [], "a test (or a tool it ran) wrote into the installed collection"


def stray_files(root: Path) -> list[str]:
    """Files in an installed collection that its FILES.json does not list (Python's __pycache__ aside)."""
    listed = {entry["name"] for entry in json.loads((root / "FILES.json").read_text(encoding="utf-8"))["files"]} | {"FILES.json", "MANIFEST.json"}
    found = (str(path.relative_to(root)) for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    return sorted(name for name in found if name not in listed)


@pytest.fixture(name="tools", scope="session")
def tools_fixture():
    """The bin directory of the tools virtualenv (ansible-runner, ansible-navigator, galaxy-importer), built once."""
    return tools_bin()


def snapshots(state: dict) -> dict[int, tuple[str, str]]:
    """Every snapshot in the simulator's state that is available: id -> (server, description)."""
    return {
        image["id"]: (image["created_from"]["name"], image["description"])
        for image in state["images"]
        if image.get("type") == "snapshot" and image.get("status") == "available"
    }


def assert_one_new_snapshot_each(before: dict, after: dict, servers: list[str]) -> None:
    """The run made exactly one available snapshot of each of ``servers``, described ``<server>-<UTC date>``, and no other."""
    made = sorted(after[key] for key in after.keys() - before.keys())
    assert [item[0] for item in made] == sorted(servers), made
    assert all(re.fullmatch(rf"{re.escape(server)}-\d{{4}}-\d{{2}}-\d{{2}}", description) for server, description in made), made
