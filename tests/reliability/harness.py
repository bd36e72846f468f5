"""The test bench of the reliability suite: one simulator, the collection's link, and ansible-playbook runs against it.

Every playbook run gets a working directory of its own (extra vars, results, ``ANSIBLE_HOME``, local and remote
temporary files, ``ANSIBLE_LOG_PATH``, stdout and stderr), so that everything the run wrote can be searched for
the API token afterwards. Runs start in a process group of their own, so that a run can be killed whole.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from hcloud_sim.launcher import SimControl, SimulatorProcess, start_simulator  # noqa: E402  pylint: disable=wrong-import-position

COLLECTIONS_ROOT = REPO_ROOT / ".tmp" / "collections"
COLLECTION_LINK = COLLECTIONS_ROOT / "ansible_collections" / "lockaware" / "hcloud"
PLAYBOOK_DIR = Path(__file__).resolve().parent / "playbooks"
FLEET_PLAYBOOK = REPO_ROOT / "playbooks" / "snapshot_fleet.yml"
HOSTS_PLAYBOOK = REPO_ROOT / "playbooks" / "snapshot_hosts.yml"
# Simulated seconds per real second. Every duration the suite asks of the simulator goes through sim_seconds().
SPEED = 1.0
PLAYBOOK_TIMEOUT = 300.0
WATCH_POLL = 0.05


def sim_seconds(real_seconds: float) -> float:
    """Simulated seconds that last ``real_seconds`` of real time at the simulator's speed."""
    return round(real_seconds * SPEED, 3)


def ensure_collection_link() -> Path:
    """``.tmp/collections/ansible_collections/lockaware/hcloud -> checkout``, created if missing."""
    if not COLLECTION_LINK.exists():
        COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
        if COLLECTION_LINK.is_symlink():
            COLLECTION_LINK.unlink()
        COLLECTION_LINK.symlink_to(REPO_ROOT, target_is_directory=True)
    return COLLECTION_LINK


def new_token() -> str:
    """A random token, easy to search for in any output."""
    return f"rel-{secrets.token_hex(20)}"


def read_only_token_for(token: str) -> str:
    """The read-only token of the suite simulator started with ``token``: random too, and not containing it."""
    return f"ro-{token[::-1]}"


def start_suite_simulator(token: str) -> SimulatorProcess:
    """The one simulator of a suite run (demo project at first; every scenario run resets it).

    It also accepts a read-only token (``read_only_token_for(token)``) for the scenarios about read-only tokens.
    """
    options = ["--state", "demo", "--token", token, "--read-only-token", read_only_token_for(token), "--speed", str(SPEED)]
    return start_simulator(options, cwd=REPO_ROOT)


