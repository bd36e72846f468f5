"""The control client's action faults: a fault left without a message carries its code's own text."""

from __future__ import annotations

import requests

from hcloud_sim.launcher import SimControl, SimulatorProcess

from .conftest import TOKEN, server_id, wait_until

LOCKED_TEXT = "cannot perform operation because server is locked"


def test_action_fault_locked_through_the_client_gets_the_documented_text(sim: SimulatorProcess, control: SimControl) -> None:
    control.action_fault("create_image", code="locked", server="web1")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    created = requests.post(f"{sim.url}/servers/{server_id(control, 'web1')}/actions/create_image", json={"type": "snapshot"}, headers=headers, timeout=10)
    action_id = created.json()["action"]["id"]

    def ended() -> dict | None:
        action = requests.get(f"{sim.url}/actions/{action_id}", headers=headers, timeout=10).json()["action"]
        return action if action["status"] != "running" else None

    action = wait_until(ended)
    assert action["error"] == {"code": "locked", "message": LOCKED_TEXT}
