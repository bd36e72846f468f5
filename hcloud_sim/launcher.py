"""Start the simulator as a subprocess (for tests, the demo and benchmarks).

``SimControl``, the control API's client (``control.client``), is importable from here too.
For example::

    with start_simulator(["--state", "demo", "--speed", "20"]) as sim:
        client = hcloud.Client(token=sim.token, api_endpoint=sim.url)
        SimControl(sim.base_url, sim.token).lock("web1", "rebuild", 5)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .control.client import SimControl, SimulatorError

__all__ = ["PACKAGE_ROOT", "SimControl", "SimulatorError", "SimulatorProcess", "start_simulator"]

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_READY = re.compile(r"^hcloud_sim listening on (?P<url>http://\S+)/v1 \((?P<servers>\d+) servers\)$")


class SimulatorProcess:
    """A running simulator subprocess; a context manager that stops it on exit."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, token: str, servers: int, stderr_path: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.url = f"{base_url}/v1"
        self.token = token
        self.servers = servers
        self._stderr_path = stderr_path

    @property
    def control(self) -> SimControl:
        """A control client for this simulator."""
        return SimControl(self.base_url, self.token)

    def stderr(self) -> str:
        """What the simulator wrote to stderr so far."""
        try:
            return self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> int:
        """Stop the simulator (SIGTERM, then SIGKILL after ``timeout``); returns its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr_path.unlink(missing_ok=True)
        return self.process.returncode

    def __enter__(self) -> SimulatorProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _token_from(args: list[str]) -> str:
    for index, arg in enumerate(args):
        if arg == "--token" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--token="):
            return arg.split("=", 1)[1]
    return "sim-token"


def start_simulator(extra_args: list[str] | None = None, cwd: str | Path | None = None, timeout: float = 15.0) -> SimulatorProcess:
    """Run ``python -m hcloud_sim --port 0 EXTRA_ARGS`` and wait (at most ``timeout`` s) for its ready line."""
    args = list(extra_args or [])
    if not any(arg == "--port" or arg.startswith("--port=") for arg in args):
        args = ["--port", "0", *args]
    stderr_file = tempfile.NamedTemporaryFile(prefix="hcloud_sim-", suffix=".stderr", delete=False)  # noqa: SIM115 - closed below, removed by stop()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [sys.executable, "-m", "hcloud_sim", *args],
        cwd=str(cwd or PACKAGE_ROOT),
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    stderr_file.close()
    stderr_path = Path(stderr_file.name)
    line = _read_ready_line(process, timeout)
    match = _READY.match(line.strip()) if line else None
    if match is None:
        process.kill()
        process.wait()
        details = stderr_path.read_text(encoding="utf-8", errors="replace")
        stderr_path.unlink(missing_ok=True)
        raise SimulatorError(f"hcloud_sim did not start within {timeout:g} s (got {line!r}); stderr:\n{details}")
    return SimulatorProcess(process, match["url"], _token_from(args), int(match["servers"]), stderr_path)


def _read_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(process.stdout.readline() if process.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""
