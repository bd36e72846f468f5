"""A client of the control API (``/_sim``), standard library only.

For example::

    control = SimControl("http://127.0.0.1:8765", "sim-token")
    control.settings(actions_id_cap=25, failed_image="unavailable")
    control.lock("web1", "rebuild", 30, visible=False)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class SimulatorError(RuntimeError):
    """The simulator did not start, or the control API refused a request."""


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

    def reset(self, state: Any = "demo", seed: int | None = None) -> Any:
        """Replace the project: ``state`` is an initial state (dict), ``"demo"``, a number of servers or a file."""
        if isinstance(state, dict):
            return self.request("POST", "/reset", state)
        body: dict[str, Any] = {"state": state}
        if seed is not None:
            body["seed"] = seed
        return self.request("POST", "/reset", body)

    def state(self) -> Any:
        """Every server, image and action."""
        return self.request("GET", "/state")

    def settings(self, **changes: Any) -> Any:
        """Change simulation settings (e.g. ``snapshot_quota=3``)."""
        return self.request("POST", "/settings", changes)

    def lock(
        self, server: str | int, command: str, seconds: float, image: dict[str, Any] | None = None, fail: dict[str, str] | None = None, visible: bool = True
    ) -> Any:
        """Start a running action on a server as another client would; ``visible=False``: a lock with no visible action."""
        body: dict[str, Any] = {"command": command, "seconds": seconds}
        if image is not None:
            body["image"] = image
        if fail is not None:
            body["fail"] = fail
        if not visible:
            body["visible"] = False
        return self.request("POST", f"/servers/{server}/lock", body)

    def delete_server(self, server: str | int) -> Any:
        """Delete a server at once."""
        return self.request("POST", f"/servers/{server}/delete", {})

    def fail_action(self, action_id: int, code: str = "action_failed", message: str = "action failed") -> Any:
        """End a running action now, in error."""
        return self.request("POST", f"/actions/{action_id}/fail", {"code": code, "message": message})

    def backup_window(self, server: str | int) -> Any:
        """Take the server's automatic backup now, as its backup window would (the server must have backups enabled)."""
        return self.request("POST", f"/servers/{server}/backup_window", {})

    def action_fault(self, command: str, times: int = 1, code: str = "action_failed", message: str | None = None, server: str | int | None = None) -> Any:
        """Make the next ``times`` public actions of ``command`` end in error (``message``: the code's own text if left out)."""
        body: dict[str, Any] = {"command": command, "times": times, "code": code}
        if message is not None:
            body["message"] = message
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

    def add_token(self, token: str, read_only: bool = False) -> Any:
        """Make the project accept one more token (read-only, or read and write)."""
        return self.request("POST", "/tokens", {"token": token, "read_only": read_only})

    def clear_tokens(self) -> None:
        """Accept only the tokens given at start again."""
        self.request("DELETE", "/tokens")

    def requests(self) -> list[dict[str, Any]]:
        """Every public request served since the last clear."""
        logged: list[dict[str, Any]] = self.request("GET", "/requests")["requests"]
        return logged

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.request("DELETE", "/requests")
