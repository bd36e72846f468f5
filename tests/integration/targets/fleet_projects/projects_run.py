"""snapshot_fleet.yml with ``projects``: three simulators, one per project, run as people run it.

- ``prod`` (simulator A, ``backup=daily``), ``staging`` (simulator B, ``env=staging``, running only), ``faulty``
  (simulator C, ``backup=daily``, whose ``create_image`` on web2 ends in error) and ``wrongtoken`` (simulator B's
  endpoint, a token B does not know). Every token is a ``!vault`` string in an extra-vars file.
- Run 1: exit 2; the recap fails ``project_faulty`` and ``project_wrongtoken`` only; the summary has a line per
  project and the totals; the projects ran at the same time; each simulator holds one new snapshot per server that
  succeeded, rotation kept exactly ``keep`` of each series, nothing else was touched.
- Run 2 (the fault gone, ``wrongtoken`` left out, ``-vvv``): exit 0, the made snapshots unchanged, web2 made.
- Run 3 (a project without a token): exit 2 before any request to any simulator.
- Run 4 (``--limit localhost``, which leaves the project hosts out): exit 2, naming the projects that did not run.
- No token appears in any output.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import urllib.request
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = next(parent for parent in HERE.parents if (parent / "hcloud_sim" / "launcher.py").is_file())
sys.path.insert(0, str(ROOT))

from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: E402

from hcloud_sim.launcher import SimulatorProcess, start_simulator  # noqa: E402

KEEP = 2
SPEED = 50
LOCK_SECONDS = 3.0
VAULT_PASSWORD = secrets.token_hex(8)
SERIES = "lockaware.hcloud/managed"  # the demo's series carry it (and no server label yet)


def vault_string(value: str) -> str:
    """``value`` as a ``!vault |`` block for a YAML mapping value, indented for a list item's key."""
    ciphertext = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))]).encrypt(value).decode()
    return "!vault |\n" + "\n".join("      " + line for line in ciphertext.splitlines())


