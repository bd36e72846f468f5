"""AWX's job slicing, reproduced: the inventory split as AWX splits it, one ansible-runner job per slice, all at once.

What AWX does (read in github:ansible/awx, awx/main/models/inventory.py ``get_sliced_hosts`` and ``get_script_data``,
models/jobs.py ``create_unified_job``, models/workflow.py, tasks/jobs.py ``build_inventory``): a job template with
``job_slice_count`` N > 1 launches a workflow job (named after the template) with N nodes; slice k (from 1) is a job
whose inventory holds the enabled hosts ordered by name, ``hosts[k-1::N]``, written as a script that prints the JSON;
the slices run at once (``allow_simultaneous``), each as its own ansible-runner job on whichever execution node has
capacity. No slice number or count reaches the playbook: the extra vars are the template's and AWX's meta vars
(``awx_job_id``, ``awx_job_launch_type`` "workflow", ``awx_workflow_job_id``/``_name``, ``awx_job_template_id``/``_name``,
the inventory's, the user's; each again as ``tower_...``).

``run_slices`` runs ``lockaware.hcloud.snapshot_hosts`` that way (tests/packaging/awx_job.py, with the packaging tests'
ansible-runner) against one simulator; ``check_slices`` says what went wrong, from the jobs' events and the simulator's
request log and state: used by reliability scenario 30 (400 servers) and tests/packaging/test_awx_slices.py (24).
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fleets
import observe
from scenarios_real_api import lowest_balance, when

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER_PYTHON = REPO_ROOT / ".tmp" / "packaging-tools" / "bin" / "python"  # `make packaging` builds it
AWX_JOB = REPO_ROOT / "tests" / "packaging" / "awx_job.py"
TEMPLATE = "Hetzner nightly snapshots"
PROJECT_PLAYBOOK = "---\n- name: Snapshot with lockaware.hcloud\n  ansible.builtin.import_playbook: lockaware.hcloud.{playbook}\n"
SERIES = {"series": "nightly"}
OLD_SERIES = 3  # snapshots of the series each server has before the run (24, 48, 72 hours old)
KEEP = 3  # so the run deletes the oldest, and keeps the two newer ones beside its own

# The budget all slices together keep to: poll_budget 0.25 of 3600 an hour, one burst of 20 (_budget.BURST).
BUDGET_RATE = 0.25
BUDGET_BURST = 20.0
# Requests a replay may find beyond it without an over-spend (scenario 20's STUCK_SLACK, and one more per slice: a
# crowd estimate settles within the first few answers, a slice may have spent from its first burst before that).
REPLAY_SLACK = 2.0


def awx_slices(hosts: list[str], count: int) -> list[list[str]]:
    """The hosts of each slice, as AWX splits them: ordered by name, slice k takes every count-th from the k-th."""
    ordered = sorted(hosts)
    return [ordered[number - 1 :: count] for number in range(1, min(count, len(ordered)) + 1)]


def meta_vars(slice_number: int, workflow: str = TEMPLATE) -> dict[str, Any]:
    """The extra vars AWX adds to a slice job (awx_meta_vars): nothing that says which slice, or how many. A sliced
    job's workflow is named after its job template; ``workflow`` names another (a job in a workflow of one's own)."""
    values = {
        "job_id": 100 + slice_number,
        "job_launch_type": "workflow",
        "workflow_job_id": 100,
        "workflow_job_name": workflow,
        "workflow_job_launch_type": "manual",
        "job_template_id": 7,
        "job_template_name": TEMPLATE,
        "inventory_id": 3,
        "inventory_name": "Hetzner servers",
    }
    return {f"{prefix}_{name}": value for prefix in ("awx", "tower") for name, value in values.items()}


def server_specs(names: list[str]) -> list[dict[str, Any]]:
    """Servers with ``OLD_SERIES`` snapshots of the series (the collection's) and one of a colleague's."""
    old = [fleets.snapshot(f"nightly-{hours}h", {**fleets.MANAGED, **SERIES}, hours) for hours in (24, 48, 72)]
    return [fleets.server(name, snapshots=[*old, fleets.snapshot("colleague's", {}, 100)]) for name in names]


@dataclass
class SliceJob:
    """One slice's job: its hosts, what ansible-runner said, and each host's outcome from the job's events."""

    number: int
    hosts: list[str]
    status: str
    rc: int | None
    outcomes: dict[str, str]
    stderr: str
    stdout: str = ""
    snapshot_task: tuple[str, str] = ("", "")  # when the slice's snapshot task started and ended (its events' times)


def run_slices(
    root: Path, slices: list[list[str]], extravars: dict[str, Any], url: str, token: str, timeout: float = 600, playbook: str = "snapshot_hosts"
) -> list[SliceJob]:
    """Run one ansible-runner job per slice of ``lockaware.hcloud.<playbook>``, all started together; wait for each.

    ``extravars`` may override AWX's meta vars (``awx_workflow_job_name``: a job in a workflow of one's own)."""
    collections = REPO_ROOT / ".tmp" / "collections"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HCLOUD_")) and key != "PYTHONPATH"}
    env["PATH"] = f"{RUNNER_PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    started = []
    for number, hosts in enumerate(slices, start=1):
        data = private_data_dir(root / f"slice-{number}", number, hosts, extravars, playbook)
        envvars = {
            "HCLOUD_TOKEN": token,
            "HCLOUD_ENDPOINT": url,
            "ANSIBLE_COLLECTIONS_PATH": str(collections),
            "ANSIBLE_HOME": str(data / "ansible-home"),
        }
        job = json.dumps({"private_data_dir": str(data), "playbook": f"{playbook}.yml", "envvars": envvars})
        process = subprocess.Popen([RUNNER_PYTHON, AWX_JOB], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        started.append((number, hosts, process, job))
    # Each job reads its description from stdin before it starts: every one is handed its own at once, in a thread
    # of its own (a job waiting for its stdin while another runs would make the slices run one after another).
    with ThreadPoolExecutor(len(started)) as pool:
        waits = [pool.submit(finished, number, hosts, process, job, timeout, root / f"slice-{number}") for number, hosts, process, job in started]
        return [wait.result() for wait in waits]


def private_data_dir(data: Path, number: int, hosts: list[str], extravars: dict[str, Any], playbook: str) -> Path:
    """What AWX writes for a slice job: the project, the slice's inventory script, the extra vars."""
    for sub in ("project", "inventory", "env"):
        (data / sub).mkdir(parents=True)
    (data / "project" / f"{playbook}.yml").write_text(PROJECT_PLAYBOOK.format(playbook=playbook), encoding="utf-8")
    hostvars = {host: {"remote_tower_enabled": "true", "remote_tower_id": index} for index, host in enumerate(hosts, start=1)}
    script_data = {"all": {"hosts": hosts}, "_meta": {"hostvars": hostvars}}
    script = data / "inventory" / "hosts"
    script.write_text(f"#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint({json.dumps(script_data)!r})\n", encoding="utf-8")
    script.chmod(0o700)
    (data / "env" / "extravars").write_text(json.dumps({**meta_vars(number), **extravars}), encoding="utf-8")
    return data


def finished(number: int, hosts: list[str], process: subprocess.Popen, job: str, timeout: float, data: Path) -> SliceJob:
    stdout, stderr = process.communicate(job, timeout=timeout)
    artifact = data / "artifacts" / "1" / "stdout"
    job_stdout = artifact.read_text(encoding="utf-8", errors="replace") if artifact.exists() else ""
    try:
        outcome = json.loads(stdout)
    except ValueError:
        return SliceJob(number, hosts, "no outcome", process.returncode, {}, stderr[-3000:] + stdout[-3000:])
    events = outcome["events"]
    return SliceJob(number, hosts, outcome["status"], outcome["rc"], host_outcomes(events), stderr[-3000:], job_stdout, task_span(events))


def task_span(events: list[dict[str, Any]]) -> tuple[str, str]:
    """The times (ISO) the task "Snapshot the servers of this batch" started and ended, from the job's events."""
    times = {
        event.get("event"): event.get("created", "")
        for event in events
        if (event.get("event_data") or {}).get("task") == "Snapshot the servers of this batch" and event.get("event") in ("runner_on_start", "runner_on_ok")
    }
    return times.get("runner_on_start", ""), times.get("runner_on_ok", "")


def host_outcomes(events: list[dict[str, Any]]) -> dict[str, str]:
    """Each host's outcome as its job reported it: the ``host_snapshot`` fact of the task "This host's outcome"."""
    outcomes = {}
    for event in events:
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and data.get("task") == "This host's outcome":
            outcomes[data["host"]] = ((data.get("res") or {}).get("ansible_facts") or {}).get("host_snapshot", {}).get("outcome", "?")
    return outcomes


def check_slices(jobs: list[SliceJob], requests: list[dict[str, Any]], snapshots: dict[int, observe.Snap], description: str) -> list[str]:
    """Every problem of a sliced run: the jobs' exit, each host's outcome, 429s, the polls' budget, the snapshots."""
    problems = []
    for job in jobs:
        if (job.status, job.rc) != ("successful", 0):
            problems.append(f"slice {job.number}: job {job.status}, rc {job.rc}: {job.stderr}")
        if job.outcomes != dict.fromkeys(job.hosts, "created"):
            wrong = {host: job.outcomes.get(host, "not reported") for host in job.hosts if job.outcomes.get(host) != "created"}
            extra = sorted(set(job.outcomes) - set(job.hosts))
            problems.append(f"slice {job.number}: hosts not reported created: {wrong}; reported but not in the slice: {extra}")
    spans = [job.snapshot_task for job in jobs]
    if len(jobs) > 1 and not (all(all(span) for span in spans) and max(start for start, _end in spans) < min(end for _start, end in spans)):
        problems.append(f"the slices' snapshot tasks did not run at the same time: {spans}")
    problems += budget_problems(requests, len(jobs))
    names = [host for job in jobs for host in job.hosts]
    problems += snapshot_problems(names, snapshots, description)
    return problems


def budget_problems(requests: list[dict[str, Any]], slice_count: int) -> list[str]:
    """No 429; the polls of all slices together within one budget; the project's bucket kept three quarters full
    less the requests that were not polls (the slices' reads and writes)."""
    problems = []
    limited = [entry for entry in requests if entry["status"] == 429]
    if limited:
        problems.append(f"{len(limited)} requests answered 429, the first {observe.show_request(limited[0])}")
    creates = [entry for entry in requests if entry["method"] == "POST" and entry["path"].endswith("/actions/create_image")]
    polls = [entry for entry in requests if entry["method"] == "GET" and entry["path"].startswith("/v1/actions")]
    if creates and polls:
        first = when(creates[0])
        times = [(when(entry) - first).total_seconds() for entry in polls]
        lowest = lowest_balance(times, BUDGET_RATE, BUDGET_BURST)
        if lowest < -REPLAY_SLACK:
            span = f"{len(polls)} polls of {slice_count} slices in {times[-1] - times[0]:.0f} s"
            problems.append(f"{span} went {-lowest:.1f} requests beyond one budget of {BUDGET_BURST:.0f} at once and {BUDGET_RATE} a second")
    others = len(requests) - len(polls)
    seen = [entry["rate_limit_remaining"] for entry in requests if entry["rate_limit_remaining"] is not None]
    floor = (1 - BUDGET_RATE) * 3600 - others
    if seen and min(seen) < floor:
        problems.append(
            f"RateLimit-Remaining fell to {min(seen)}, below three quarters of the limit less the {others} requests that were not polls ({floor:.0f})"
        )
    return problems


def summary(requests: list[dict[str, Any]]) -> str:
    """One line for the log: requests, polls, their span and the lowest balance of one budget, RateLimit-Remaining."""
    polls = [entry for entry in requests if entry["method"] == "GET" and entry["path"].startswith("/v1/actions")]
    if not polls:
        return f"{len(requests)} requests, no polls"
    times = [(when(entry) - when(requests[0])).total_seconds() for entry in polls]
    seen = [entry["rate_limit_remaining"] for entry in requests if entry["rate_limit_remaining"] is not None]
    span = times[-1] - times[0]
    lowest = lowest_balance(times, BUDGET_RATE, BUDGET_BURST)
    return (
        f"{len(requests)} requests, {len(polls)} polls in {span:.0f} s ({len(polls) / max(span, 1):.2f} a second), lowest balance of one budget "
        f"{lowest:.1f}, lowest RateLimit-Remaining {min(seen, default=None)}, {sum(entry['status'] == 429 for entry in requests)} answered 429"
    )


def snapshot_problems(names: list[str], snapshots: dict[int, observe.Snap], description: str) -> list[str]:
    """Exactly one new snapshot per server, the series rotated to ``KEEP`` exactly, the colleague's left alone."""
    problems = []
    for name in names:
        own = [snap for snap in snapshots.values() if snap.server_name == name]
        new = [snap for snap in own if snap.description == description]
        series = sorted(snap.description for snap in own if snap.labels.get("series") == SERIES["series"])
        expected = sorted([description, "nightly-24h", "nightly-48h"])
        if len(new) != 1:
            problems.append(f"{name}: {len(new)} snapshots {description!r} (expected one): {[snap.show() for snap in new]}")
        if series != expected:
            problems.append(f"{name}: the series holds {series}, expected {expected} (keep {KEEP})")
        if not any(snap.description == "colleague's" for snap in own):
            problems.append(f"{name}: a colleague's snapshot was deleted")
    return problems
