"""Fixtures for the simulator's tests: a running simulator, its control client, checked HTTP calls."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from typing import Any

import hcloud
import pytest
import requests

from hcloud_sim.initial_state import DEMO_STATE, generated_state_spec
from hcloud_sim.launcher import SimControl, SimulatorProcess, start_simulator

from .openapi import validate_response

TOKEN = "sim-token"
SPEED = 20.0

FAST_SETTINGS = {
    "snapshot_quota": 100,
    "snapshot_seconds_base": 1,
    "snapshot_seconds_per_gb": 0.01,
    "shutdown_seconds": 2,
    "poweroff_seconds": 1,
    "poweron_seconds": 2,
    "reboot_seconds": 2,
}

# SSH public keys for the ssh_keys tests, with their MD5 fingerprints as ``ssh-keygen -E md5 -l`` prints them
ED25519_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE6lzcG4waMqFVg/APFwg6D6Bv/uWUB6DzSBYubSDcPM test1"
ED25519_MD5 = "78:1a:1e:8a:d6:86:3d:a5:0a:2b:6d:52:81:56:60:e0"  # ssh-keygen -E md5 -l
RSA_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDoh+G/SQPnmcUrKrp2negW9rxPN/wP1yWM7FPa0/P1AwhQuqI2f0y0VlVfS3Pb"
    "zrVACVFHYM5ua8N4PwbWQ+7t/1kt8Ddnu+hM0TyCHLtG+QIhh6omE4EDtrTxbt/3eKJgwKoWJqp+vVbF4nFWTopBz9S4IVDgFhHD"
    "LJCOz8zAfwL2jVqJ0ljAN1ANiuk26sRg4KfXlgp1aT2h69W7jYhrG274byEghxLAnIBaJ9qG97z00guUx4MEsWUkZ9Wxvjht1J2V"
    "qv9KOVXJz6Hilm946T8OOp1ur7QuVUB6qgRBdvdKVFAzqVD98beEPWwQGom3jWlwyZeQ4Qexl90Ti74t test2"
)
RSA_MD5 = "0d:10:21:ff:c2:45:fb:a9:39:59:fb:49:10:23:f4:67"


def fast_demo(sg5_lock_seconds: float = 60, **settings: Any) -> dict[str, Any]:
    """The demo fleet with short durations (at ``SPEED``, a snapshot takes well under a second).

    sg5 stays locked for ``sg5_lock_seconds`` simulated seconds (3 real seconds by default), long
    enough for tests to see the lock even on a busy machine.
    """
    fleet = copy.deepcopy(DEMO_STATE)
    fleet["settings"] = {**FAST_SETTINGS, **settings}
    sg5 = next(server for server in fleet["servers"] if server["name"] == "sg5")
    sg5["locks"][0]["seconds"] = sg5_lock_seconds
    return fleet


def fast_generated(count: int, seed: int = 0) -> dict[str, Any]:
    """``count`` generated servers with short durations."""
    return {**generated_state_spec(count, seed), "settings": FAST_SETTINGS}


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


class CheckedApi:
    """Raw HTTP calls to the public API; every answer is validated against the OpenAPI document."""

    def __init__(self, base_url: str, token: str = TOKEN) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int | None = None, **kwargs: Any) -> requests.Response:
        """``method /v1{path}``; checks the status (if given), the envelope and the common headers."""
        response = self.session.request(method, f"{self.base_url}/v1{path}", timeout=30, **kwargs)
        body = response.json() if response.content else None
        if expect is not None:
            assert response.status_code == expect, f"{method} {path}: expected {expect}, got {response.status_code}: {response.text}"
        validate_response(method, f"/v1{path.partition('?')[0]}", response.status_code, body)
        assert len(response.headers["X-Correlation-Id"]) == 16
        for header in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"):
            assert response.headers[header].isdigit(), header
        return response

    def get(self, path: str, expect: int | None = 200, **kwargs: Any) -> Any:
        """GET and return the decoded body."""
        return self.call("GET", path, expect, **kwargs).json()

    def post(self, path: str, body: Any = None, expect: int | None = 201) -> Any:
        """POST a JSON body and return the decoded answer."""
        response = self.call("POST", path, expect, json=body)
        return response.json() if response.content else None


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorProcess]:
    """One simulator for the whole session (tests reset it)."""
    with start_simulator(["--state", "demo", "--speed", str(SPEED)]) as process:
        yield process


@pytest.fixture
def control(sim: SimulatorProcess) -> SimControl:
    """The control client, after a reset to the fast demo fleet."""
    control = sim.control
    control.reset(fast_demo())
    return control


@pytest.fixture
def api(sim: SimulatorProcess, control: SimControl) -> CheckedApi:
    """Checked raw HTTP access to a freshly reset simulator."""
    return CheckedApi(sim.base_url)


@pytest.fixture
def client(sim: SimulatorProcess, control: SimControl) -> hcloud.Client:
    """The ``hcloud`` library against a freshly reset simulator (fast polling, no retries)."""
    return make_client(sim.url)


def make_client(url: str, token: str = TOKEN) -> hcloud.Client:
    """An ``hcloud.Client`` that polls fast and does not retry (so tests see every error)."""
    api_client = hcloud.Client(token=token, api_endpoint=url, poll_interval=0.05, poll_max_retries=400, timeout=30)
    api_client._client._retry_max_retries = 0  # tests assert on the first answer
    return api_client


def server_id(control: SimControl, name: str) -> int:
    """The id of the server called ``name``."""
    return next(server["id"] for server in control.state()["servers"] if server["name"] == name)