def projects_file(path: Path, projects: list[dict]) -> Path:
    """An extra-vars file with ``projects``, each token a ``!vault`` string."""
    lines = ["projects:"]
    for project in projects:
        lines.append(f"  - name: {project['name']}")
        for key in ("api_endpoint", "label_selector"):
            if key in project:
                lines.append(f"    {key}: {json.dumps(project[key])}")
        if "server_status" in project:
            lines.append(f"    server_status: {json.dumps(project['server_status'])}")
        if "api_token" in project:
            lines.append(f"    api_token: {vault_string(project['api_token'])}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_playbook(workdir: Path, vars_file: Path, *args: str) -> tuple[int, str]:
    """``ansible-playbook lockaware.hcloud.snapshot_fleet`` as a subprocess: its exit status and its output."""
    password_file = workdir / "vault-password"
    password_file.write_text(VAULT_PASSWORD, encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("HCLOUD_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    command = ["ansible-playbook", "lockaware.hcloud.snapshot_fleet", "-e", f"@{vars_file}", "--vault-password-file", str(password_file)]
    command += ["-e", f"keep={KEEP}", "-e", "progress_interval=0", "-f", "5", *args]
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    (workdir / f"run-{len(list(workdir.glob('run-*.out')))}.out").write_text(output, encoding="utf-8")
    return done.returncode, output


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP: host -> counters."""
    found = {}
    for host, counters in re.findall(r"^(\S+)\s+: (ok=.*)$", output.split("PLAY RECAP", 1)[1], re.M):
        found[host] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counters)}
    return found


def summary_lines(output: str) -> list[str]:
    """The lines of the task 'Summary of every project, and the totals'."""
    block = output.split("TASK [Summary of every project, and the totals]", 1)[1].split("PLAY [", 1)[0]
    return [json.loads(line.strip().rstrip(",")) for line in block.splitlines() if line.strip().startswith('"') and not line.strip().startswith('"msg"')]


def snapshots(sim: SimulatorProcess, token: str) -> list[dict]:
    """Every snapshot, read back through the public API."""
    request = urllib.request.Request(f"{sim.url}/images?type=snapshot&per_page=50", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["images"]


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def request_window(sim: SimulatorProcess) -> tuple[float, float]:
    """When the simulator answered its first and its last public request (its log's times are wall-clock times)."""
    times = [datetime.datetime.fromisoformat(entry["time"]).timestamp() for entry in sim.control.requests()]
    return min(times), max(times)


def image_ids(images: list[dict], server: str) -> list[int]:
    """The IDs of a server's snapshots."""
    return sorted(image["id"] for image in images if (image["created_from"] or {}).get("name") == server)


def series_of(images: list[dict], server: str) -> list[dict]:
    """The available, unprotected snapshots of a server's series (what rotation counts)."""
    return [
        image
        for image in images
        if (image["created_from"] or {}).get("name") == server
        and image["labels"].get(SERIES) == "true"
        and image["status"] == "available"
        and not image["protection"]["delete"]
    ]


def check_state(name: str, before: list[dict], after: list[dict], made: set[str], untouched: set[str]) -> None:
    """One new snapshot per server in ``made`` (none for ``untouched``), each series rotated to ``KEEP``, nothing else gone."""
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    before_ids = {image["id"] for image in before}
    new = [image for image in after if image["id"] not in before_ids]
    new_of = sorted((image["created_from"] or {}).get("name") for image in new if image["status"] == "available")
    check(
        new_of == sorted(made),
        f"{name}: one new available snapshot for each of {sorted(made)} (new: {[(image['description'], image['status']) for image in new]})",
    )
    check(all(image["description"].endswith(today) for image in new), f"{name}: the new snapshots are today's")
    gone = [image for image in before if image["id"] not in {image["id"] for image in after}]
    check(
        all(image["labels"].get(SERIES) == "true" and not image["protection"]["delete"] for image in gone),
        f"{name}: only unprotected series snapshots deleted ({len(gone)})",
    )
    for server in made:
        series, older = series_of(after, server), series_of(before, server)
        check(len(series) == min(KEEP, len(older) + 1), f"{name}: {server}'s series holds {min(KEEP, len(older) + 1)} available after rotation")
    for server in untouched:
        check(image_ids(after, server) == image_ids(before, server), f"{name}: {server} untouched")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fleet_projects-") as workdir:
        try:
            run_all(Path(workdir))
        except AssertionError:
            for output in sorted(Path(workdir).glob("run-*.out")):
                print(f"--- {output.name}\n{output.read_text(encoding='utf-8')[-6000:]}", flush=True)
            raise


def check_first_summary(lines: list[str]) -> None:
    """Run 1's summary: a line per project, then the totals, the cost added up."""
    check(len(lines) == 5, f"a summary line per project, then the totals: {lines}")
    check(
        re.match(
            r"^prod +4 servers: 4 snapshots made, 0 unchanged, 0 skipped, 0 failed, \d+ deleted by rotation; "
            r"snapshots kept cost [\d.]+ EUR net \([\d.]+ gross\) a month$",
            lines[0],
        )
        is not None,
        lines[0],
    )
    check(
        re.match(r"^staging +1 server: 1 snapshot made, 0 unchanged, 0 skipped, 0 failed, 0 deleted by rotation; snapshots kept cost ", lines[1]) is not None,
        lines[1],
    )
    check(re.match(r"^faulty +4 servers: 3 snapshots made, 0 unchanged, 0 skipped, 1 failed, .*; FAILED: web2$", lines[2]) is not None, lines[2])
    check(re.match(r"^wrongtoken +FAILED: finding the servers failed: lockaware.hcloud.servers: .*unable to authenticate", lines[3]) is not None, lines[3])
    check(
        re.match(
            r"^total +4 projects, 9 servers: 8 snapshots made, 0 unchanged, 0 skipped, 1 failed, \d+ deleted by rotation; "
            r".*; 2 projects failed: faulty, wrongtoken$",
            lines[4],
        )
        is not None,
        lines[4],
    )
    nets = [Decimal(value) for value in re.findall(r"cost ([\d.]+) EUR net", "\n".join(lines[:4]))]
    check(Decimal(re.search(r"cost ([\d.]+) EUR net", lines[4])[1]) == sum(nets), "the total cost is the sum of the projects'")


def check_refusals(workdir: Path, sims: list[SimulatorProcess], projects: list[dict], outputs: list[str]) -> None:
    """Runs 3 and 4: a project without a token, and a limit leaving the projects out, fail without a request."""
    for sim in sims:
        sim.control.clear_requests()
    broken = [dict(projects[0]), {key: value for key, value in projects[1].items() if key != "api_token"}]
    status, output = run_playbook(workdir, projects_file(workdir / "projects-3.yml", broken))
    outputs.append(output)
    check(status == 2 and "lockaware.hcloud.fleet_projects: project staging: api_token is missing" in output, "a project without a token fails the run, named")
    check(all(sim.control.requests() == [] for sim in sims), "before any request to any project")

    status, output = run_playbook(workdir, projects_file(workdir / "projects-4.yml", projects[:3]), "--limit", "localhost")
    outputs.append(output)
    check(
        status == 2 and "project prod, project staging, project faulty: did not run: a limit" in output,
        "a limit that leaves the projects out fails the run",
    )
    check(all(sim.control.requests() == [] for sim in sims), "and the projects were not touched")


def run_all(workdir: Path) -> None:
    tokens = {name: f"sim-{name}-{secrets.token_hex(12)}" for name in ("a", "b", "c", "wrong")}
    with (
        start_simulator(["--state", "demo", "--speed", str(SPEED), "--token", tokens["a"]], cwd=ROOT) as sim_a,
        start_simulator(["--state", "demo", "--speed", str(SPEED), "--token", tokens["b"]], cwd=ROOT) as sim_b,
        start_simulator(["--state", "demo", "--speed", str(SPEED), "--token", tokens["c"]], cwd=ROOT) as sim_c,
    ):
        sims = {"prod": (sim_a, tokens["a"]), "staging": (sim_b, tokens["b"]), "faulty": (sim_c, tokens["c"])}
        before = {name: snapshots(sim, token) for name, (sim, token) in sims.items()}
        sim_c.control.action_fault("create_image", times=5, server="web2")
        # A backup holding a server of each project for LOCK_SECONDS of real time: each project's run lasts at least that
        # long, so that run 1 shows whether the projects ran at the same time (their request windows overlap) or one
        # after the other (they could not).
        for (sim, _token), server in zip(sims.values(), ("web1", "worker1", "db1"), strict=True):
            sim.control.lock(server, "backup", LOCK_SECONDS * SPEED)
        projects = [
            {"name": "prod", "api_endpoint": sim_a.url, "label_selector": "backup=daily", "api_token": tokens["a"]},
            {"name": "staging", "api_endpoint": sim_b.url, "label_selector": "env=staging", "server_status": ["running"], "api_token": tokens["b"]},
            {"name": "faulty", "api_endpoint": sim_c.url, "label_selector": "backup=daily", "api_token": tokens["c"]},
            {"name": "wrongtoken", "api_endpoint": sim_b.url, "api_token": tokens["wrong"]},
        ]
        vars_file = projects_file(workdir / "projects.yml", projects)
        check(not any(token in vars_file.read_text(encoding="utf-8") for token in tokens.values()), "the vars file holds the tokens vault-encrypted only")
        outputs = []

        status, output = run_playbook(workdir, vars_file)
        outputs.append(output)
        check(status == 2, f"run 1 exits 2 (got {status})")
        hosts = recap(output)
        check(
            {host: counters["failed"] for host, counters in hosts.items()}
            == {"localhost": 0, "project_prod": 0, "project_staging": 0, "project_faulty": 1, "project_wrongtoken": 1},
            f"the recap fails the two failed projects only: {hosts}",
        )
        check(
            "project faulty: " in output and "project wrongtoken: finding the servers failed: lockaware.hcloud.servers: listing the servers at " in output,
            "the failures name their projects",
        )
        check_first_summary(summary_lines(output))
        windows = [request_window(sim) for sim, _token in sims.values()]
        check(
            max(start for start, _end in windows) < min(end for _start, end in windows),
            f"the projects ran at the same time (their request windows overlap: {windows})",
        )
        check_state("prod", before["prod"], snapshots(sim_a, tokens["a"]), {"web1", "web2", "db1", "sg5"}, {"worker1", "legacy"})
        check_state("staging", before["staging"], snapshots(sim_b, tokens["b"]), {"worker1"}, {"web1", "web2", "db1", "sg5", "legacy"})
        # web2's create_image failed: the API leaves its image unavailable, and the server has no new snapshot.
        check_state("faulty", before["faulty"], snapshots(sim_c, tokens["c"]), {"web1", "db1", "sg5"}, {"worker1", "legacy"})

        sim_c.control.clear_faults()
        after_first = {name: snapshots(sim, token) for name, (sim, token) in sims.items()}
        status, output = run_playbook(workdir, projects_file(workdir / "projects-2.yml", projects[:3]), "-vvv")
        outputs.append(output)
        check(status == 0, f"run 2 exits 0 (got {status})")
        lines = summary_lines(output)
        check(re.match(r"^prod +4 servers: 0 snapshots made, 4 unchanged, 0 skipped, 0 failed, 0 deleted by rotation", lines[0]) is not None, lines[0])
        check(re.match(r"^faulty +4 servers: 1 snapshot made, 3 unchanged, 0 skipped, 0 failed", lines[2]) is not None, lines[2])
        check(lines[3].endswith("; 0 projects failed"), lines[3])
        check_state("faulty, run 2", after_first["faulty"], snapshots(sim_c, tokens["c"]), {"web2"}, {"web1", "db1", "sg5", "worker1", "legacy"})
        check(snapshots(sim_a, tokens["a"]) == after_first["prod"], "prod: run 2 changed nothing")

        check_refusals(workdir, [sim for sim, _token in sims.values()], projects, outputs)

        check(not any(token in output for token in tokens.values() for output in outputs), "no token in any output (run 2 at -vvv)")


if __name__ == "__main__":
    main()
