"""The installed collection run by ansible-navigator without an execution environment, as on a developer's laptop."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

from conftest import assert_one_new_snapshot_each, snapshots, user_env  # pylint: disable=import-error
from token_search import assert_search_finds_a_planted_token, files_holding  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from hcloud_sim.launcher import start_simulator  # noqa: E402  pylint: disable=wrong-import-position


def test_navigator_runs_the_fleet_playbook_by_fqcn_without_an_ee(tools, installed, tmp_path):
    output = tmp_path / "navigator"
    output.mkdir()
    with start_simulator(["--fleet", "demo", "--speed", "20", "--token", f"hc-{secrets.token_hex(24)}"], cwd=REPO_ROOT) as sim:
        before = snapshots(sim.control.state())
        run = subprocess.run(
            [tools / "ansible-navigator", "run", "lockaware.hcloud.snapshot_fleet", "--ee", "false", "--mode", "stdout",
             "-e", "label_selector=role=db", "--pas", output / "artifact.json", "--lf", output / "navigator.log"],
            cwd=tmp_path, env=user_env(installed, tools, HCLOUD_TOKEN=sim.token, HCLOUD_ENDPOINT=sim.url),
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        assert "1 created of 1 servers" in run.stdout, run.stdout
        assert_one_new_snapshot_each(before, snapshots(sim.control.state()), ["db1"])
    assert "db1" in (output / "artifact.json").read_text(encoding="utf-8")  # the playbook artifact a user may share
    assert sim.token not in run.stdout + run.stderr
    assert files_holding(output, sim.token) == []
    assert_search_finds_a_planted_token(output, sim.token)
