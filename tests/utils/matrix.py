"""Run the ansible-test parts of the suite on every supported ansible-core / Python / hcloud combination.

Usage: python tests/utils/matrix.py [--only NAME,NAME] [--parts sanity,units,integration] | --ci

Each combination gets a virtual environment under ``.tmp/matrix/<name>`` made with the Python that pyenv provides
for it (``pyenv root``/versions/<x.y.*>), then ``tests/utils/run_ansible_test.py`` runs there. `make test-matrix`
runs them all; CI (``--ci``) runs units and the version-sensitive integration targets on the oldest and the newest,
and sanity on the newest, in two lanes side by side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_REQUIREMENTS = ["pytest==9.0.3", "pytest-mock==3.15.1", "pytest-xdist==3.8.0", "mock==5.2.0", "PyYAML==6.0.3", "hypothesis==6.170.15"]


@dataclass(frozen=True)
class Combination:
    """One supported combination."""

    name: str
    python: str
    ansible_core: str
    hcloud: str


# Keep in step with README.md ("Supported versions") and meta/runtime.yml (requires_ansible).
COMBINATIONS = (
    Combination("core2.17-py3.11", "3.11", "2.17.14", "2.27.0"),
    Combination("core2.18-py3.11", "3.11", "2.18.19", "2.27.0"),
    Combination("core2.19-py3.11-hcloud2.10", "3.11", "2.19.14", "2.10.0"),
    Combination("core2.20-py3.12", "3.12", "2.20.10", "2.27.0"),
    Combination("core2.21-py3.13", "3.13", "2.21.5", "2.27.0"),
)


def pyenv_python(version: str) -> Path:
    """The newest pyenv-installed Python of a minor version, e.g. 3.13 -> $(pyenv root)/versions/3.13.0/bin/python."""
    root = Path(subprocess.run(["pyenv", "root"], check=True, capture_output=True, text=True).stdout.strip())
    bare = subprocess.run(["pyenv", "versions", "--bare"], check=True, capture_output=True, text=True).stdout.split()
    matching = sorted((name for name in bare if name == version or name.startswith(f"{version}.")), key=lambda name: [int(part) for part in name.split(".")])
    if not matching:
        raise SystemExit(f"pyenv has no Python {version}: install it with 'pyenv install {version}'")
    return root / "versions" / matching[-1] / "bin" / "python"


def prepare(combination: Combination) -> Path:
    """Create (or reuse) the combination's virtual environment; returns its python."""
    venv = REPO_ROOT / ".tmp" / "matrix" / combination.name
    python = venv / "bin" / "python"
    wanted = [f"ansible-core=={combination.ansible_core}", f"hcloud=={combination.hcloud}", *TEST_REQUIREMENTS]
    stamp = venv / ".installed"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == "\n".join(wanted):
        return python
    subprocess.run([pyenv_python(combination.python), "-m", "venv", "--clear", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *wanted], check=True)
    stamp.write_text("\n".join(wanted), encoding="utf-8")
    return python


# What CI runs (``--ci``): the integration targets whose behaviour depends on ansible-core (templating, the action
# plugins in the worker, the lookup's options, the playbooks' Jinja, the role, the censoring of the token), on the
# oldest and the newest combination, and sanity on the newest; `make test` runs everything on ansible-core 2.19.
VERSION_SENSITIVE_TARGETS = ("fleet_of_one", "hosts_in_process", "lookup_servers", "playbooks", "role_snapshot_host", "snapshot_no_leak")
# One lane per combination, side by side (2 cores): the integration targets mostly wait on the simulator's durations.
CI_LANES = ((("newest", "sanity"), ("newest", "units"), ("newest", "integration")), (("oldest", "units"), ("oldest", "integration")))


Row = tuple[str, str, int, float]


def run(combination: Combination, parts: list[str], targets: tuple[str, ...] = (), output=None) -> list[Row]:
    """Run the parts for one combination (integration: only ``targets``, if given), their output to ``output`` (a
    file; the terminal if None); returns (combination, part, exit code, seconds) rows."""
    python = prepare(combination)
    rows = []
    for part in parts:
        started = time.monotonic()
        print(f"=== {combination.name}: {part}", flush=True, file=output)
        extra = list(targets) if part == "integration" else []
        command = [python, REPO_ROOT / "tests" / "utils" / "run_ansible_test.py", part, *extra]
        code = subprocess.run(command, cwd=REPO_ROOT, check=False, stdout=output, stderr=subprocess.STDOUT if output else None).returncode
        label = f"{part} ({len(targets)} targets)" if extra else part
        rows.append((combination.name, label, code, time.monotonic() - started))
    return rows


def run_lane(lane: tuple[tuple[str, str], ...]) -> tuple[list[Row], str]:
    """Run one CI lane's (combination, part) steps in order; returns its rows and its whole output."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        rows = [row for name, part in lane for row in run(by_name(name), [part], VERSION_SENSITIVE_TARGETS, output)]
        output.seek(0)
        return rows, output.read()


def run_ci() -> list[Row]:
    """CI's part of the matrix: the lanes side by side, each lane's output printed whole when it ends."""
    for name in {name for lane in CI_LANES for name, _part in lane}:
        prepare(by_name(name))  # before the lanes start: two lanes never build one environment at once
    rows: list[Row] = []
    with ThreadPoolExecutor(max_workers=len(CI_LANES)) as pool:
        for lane_rows, text in pool.map(run_lane, CI_LANES):
            print(text, end="", flush=True)
            rows.extend(lane_rows)
    return rows


def by_name(name: str) -> Combination:
    """A combination by its name, or ``oldest``/``newest``."""
    aliases = {"oldest": COMBINATIONS[0].name, "newest": COMBINATIONS[-1].name}
    for combination in COMBINATIONS:
        if combination.name == aliases.get(name, name):
            return combination
    raise SystemExit(f"unknown combination {name!r}; known: {', '.join(c.name for c in COMBINATIONS)}")


def main(argv: list[str]) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated combination names, or 'oldest,newest'")
    parser.add_argument("--parts", default="sanity,units,integration")
    lanes = " beside ".join("(" + ", then ".join(f"{name} {part}" for name, part in lane) + ")" for lane in CI_LANES)
    parser.add_argument("--ci", action="store_true", help=f"what CI runs: {lanes}")
    args = parser.parse_args(argv)
    if args.ci:
        rows = run_ci()
    else:
        chosen = [by_name(name) for name in args.only.split(",")] if args.only else list(COMBINATIONS)
        rows = [row for combination in chosen for row in run(combination, args.parts.split(","))]
    print("\n| combination | part | result | seconds |\n| --- | --- | --- | --- |")
    for name, part, code, seconds in rows:
        print(f"| {name} | {part} | {'passed' if code == 0 else f'FAILED ({code})'} | {seconds:.0f} |")
    return 0 if all(code == 0 for _name, _part, code, _seconds in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
