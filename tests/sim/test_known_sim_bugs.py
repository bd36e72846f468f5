"""Simulator bugs found while writing the reliability scenarios of issue 12, kept as strict xfails until fixed.

A strict xfail fails the suite as soon as the bug is fixed (XPASS), so that the mark is removed with the fix.
"""

from __future__ import annotations

import pytest
import requests

from hcloud_sim.launcher import SimControl, SimulatorProcess

from .conftest import TOKEN, server_id, wait_until

LOCKED_TEXT = "cannot perform operation because server is locked"


@pytest.mark.xfail(
    strict=True,
    reason="SimControl.action_fault() always sends message='action failed', so code='locked' never gets the documented 423 text"
    " that the control API itself defaults to (hcloud_sim/README.md, POST /_sim/action_faults)",
)
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
