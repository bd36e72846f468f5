"""The sliced benchmark's pure parts: AWX's slicing, the slice's inventory script, the recap, the floor's writes, the goals."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bench.measure import ProcessResult, RequestStats, kill_tree
from bench.recap import parse_recap
from bench.sliced import SlicedRun, SliceOutcome, floor_writes
from bench.sliced_report import remaining_floor, sliced_goals, sliced_table, wall_ratio
from bench.slicing import effective_slice_count, inventory_script, script_data, slice_hosts, split
from bench.steady import SteadyOutcome, SteadyResult

NAMES = [f"srv-{index:04d}" for index in range(10, 0, -1)]  # out of order: AWX orders by name


def test_slices_interleave_by_name_as_awx_get_sliced_hosts():
    assert slice_hosts(NAMES, 1, 4) == ["srv-0001", "srv-0005", "srv-0009"]
    assert slice_hosts(NAMES, 2, 4) == ["srv-0002", "srv-0006", "srv-0010"]
    assert slice_hosts(NAMES, 4, 4) == ["srv-0004", "srv-0008"]
    assert slice_hosts(NAMES, 1, 1) == sorted(NAMES)


@pytest.mark.parametrize(("hosts", "count"), [(10, 4), (1000, 4), (7, 3), (3, 4), (1, 4), (5, 1)])
def test_every_host_in_exactly_one_slice_and_sizes_as_awx_counts_them(hosts, count):
    names = [f"h{index}" for index in range(hosts)]
    slices = split(names, count)
    assert len(slices) == min(count, hosts)
    assert Counter(name for part in slices for name in part) == Counter(names)
    # AWX counts a slice job's hosts as (hosts + slice_count - slice_number) // slice_count (Job._get_task_impact)
    assert [len(part) for part in slices] == [(hosts + len(slices) - number) // len(slices) for number in range(1, len(slices) + 1)]


def test_slice_count_bounds():
    assert effective_slice_count(4, 2) == 2
    assert effective_slice_count(4, 0) == 1
    with pytest.raises(ValueError, match="1 or more"):
        effective_slice_count(0, 10)
    with pytest.raises(ValueError, match="from 1 to the slice count"):
        slice_hosts(NAMES, 5, 4)


def test_inventory_script_prints_the_slice_as_awx_writes_it(tmp_path: Path):
    hostvars = {name: {"hcloud_name": name} for name in NAMES}
    data = script_data(hostvars, {"ansible_connection": "local"}, slice_hosts(NAMES, 2, 4))
    assert data["all"] == {"hosts": ["srv-0002", "srv-0006", "srv-0010"], "vars": {"ansible_connection": "local"}}
    assert data["_meta"]["hostvars"]["srv-0006"] == {
        "hcloud_name": "srv-0006",
        "remote_host_enabled": "true",
        "remote_host_id": 6,
        "remote_tower_enabled": "true",
        "remote_tower_id": 6,
    }
    script = tmp_path / "hosts"
    script.write_text(inventory_script(data), encoding="utf-8")
    printed = subprocess.run([sys.executable, str(script), "--list"], capture_output=True, text=True, check=True).stdout
    assert json.loads(printed) == data


RECAP = """TASK [This host's failure] ****
skipping: [srv-0002]

PLAY RECAP *********************************************************************
srv-0002                   : ok=3    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
srv-0006                   : ok=1    changed=0    unreachable=0    failed=1    skipped=1    rescued=0    ignored=0
srv-0010                   : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0

{"status": "failed", "rc": 2}
other-host                 : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
"""


def test_recap_names_the_hosts_and_their_failures_and_ends_at_the_blank_line():
    recap = parse_recap(RECAP)
    assert recap.hosts == {"srv-0002", "srv-0006", "srv-0010"}
    assert recap.failed == {"srv-0006", "srv-0010"}
    assert recap.missing(["srv-0002", "srv-0014"]) == ["srv-0014"]
    assert parse_recap("no recap at all").hosts == frozenset()


def _entry(method: str, path: str, status: int | None) -> dict:
    return {"method": method, "path": path, "status": status}


def test_floor_writes_count_accepted_creates_and_image_deletes_only():
    entries = [
        _entry("POST", "/v1/servers/7/actions/create_image", 201),
        _entry("POST", "/v1/servers/7/actions/create_image", 423),  # locked: not written
        _entry("POST", "/v1/servers/8/actions/create_image", 429),
        _entry("DELETE", "/v1/images/40", 204),
        _entry("DELETE", "/v1/images/41", None),  # answer lost
        _entry("GET", "/v1/images/40", 200),
        _entry("POST", "/v1/servers/7/actions/poweron", 201),
    ]
    assert floor_writes(entries) == 2


def _run(strategy: str, wall: float, requests: int, throttled: int = 0, lowest: int | None = 3000, polls: int = 10, writes: int = 200) -> SlicedRun:
    size = 100
    process = ProcessResult(0, 1000.0, 1000.0 + wall, 20.0, 300.0, 100.0, 8)
    stats = RequestStats(requests, requests / size, 0, 0, lowest, throttled, Counter(), {"action poll (batch)": polls, "create_image": size})
    outcome = SteadyOutcome(exact=size, over=0, under=0, duplicates=0, missing=0, failed_actions=0, foreign_lost=0)
    result = SteadyResult(strategy, size, "linear", ["x"], 300.0, process, 290.0, 310.0, stats, outcome, {}, (0.0, 0.0))
    jobs = [SliceOutcome(1, size, process, size, 0, [])]
    return SlicedRun(strategy, "runner", result, jobs, writes, 3600)


def _verdicts(goals: list[tuple[str, str, bool | None]]) -> dict[str, bool | None]:
    return {text.split(": ", 1)[1]: verdict for text, _measured, verdict in goals}


def test_goals_of_the_slices_against_the_one_job():
    one, sliced = _run("one_job", 100.0, 250), _run("sliced", 110.0, 240, lowest=2500, polls=30)
    assert wall_ratio([one, sliced], sliced) == pytest.approx(1.1)
    assert remaining_floor(sliced) == 2700 - 200
    verdicts = _verdicts(sliced_goals([one, sliced]))
    assert verdicts["wall at most 1.2 x the one-job wall"] is True
    assert verdicts["at most 2.5 requests per server"] is True
    assert verdicts["no 429"] is True
    assert verdicts["lowest RateLimit-Remaining at least 0.75 x 3600 minus the floor's writes"] is True
    assert verdicts["polling of all slices together within one budget (20 + 0.25 per real second)"] is True  # 30 <= 20 + 27.5


def test_goals_miss_when_the_slices_spend_the_others_budget():
    one, sliced = _run("one_job", 100.0, 250), _run("sliced", 130.0, 520, throttled=3, lowest=2400, polls=80)
    verdicts = _verdicts(sliced_goals([one, sliced]))
    assert verdicts["wall at most 1.2 x the one-job wall"] is False
    assert verdicts["at most 2.5 requests per server"] is False
    assert verdicts["no 429"] is False
    assert verdicts["lowest RateLimit-Remaining at least 0.75 x 3600 minus the floor's writes"] is False  # 2400 < 2500
    assert verdicts["polling of all slices together within one budget (20 + 0.25 per real second)"] is False


def test_a_server_not_exact_or_a_host_missing_from_a_recap_fails_the_rotation_goal():
    sliced = _run("sliced", 100.0, 240)
    sliced.jobs = [SliceOutcome(1, 100, sliced.result.process, 99, 0, ["srv-0042"])]
    duplicate = _run("one_job", 100.0, 240)
    duplicate.result.outcome.duplicates = 1
    rotation = [verdict for text, _measured, verdict in sliced_goals([duplicate, sliced]) if "every server exactly 7" in text]
    assert rotation == [False, False]


def test_without_a_sliced_run_the_goals_say_not_run_and_the_table_has_no_ratio():
    one = _run("one_job", 100.0, 250)
    goals = sliced_goals([one])
    assert ("snapshot_hosts.yml in slices: the issue's goals (wall, requests, 429, RateLimit-Remaining)", "not run", None) in goals
    row = sliced_table([one], 2.0).splitlines()[2]
    assert "| 100 (100) | 1.00 |" in row and "one job" in row


def test_options_refuse_a_missing_runner_before_anything_runs(monkeypatch, capsys, tmp_path: Path):
    import bench.sliced  # noqa: PLC0415 - patched below
    from bench.run import parse_args  # noqa: PLC0415 - imports the whole benchmark

    monkeypatch.setattr(bench.sliced, "RUNNER_PYTHON", tmp_path / "no-such-venv" / "bin" / "python")
    monkeypatch.setattr(bench.sliced, "ROOT", tmp_path)
    with pytest.raises(SystemExit) as exited:
        parse_args(["--sliced-launcher", "runner"])
    assert exited.value.code == 2
    assert "no ansible-runner: no-such-venv/bin/python is missing (`make packaging` builds it)" in capsys.readouterr().err
    assert parse_args([]).sliced_launcher == "playbook"  # without it, ansible-playbook runs the jobs
    assert parse_args(["--sliced-size", "0", "--sliced-launcher", "runner"]).sliced_size == 0  # no sliced run: nothing to refuse
    with pytest.raises(SystemExit):
        parse_args(["--sliced-count", "0"])


SPAWNS_ITS_OWN_SESSION = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
print(child.pid, flush=True)
child.wait()
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_timed_out_job_is_killed_with_the_processes_it_started_in_a_session_of_their_own():
    parent = subprocess.Popen([sys.executable, "-c", SPAWNS_ITS_OWN_SESSION], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    kill_tree(parent.pid)
    assert parent.wait(timeout=10) == -9
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # init reaps the orphan in its own time
    assert _gone(child), f"process {child} (ansible-playbook's place) was left running"
