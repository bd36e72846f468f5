"""Fixtures of the packaging tests: the tarball ansible-galaxy builds from a cluttered checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def install_collection(tarball, collections):
    """Install the tarball into ``collections`` alone: with the checkout on the collections path (as ``make`` sets it),
    ansible-galaxy would find lockaware.hcloud already installed there and install nothing."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections))
    subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline", "--force", "-p", collections, tarball], check=True, capture_output=True, env=env
    )
