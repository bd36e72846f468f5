"""A sliced job template as AWX runs it, small: 24 servers in 3 slices, 3 ansible-runner jobs started together.

The inventory split as AWX splits it, each slice's job running ``lockaware.hcloud.snapshot_hosts`` with the slice's
inventory and AWX's meta vars against one simulator (the default 3600 an hour): every job successful, every host's
outcome in its own job's events, no 429, the polls of all slices together within one budget, one snapshot per
server, the series rotated to ``keep`` exactly (tests/reliability/awx_slices.py; reliability scenario 30 runs
400 servers in 4 slices).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests" / "reliability")]

import awx_slices  # noqa: E402  pylint: disable=wrong-import-position,import-error
import fleets  # noqa: E402  pylint: disable=wrong-import-position,import-error
import observe  # noqa: E402  pylint: disable=wrong-import-position,import-error
from harness import ensure_collection_link  # noqa: E402  pylint: disable=wrong-import-position,import-error

from hcloud_sim.launcher import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

SERVERS = [f"slice-web-{index:02d}" for index in range(1, 25)]
SLICES = 3


def test_the_inventory_is_split_as_awx_splits_it():
    """Ordered by name, slice k takes every N-th host from the k-th (awx Inventory.get_sliced_hosts)."""
    assert awx_slices.awx_slices(["c", "a", "e", "b", "d"], 2) == [["a", "c", "e"], ["b", "d"]]
    assert awx_slices.awx_slices(["b", "a"], 4) == [["a"], ["b"]]  # no more slices than hosts (get_effective_slice_ct)


def test_sliced_snapshot_hosts_through_ansible_runner(tools, tmp_path):  # pylint: disable=unused-argument
    ensure_collection_link()
    slices = awx_slices.awx_slices(SERVERS, SLICES)
    description = "sliced-nightly"
    extravars = {"description": description, "snapshot_labels": awx_slices.SERIES, "keep": awx_slices.KEEP}
    with start_simulator(["--state", "demo"]) as sim:
        sim.control.reset(fleets.fleet(awx_slices.server_specs(SERVERS)))
        sim.control.clear_requests()
        jobs = awx_slices.run_slices(tmp_path, slices, extravars, sim.url, sim.token, timeout=240)
        problems = awx_slices.check_slices(jobs, sim.control.requests(), observe.read_snapshots(sim.control), description)
    assert [job.hosts for job in jobs] == slices
    assert not problems, "\n".join(problems)


def test_a_sliced_fleet_playbook_is_refused_before_any_request(tools, tmp_path):  # pylint: disable=unused-argument
    """AWX runs the implicit localhost in every slice: snapshot_fleet.yml would snapshot the whole fleet once per slice."""
    ensure_collection_link()
    with start_simulator(["--state", "demo"]) as sim:
        sim.control.clear_requests()
        jobs = awx_slices.run_slices(tmp_path, [["web-a"], ["web-b"]], {}, sim.url, sim.token, timeout=180, playbook="snapshot_fleet")
        requests = sim.control.requests()
    for job in jobs:
        assert (job.status, job.rc) == ("failed", 2), job.stdout
        assert "slice snapshot_hosts.yml over an inventory of the servers instead" in job.stdout, job.stdout
    assert requests == []


def test_the_fleet_playbook_in_a_workflow_of_ones_own_runs(tools, tmp_path):  # pylint: disable=unused-argument
    """A job in a workflow (not a slice: the workflow has another name than the template) snapshots the fleet."""
    ensure_collection_link()
    with start_simulator(["--state", "demo"]) as sim:
        sim.control.clear_requests()
        [job] = awx_slices.run_slices(tmp_path, [["web-a"]], {"awx_workflow_job_name": "Nightly"}, sim.url, sim.token, timeout=180, playbook="snapshot_fleet")
        creates = [entry for entry in sim.control.requests() if entry["path"].endswith("/actions/create_image")]
        servers = len(sim.control.state()["servers"])
    assert (job.status, job.rc) == ("successful", 0), job.stdout
    assert len(creates) == servers > 1
