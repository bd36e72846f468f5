"""The installed collection run by ansible-runner as AWX / AAP run it, with the token injected by a credential.

AWX writes a private data dir (project/, inventory/, env/extravars), passes the credential's environment variables
to ``ansible_runner.interface.run(envvars=..., suppress_env_files=True)`` and keeps the job events. awx_job.py does
the same with the tools virtualenv's ansible-runner, the project playbook and the credential type taken from the
guide's AWX section (awx_guide.py). Afterwards the token must be nowhere in the private data dir
(artifacts, job events, stdout, env/) nor in the events, except in ansible-runner's own record of the environment it
was handed (artifacts/<ident>/command, env.HCLOUD_TOKEN), which is where the credential put it.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from awx_guide import credential_env, project_playbook  # pylint: disable=import-error
from conftest import assert_one_new_snapshot_each, snapshots, user_env  # pylint: disable=import-error
from token_search import assert_search_finds_a_planted_token, files_holding  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from hcloud_sim.launcher import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

AWX_JOB = Path(__file__).with_name("awx_job.py")
RUNNER_RECORD = "artifacts/1/command"  # ansible-runner's record of the command, cwd and environment it ran


def run_awx_job(tools, installed, private_data_dir: Path, playbook: str, sim) -> dict:
    """Run ``lockaware.hcloud.<playbook>`` from an AWX-like project; the token only in the credential's envvars."""
    (private_data_dir / "project").mkdir(parents=True)
    (private_data_dir / "project" / f"{playbook}.yml").write_text(project_playbook(playbook), encoding="utf-8")
    credential = credential_env({"api_token": sim.token, "api_endpoint": sim.url})
    assert credential == {"HCLOUD_TOKEN": sim.token, "HCLOUD_ENDPOINT": sim.url}
    job = {
        "private_data_dir": str(private_data_dir),
        "playbook": f"{playbook}.yml",
        "envvars": {**credential, "ANSIBLE_COLLECTIONS_PATH": str(installed.collections)},
    }
    done = subprocess.run(
        [tools / "python", AWX_JOB], input=json.dumps(job), env=user_env(installed, tools), capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert sim.token not in done.stdout + done.stderr
    outcome = json.loads(done.stdout)
    stdout = (private_data_dir / "artifacts" / "1" / "stdout").read_text(encoding="utf-8")
    assert (outcome["status"], outcome["rc"]) == ("successful", 0), stdout
    return outcome


def assert_token_only_where_the_credential_put_it(private_data_dir: Path, token: str, events: list) -> None:
    """The token is in no file of the private data dir but the runner's record of its environment, and in no event."""
    assert files_holding(private_data_dir, token) == [RUNNER_RECORD]
    record = json.loads((private_data_dir / RUNNER_RECORD).read_text(encoding="utf-8"))
    assert record["env"].pop("HCLOUD_TOKEN") == token  # the credential reached the job as an environment variable ...
    assert token not in json.dumps(record)  # ... and nothing else in that record carries it
    assert sorted(path.name for path in (private_data_dir / "env").iterdir()) == ["extravars"]  # no env/envvars written
    assert events, "ansible-runner reported no job events"
    assert token not in json.dumps(events)
    assert_search_finds_a_planted_token(private_data_dir, token)


def assert_ran_the_installed_collection(events: list, installed) -> None:
    """The snapshot task came from the installed tarball, not from this checkout."""
    data = [event.get("event_data", {}) for event in events]
    paths = {item.get("task_path", "") for item in data if item.get("resolved_action") == "lockaware.hcloud.snapshot"}
    assert paths, "no job event of a lockaware.hcloud.snapshot task"
    assert all(path.startswith(str(installed.root)) for path in paths), paths


def test_the_guides_credential_type_defaults_an_empty_endpoint_to_the_real_api():
    env = credential_env({"api_token": "a-token", "api_endpoint": ""})
    assert env == {"HCLOUD_TOKEN": "a-token", "HCLOUD_ENDPOINT": "https://api.hetzner.cloud/v1"}


def test_fleet_playbook_through_ansible_runner_as_awx_runs_it(tools, installed, tmp_path):
    private_data_dir = tmp_path / "job"
    (private_data_dir / "env").mkdir(parents=True)
    (private_data_dir / "env" / "extravars").write_text("label_selector: role=web\n", encoding="utf-8")  # the job template's extra vars
    with start_simulator(["--fleet", "demo", "--speed", "20", "--token", f"hc-{secrets.token_hex(24)}"], cwd=REPO_ROOT) as sim:
        before = snapshots(sim.control.state())
        outcome = run_awx_job(tools, installed, private_data_dir, "snapshot_fleet", sim)
        assert_one_new_snapshot_each(before, snapshots(sim.control.state()), ["web1", "web2"])
    assert_ran_the_installed_collection(outcome["events"], installed)
    assert_token_only_where_the_credential_put_it(private_data_dir, sim.token, outcome["events"])


def test_hosts_playbook_through_ansible_runner_as_awx_runs_it(tools, installed, tmp_path):
    private_data_dir = tmp_path / "job"
    (private_data_dir / "env").mkdir(parents=True)
    (private_data_dir / "env" / "extravars").write_text("target: hetzner\n", encoding="utf-8")
    (private_data_dir / "inventory").mkdir()  # an AWX inventory: a group of hosts, hcloud_name as the hcloud inventory sets it
    inventory = {"all": {"children": {"hetzner": {"hosts": {"db-primary": {"hcloud_name": "db1"}, "worker1": {}, "sg5": {}}}}}}
    (private_data_dir / "inventory" / "hosts.json").write_text(json.dumps(inventory), encoding="utf-8")
    with start_simulator(["--fleet", "demo", "--speed", "20", "--token", f"hc-{secrets.token_hex(24)}"], cwd=REPO_ROOT) as sim:
        before = snapshots(sim.control.state())
        outcome = run_awx_job(tools, installed, private_data_dir, "snapshot_hosts", sim)
        assert_one_new_snapshot_each(before, snapshots(sim.control.state()), ["db1", "sg5", "worker1"])
    assert_ran_the_installed_collection(outcome["events"], installed)
    assert_token_only_where_the_credential_put_it(private_data_dir, sim.token, outcome["events"])
