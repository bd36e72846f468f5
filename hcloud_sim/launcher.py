"""Start the simulator as a subprocess (for tests, the demo and benchmarks), and a small control client.

For example::

    with start_simulator(["--fleet", "demo", "--speed", "20"]) as sim:
        client = hcloud.Client(token=sim.token, api_endpoint=sim.url)
        SimControl(sim.base_url, sim.token).lock("web1", "rebuild", 5)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_READY = re.compile(r"^hcloud_sim listening on (?P<url>http://\S+)/v1 \((?P<servers>\d+) servers\)$")


class SimulatorError(RuntimeError):
    """The simulator did not start, or the control API refused a request."""


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


class SimControl:
    """A client of the control API (``/_sim``), standard library only."""

    def __init__(self, base_url: str, token: str = "sim-token", timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/").removesuffix("/v1")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``/_sim{path}``; returns the decoded JSON answer (None for 204), raises ``SimulatorError`` on errors."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}/_sim{path}", data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            raise SimulatorError(f"{method} /_sim{path} answered {exc.code}: {exc.read().decode(errors='replace')}") from exc
        return json.loads(payload) if payload else None

    def reset(self, fleet: Any = "demo", seed: int | None = None) -> Any:
        """Replace the state: ``fleet`` is a fleet spec (dict), ``"demo"`` or a number of servers."""
        if isinstance(fleet, dict):
            return self.request("POST", "/reset", fleet)
        body: dict[str, Any] = {"fleet": fleet}
        if seed is not None:
            body["seed"] = seed
        return self.request("POST", "/reset", body)

    def state(self) -> Any:
        """Every server, image and action."""
        return self.request("GET", "/state")

    def settings(self, **changes: Any) -> Any:
        """Change simulation settings (e.g. ``snapshot_quota=3``)."""
        return self.request("POST", "/settings", changes)

    def lock(self, server: str | int, command: str, seconds: float, image: dict[str, Any] | None = None, fail: dict[str, str] | None = None) -> Any:
        """Start a running action on a server as another client would."""
        body: dict[str, Any] = {"command": command, "seconds": seconds}
        if image is not None:
            body["image"] = image
        if fail is not None:
            body["fail"] = fail
        return self.request("POST", f"/servers/{server}/lock", body)

    def delete_server(self, server: str | int) -> Any:
        """Delete a server at once."""
        return self.request("POST", f"/servers/{server}/delete", {})

    def fail_action(self, action_id: int, code: str = "action_failed", message: str = "action failed") -> Any:
        """End a running action now, in error."""
        return self.request("POST", f"/actions/{action_id}/fail", {"code": code, "message": message})

    def action_fault(self, command: str, times: int = 1, code: str = "action_failed", message: str = "action failed", server: str | int | None = None) -> Any:
        """Make the next ``times`` public actions of ``command`` end in error."""
        body: dict[str, Any] = {"command": command, "times": times, "code": code, "message": message}
        if server is not None:
            body["server"] = server
        return self.request("POST", "/action_faults", body)

    def faults(self, rules: list[dict[str, Any]]) -> Any:
        """Add fault rules."""
        return self.request("POST", "/faults", {"rules": rules})

    def clear_faults(self) -> None:
        """Remove every fault rule and action fault."""
        self.request("DELETE", "/faults")
        self.request("DELETE", "/action_faults")

    def requests(self) -> list[dict[str, Any]]:
        """Every public request served since the last clear."""
        return self.request("GET", "/requests")["requests"]

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.request("DELETE", "/requests")
