"""Scenario 24: a cancelled job never leaves a production server off.

``playbooks/snapshot_fleet.yml -e shutdown=true`` (a user's command) snapshots a few running servers and one that
somebody else powered off; while the snapshots are being made the run is cancelled, at a seeded moment, in each of
the ways a run ends early: SIGINT to the process group (Ctrl-C), SIGTERM to the group (a scheduler's stop), the
controller dying (SIGKILL to the group and to every process it started), and, when ansible-runner is installed (the
packaging tests' tools virtualenv), an AWX-like job cancelled through ansible-runner's ``cancel_callback``. After
each, one more run of the same command: it exits 0, every running server is running again, the server that was off
stays off, no server carries ``lockaware.hcloud/powered-off``, and each server has exactly one snapshot of the round.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import fleets
from context import RunContext
from harness import COLLECTIONS_ROOT, FLEET_PLAYBOOK, REPO_ROOT, RunningPlaybook, Trigger, sim_seconds

POWER_LABEL = "lockaware.hcloud/powered-off"
RUNNER_PYTHON = REPO_ROOT / ".tmp" / "packaging-tools" / "bin" / "python"
RUNNER_JOB = Path(__file__).with_name("runner_cancel_job.py")
PRODUCTION = ["prod-1", "prod-2", "prod-3"]  # running: shut down for the snapshot, and powered on again
# A snapshot takes this long (real seconds): the cancellations fall inside it.
SNAPSHOT_SECONDS = 6.0


def cancel(ctx: RunContext) -> None:
    """24. SIGINT, SIGTERM, a dead controller and an ansible-runner cancel, each while snapshots are made; one rerun."""
    running_names = PRODUCTION
    cold = "cold-1"  # powered off by someone else: it stays off
    servers = [fleets.server(name) for name in running_names] + [fleets.server(cold, status="off")]
    ctx.reset(fleets.fleet(servers, snapshot_seconds_base=sim_seconds(SNAPSHOT_SECONDS), shutdown_seconds=sim_seconds(0.5), poweron_seconds=sim_seconds(0.5)))
    ctx.mark_before()
    ways = ["SIGINT", "SIGTERM", "controller dies"] + (["ansible-runner cancel"] if RUNNER_PYTHON.exists() else [])
    if not RUNNER_PYTHON.exists():
        print(f"scenario 24: no ansible-runner ({RUNNER_PYTHON} is missing: `make packaging` builds it); the runner cancel is not tried", file=sys.stderr)
    if ctx.fast:  # make test: the controller dies, and one of the signals a process can handle, chosen by the seed
        ways = ["controller dies", ctx.rng.choice(["SIGINT", "SIGTERM"])]
    for way in ways:
        description = f"cancel-{way.split()[0].lower()}-{ctx.seed}"
        for name in [*running_names, cold]:
            ctx.expect(name, description)
        variables = {"label_selector": "env=reliability", "shutdown": True, "description": description}
        cancelled_off = cancel_once(ctx, way, variables)
        rerun = ctx.playbook(FLEET_PLAYBOOK, variables, label=f"rerun after {way}", verbosity=0)
        ctx.check_exit_ok(rerun, f"the rerun after {way}")
        ctx.check_running(running_names, f"after {way} and a rerun")
        check_state(ctx, cold, way)
        print(f"scenario 24 [{ctx.seed}] {way}: {cancelled_off} server(s) off after the cancelled run, rerun rc={rerun.rc}", file=sys.stderr)


def cancel_once(ctx: RunContext, way: str, variables: dict[str, Any]) -> int:
    """Start the fleet playbook, cancel it ``way`` once a snapshot is being made; returns the servers left off by it."""
    pause = round(ctx.rng.uniform(0.3, SNAPSHOT_SECONDS - 1.0), 2)
    ctx.control.clear_requests()  # the trigger looks for this run's first create_image (every run so far was checked)
    if way == "ansible-runner cancel":
        return runner_cancel(ctx, variables, pause)
    running = ctx.start(FLEET_PLAYBOOK, variables, label=f"cancel {way}", verbosity=0)
    workers: list[int] = []
    signalled: list[float] = []

    def fire(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        workers.extend(running.descendants())
        signalled.append(time.monotonic())
        ctx.outcome.cancellations += 1
        if way == "controller dies":
            running.kill_tree()
        else:
            running.signal_group(signal.SIGINT if way == "SIGINT" else signal.SIGTERM)

    fired = ctx.bench.watch(running, [Trigger("POST", create_of(ctx, PRODUCTION), fire, status=201)])
    ctx.check(fired, f"{way}: no snapshot was started before the run ended")
    done = ctx.finish(running, timeout=120)
    if signalled:
        exited = time.monotonic() - signalled[0]
        gone = wait_gone(workers, 60)
        workers_end = f"{exited + gone:.1f}s" if gone is not None else "more than a minute"
        print(
            f"scenario 24 [{ctx.seed}] {way} {pause}s after the first create_image: ansible-playbook exited rc={done.rc} "
            f"{exited:.1f}s after the signal, its last worker {workers_end} after it",
            file=sys.stderr,
        )
    if way != "controller dies":
        ctx.check(done.rc != 0, f"{way}: the cancelled run exited 0")
    return off_count(ctx)


def runner_cancel(ctx: RunContext, variables: dict[str, Any], pause: float) -> int:
    """An AWX-like job through ansible-runner, whose cancel_callback says yes ``pause`` s into the first snapshot."""
    workdir = ctx.bench.new_workdir("runner-cancel")
    flag = workdir / "cancel-now"
    job = {
        "private_data_dir": str(workdir / "job"),
        "extravars": variables,
        "envvars": {"HCLOUD_TOKEN": ctx.bench.token, "HCLOUD_ENDPOINT": ctx.bench.sim.url, "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_ROOT)},
        "cancel_flag": str(flag),
    }
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env = {key: value for key, value in env.items() if not key.startswith(("ANSIBLE_", "HCLOUD_"))}
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [str(RUNNER_PYTHON), str(RUNNER_JOB)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(job))
    process.stdin.close()
    process.stdin = None  # written: communicate() below only reads

    def fire(_entry: dict[str, Any]) -> None:
        time.sleep(pause)
        ctx.outcome.cancellations += 1
        flag.touch()

    watcher = RunningPlaybook.__new__(RunningPlaybook)  # only ``running()`` is asked of it by ``watch``
    watcher.process = process  # type: ignore[assignment]
    fired = ctx.bench.watch(watcher, [Trigger("POST", create_of(ctx, PRODUCTION), fire, status=201)])
    stdout, stderr = process.communicate(timeout=120)
    ctx.check(fired, "ansible-runner: no snapshot was started before the job ended")
    ctx.check(process.returncode == 0, f"the ansible-runner job script failed: {stderr[-2000:]}")
    outcome = json.loads(stdout or "{}")
    ctx.check(outcome.get("status") == "canceled", f"ansible-runner: expected the job canceled, got {outcome}")
    print(
        f"scenario 24 [{ctx.seed}] ansible-runner cancel {pause}s after the first create_image: job {outcome.get('status')}, rc {outcome.get('rc')}",
        file=sys.stderr,
    )
    time.sleep(1.0)
    return off_count(ctx)


def create_of(ctx: RunContext, names: list[str]) -> str:
    """The regex of the create_image path of any of these servers: a production server's snapshot is being made."""
    return rf"^/v1/servers/({'|'.join(str(ctx.ids[name]) for name in names)})/actions/create_image$"


def wait_gone(pids: list[int], timeout: float) -> float | None:
    """Seconds until none of ``pids`` runs any more (zombies count as gone), or None."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not any(alive(pid) for pid in pids):
            return round(time.monotonic() - started, 1)
        time.sleep(0.1)
    return None


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def off_count(ctx: RunContext) -> int:
    return sum(1 for server in ctx.control.state()["servers"] if server["status"] != "running" and server["name"] != "cold-1")


def check_state(ctx: RunContext, cold: str, way: str) -> None:
    """The server somebody else powered off is still off; no server carries our label."""
    servers = ctx.control.state()["servers"]
    status = {server["name"]: server["status"] for server in servers}
    ctx.check(status.get(cold) == "off", f"after {way}: {cold}, powered off by somebody else, is {status.get(cold)}")
    labelled = [server["name"] for server in servers if POWER_LABEL in (server.get("labels") or {})]
    ctx.check(not labelled, f"after {way}: servers still labelled {POWER_LABEL}: {labelled}")