def ansible_tool(name: str) -> str:
    """The path of an Ansible command line tool: next to this Python first, else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)


@dataclass
class PlaybookRun:
    """A finished ansible-playbook run: exit status, output, the saved results, and where it wrote files."""

    label: str
    argv: list[str]
    rc: int | None
    stdout: str
    stderr: str
    seconds: float
    workdir: Path
    results: list[dict[str, Any]] = field(default_factory=list)
    killed: bool = False
    timed_out: bool = False

    def result(self, name: str) -> dict[str, Any]:
        """The saved result of the case (or the registered variable) called ``name``; an empty dict if there is none."""
        for result in self.results:
            case = result.get("case") or {}
            if case.get("name") == name:
                return result
            if "case" not in result and isinstance(result.get(name), dict):
                return result[name]
        return {}

    def describe(self) -> str:
        """A short description for failure messages."""
        state = "killed" if self.killed else ("timed out" if self.timed_out else f"rc={self.rc}")
        return f"{self.label} ({state}, {self.seconds:.1f}s, output in {self.workdir})"

    def tail(self, lines: int = 15) -> str:
        """The last lines of stdout, for failure messages."""
        return "\n".join(self.stdout.splitlines()[-lines:])


class RunningPlaybook:
    """An ansible-playbook process started in its own process group."""

    def __init__(self, label: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.label = label
        self.argv = argv
        self.workdir = workdir
        self.started = time.monotonic()
        self.killed = False
        self._stdout = (workdir / "stdout.txt").open("wb")
        self._stderr = (workdir / "stderr.txt").open("wb")
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr, start_new_session=True
        )
        self.pgid = self.process.pid

    def running(self) -> bool:
        """Whether ansible-playbook is still running."""
        return self.process.poll() is None

    def kill_group(self) -> None:
        """SIGKILL the whole process group: ansible-playbook, its workers and the module process."""
        self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)

    def signal_group(self, signum: int) -> None:
        """Send ``signum`` to the process group, as Ctrl-C (SIGINT) or a scheduler's stop (SIGTERM) does.

        ansible-core 2.19 and later start each worker in a session of its own: the worker gets the signal only from
        ansible-playbook, which passes SIGINT and SIGTERM on.
        """
        if signum == signal.SIGKILL:
            self.killed = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signum)

    def descendants(self) -> list[int]:
        """The processes started by ansible-playbook (its workers, in sessions of their own), and theirs."""
        parents: dict[int, int] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        found, frontier = [], [self.process.pid]
        while frontier:
            children = [pid for pid, parent in parents.items() if parent in frontier]
            found += children
            frontier = children
        return found

    def kill_tree(self) -> None:
        """SIGKILL the group and every process it started: a controller that dies, or a job container removed."""
        pids = self.descendants()
        self.kill_group()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def group_alive(self) -> bool:
        """Whether any process of the group is still there."""
        try:
            os.killpg(self.pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def finish(self, timeout: float = PLAYBOOK_TIMEOUT) -> PlaybookRun:
        """Wait for the end (killing the group after ``timeout`` s) and collect output and results."""
        timed_out = False
        try:
            self.process.wait(max(0.0, timeout - (time.monotonic() - self.started)))
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill_group()
            self.process.wait()
        self._stdout.close()
        self._stderr.close()
        return PlaybookRun(
            label=self.label,
            argv=self.argv,
            rc=self.process.returncode,
            stdout=_read(self.workdir / "stdout.txt"),
            stderr=_read(self.workdir / "stderr.txt"),
            seconds=time.monotonic() - self.started,
            workdir=self.workdir,
            results=_load_results(self.workdir),
            killed=self.killed,
            timed_out=timed_out,
        )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _load_results(workdir: Path) -> list[dict[str, Any]]:
    """The results the playbook saved, one ``results-<host>.json`` per host."""
    results: list[dict[str, Any]] = []
    for path in sorted(workdir.glob("results-*.json")):
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        results.extend(loaded if isinstance(loaded, list) else [loaded])
    return results


class Bench:
    """The simulator of a suite run, and ansible-playbook runs against it."""

    def __init__(self, sim: SimulatorProcess, workroot: Path) -> None:
        self.sim = sim
        self.control: SimControl = sim.control
        self.token = sim.token
        self.read_only_token = read_only_token_for(sim.token)
        self.workroot = workroot
        self._counter = 0

    def new_workdir(self, label: str) -> Path:
        """A fresh working directory for one run."""
        self._counter += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label)[:60]
        workdir = self.workroot / f"{self._counter:04d}-{slug}"
        workdir.mkdir(parents=True)
        return workdir

    def environment(self, workdir: Path, with_token: bool = True, token: str | None = None) -> dict[str, str]:
        """The controller's environment, as a user of the simulator sets it; every Ansible file goes under ``workdir``.

        ``token`` replaces the suite's token in ``HCLOUD_TOKEN`` (the read-only one, say).
        """
        env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "HCLOUD_"))}
        home = workdir / "ansible-home"
        env.update(
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT),
            ANSIBLE_HOME=str(home),
            ANSIBLE_LOCAL_TEMP=str(home / "tmp-local"),
            ANSIBLE_REMOTE_TEMP=str(home / "tmp-remote"),
            ANSIBLE_LOG_PATH=str(workdir / "ansible.log"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            HCLOUD_ENDPOINT=self.sim.url,
        )
        if with_token:
            env["HCLOUD_TOKEN"] = token or self.token
        return env

    def start(
        self,
        playbook: str | Path,
        extra_vars: dict[str, Any] | None = None,
        *,
        label: str = "",
        check: bool = False,
        with_token: bool = True,
        verbosity: int = 3,
        hosts: dict[str, dict[str, Any]] | None = None,
        token: str | None = None,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str | None] | None = None,
    ) -> RunningPlaybook:
        """Start ansible-playbook on ``playbook`` (a name under tests/reliability/playbooks, or a path) in the background.

        ``hosts`` (name -> host variables) makes an inventory of local hosts that the playbook runs on side by side,
        one fork each, as a user's inventory of servers would; without it the play runs on localhost. ``token``
        replaces the suite's token in the controller's environment; ``env`` sets (or, with ``None``, removes) more of
        its variables; ``extra_args`` go to ansible-playbook as they are (``--diff``, ``-i``, ``--vault-password-file``).
        """
        path = Path(playbook) if Path(playbook).is_absolute() else PLAYBOOK_DIR / playbook
        label = label or path.stem
        workdir = self.new_workdir(label)
        variables = dict(extra_vars or {}, result_dir=str(workdir))
        argv = [ansible_tool("ansible-playbook"), str(path), "-e", f"@{workdir / 'vars.json'}"]
        if hosts:
            local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
            inventory = {"all": {"hosts": {name: dict(local, **host_vars) for name, host_vars in hosts.items()}}}
            (workdir / "inventory.json").write_text(json.dumps(inventory, indent=1), encoding="utf-8")
            argv += ["-i", str(workdir / "inventory.json"), "-f", str(len(hosts))]
            variables["playbook_hosts"] = "all"
        (workdir / "vars.json").write_text(json.dumps(variables, indent=1), encoding="utf-8")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        if check:
            argv.append("--check")
        argv.extend(extra_args)
        environment = self.environment(workdir, with_token, token)
        for name, value in (env or {}).items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        return RunningPlaybook(label, argv, environment, workdir)

    def run(self, playbook: str | Path, extra_vars: dict[str, Any] | None = None, *, timeout: float = PLAYBOOK_TIMEOUT, **kwargs: Any) -> PlaybookRun:
        """Run ansible-playbook and wait for it."""
        return self.start(playbook, extra_vars, **kwargs).finish(timeout)

    def watch(self, runnings: RunningPlaybook | list[RunningPlaybook], triggers: list[Trigger], timeout: float = PLAYBOOK_TIMEOUT) -> list[dict[str, Any]]:
        """While the playbooks run, fire each trigger once, on the first request of the log that matches it.

        Returns the requests that fired a trigger; triggers whose request never came are left unfired.
        """
        runs = runnings if isinstance(runnings, list) else [runnings]
        pending = list(triggers)
        fired: list[dict[str, Any]] = []
        seen = 0
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            alive = any(run.running() for run in runs)
            entries = self.control.requests()
            for entry in entries[seen:]:
                trigger = next((trigger for trigger in pending if trigger.matches(entry)), None)
                if trigger is not None:
                    pending.remove(trigger)
                    trigger.action(entry)
                    fired.append(entry)
            seen = len(entries)
            if not alive:
                break
            time.sleep(WATCH_POLL)
        return fired


@dataclass
class Trigger:
    """Something to do as soon as a request matching ``method``, ``path`` (a regex) and ``status`` shows in the log."""

    method: str
    path: str
    action: Callable[[dict[str, Any]], Any]
    status: int | None = None
    query: dict[str, str] = field(default_factory=dict)

    def matches(self, entry: dict[str, Any]) -> bool:
        """Whether a request log entry is the one awaited."""
        if entry["method"] != self.method or not re.search(self.path, entry["path"]):
            return False
        if self.status is not None and entry["status"] != self.status:
            return False
        query = entry.get("query") or {}
        return all(value in (query.get(key) or []) for key, value in self.query.items())


def make_workroot() -> Path:
    """The directory under which every run of the suite gets its working directory."""
    return Path(tempfile.mkdtemp(prefix="lockaware-reliability-"))


def drain_rate_limit(url: str, token: str, leave: int, workers: int = 4) -> int:
    """Spend the project's rate-limit bucket down to about ``leave`` requests; returns the lowest RateLimit-Remaining seen.

    Each request (``GET /locations``) uses a connection of its own: that is faster against the simulator than
    keep-alive, whose small writes wait for delayed ACKs.
    """
    parts = urllib.parse.urlsplit(url)

    def spend(_worker: int) -> int:
        remaining = 1 << 30
        while remaining > leave:
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
            try:
                connection.request("GET", f"{parts.path}/locations", headers={"Authorization": f"Bearer {token}", "Connection": "close"})
                response = connection.getresponse()
                response.read()
            finally:
                connection.close()
            remaining = int(response.headers.get("RateLimit-Remaining") or 0)
            if response.status == 429:
                break
        return remaining

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return min(pool.map(spend, range(workers)))
