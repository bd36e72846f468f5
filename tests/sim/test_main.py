"""The simulator's command line: ready line, clean stop on signals, bad options."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from hcloud_sim.launcher import PACKAGE_ROOT, SimulatorError, start_simulator


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_and_clean_stop(signum: signal.Signals) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hcloud_sim", "--port", "0", "--fleet", "7", "--seed", "2"], cwd=PACKAGE_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        match = re.fullmatch(r"hcloud_sim listening on (http://127\.0\.0\.1:\d+/v1) \(7 servers\)\n", line)
        assert match, line
        response = requests.get(f"{match.group(1)}/servers", headers={"Authorization": "Bearer sim-token"}, timeout=10)
        assert len(response.json()["servers"]) == 7
        process.send_signal(signum)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout:
            process.stdout.close()


def test_fleet_file_token_and_latency(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yml"
    fleet.write_text("servers:\n  - name: from-file\n    labels: {env: test}\n", encoding="utf-8")
    with start_simulator(["--fleet", str(fleet), "--token", "other", "--latency-ms", "200"]) as sim:
        assert sim.servers == 1
        assert sim.token == "other"
        response = requests.get(f"{sim.url}/servers", headers={"Authorization": "Bearer other"}, timeout=10)
        assert response.json()["servers"][0]["name"] == "from-file"
        assert response.elapsed.total_seconds() >= 0.2
        assert sim.stop() == 0


def test_bad_fleet_exits_2_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("servers: [{name: a, server_type: huge}]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "hcloud_sim", "--port", "0", "--fleet", str(bad)], cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "unknown server type 'huge'" in result.stderr
    with pytest.raises(SimulatorError, match="did not start"):
        start_simulator(["--fleet", str(bad)], timeout=10)


def test_bad_options_exit_2() -> None:
    result = subprocess.run([sys.executable, "-m", "hcloud_sim", "--speed", "0"], cwd=PACKAGE_ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "--speed" in result.stderr
