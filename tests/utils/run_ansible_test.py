"""Run ansible-test on this checkout, offline-safe.

ansible-test only runs from ``.../ansible_collections/<namespace>/<name>/``, and its sanity tests build
virtual environments into which it installs pip with a bootstrap script downloaded from a host that is
not reachable everywhere. This script:

- copies the files git knows about into ``.tmp/ansible_collections/lockaware/hcloud``;
- seeds ansible-test's bootstrap cache with a small script that installs pip from a pip wheel taken from
  the package index (which is reachable), so no other host is needed;
- for ``integration``, starts the ``hcloud_sim`` simulator and writes ``integration_config.yml`` so that
  every target talks to it (never to the real API);
- runs ``ansible-test <command>`` there with the given extra arguments.

Usage: python tests/utils/run_ansible_test.py {sanity,units,integration} [ansible-test arguments...]
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from ansible_test._internal.python_requirements import get_venv_packages

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from hcloud_sim.launcher import start_simulator  # noqa: E402  pylint: disable=wrong-import-position

NAMESPACE, NAME = "lockaware", "hcloud"
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"

BOOTSTRAP_SCRIPT = '''"""Offline stand-in for get-pip.py, written by lockaware.hcloud's tests/utils/run_ansible_test.py."""
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), {wheel_name!r})
sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402

# get-pip.py takes pip's install arguments plus its own --no-setuptools / --no-wheel switches.
ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
ARGS = [WHEEL if arg == "pip=={version}" else arg for arg in ARGS]
sys.exit(main(["install", *ARGS]))
'''


def main(argv: list[str]) -> int:
    """Entry point."""
    if not argv or argv[0] not in ("sanity", "units", "integration"):
        print(__doc__, file=sys.stderr)
        return 2
    command, extra = argv[0], argv[1:]
    # One tree per command, so that sanity, units and integration can run side by side.
    tree_root = REPO_ROOT / ".tmp" / "ansible-test" / f"{Path(sys.prefix).name}-{command}"
    collection_dir = tree_root / "ansible_collections" / NAMESPACE / NAME
    copy_collection(collection_dir)
    env = ansible_test_environment(tree_root)
    if command == "sanity":
        seed_pip_bootstrap()
        return run_ansible_test(["sanity", "--python", PYTHON_VERSION, *extra], env, collection_dir)
    if command == "units":
        return run_ansible_test(["units", "--python", PYTHON_VERSION, *extra], env, collection_dir)
    # A fresh random token each run, so that the leak tests can look for it in every output.
    with start_simulator(["--state", "demo", "--token", f"sim-{secrets.token_hex(16)}"], cwd=REPO_ROOT) as sim:
        write_integration_config(sim, collection_dir)
        env["HCLOUD_SIM_ROOT"] = str(REPO_ROOT)
        return run_ansible_test(["integration", "--python", PYTHON_VERSION, *extra], env, collection_dir)


def tracked_files() -> list[str]:
    """Files git tracks plus the untracked ones it does not ignore: what a commit would hold."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=REPO_ROOT, check=True, capture_output=True).stdout
    return [name for name in out.decode().split("\0") if name and (REPO_ROOT / name).is_file()]


def copy_collection(collection_dir: Path) -> None:
    """Lay the collection out where ansible-test expects it, fresh each time."""
    if collection_dir.exists():
        shutil.rmtree(collection_dir)
    for name in tracked_files():
        target = collection_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    # The copy lies inside this checkout's ignored .tmp: give it a repository of its own, or ansible-test,
    # which asks git for the file list, would see no files at all.
    subprocess.run(["git", "init", "--quiet", str(collection_dir)], check=True)


def ansible_test_environment(tree_root: Path) -> dict[str, str]:
    """The environment for ansible-test: this virtual environment's tools first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tree_root)
    return env


def required_pip_version() -> str:
    """The pip version ansible-test bootstraps into its sanity virtual environments."""
    return get_venv_packages(SimpleNamespace(version=PYTHON_VERSION))["pip"]


def seed_pip_bootstrap() -> None:
    """Put an offline pip bootstrap script (and the pip wheel it installs) into ansible-test's cache."""
    version = required_pip_version()
    cache = Path.home() / ".ansible" / "test" / "cache"
    script = cache / f"get_pip_{version.replace('.', '_')}.py"
    wheel_name = f"pip-{version}-py3-none-any.whl"
    if not (cache / wheel_name).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", str(cache), f"pip=={version}"],
            check=True,
        )
    content = BOOTSTRAP_SCRIPT.format(wheel_name=wheel_name, version=version)
    if not script.is_file() or "lockaware.hcloud" in script.read_text(encoding="utf-8"):
        script.write_text(content, encoding="utf-8")


def write_integration_config(sim, collection_dir: Path) -> None:
    """Tell every integration target where the simulator is; the file is git-ignored."""
    config = collection_dir / "tests" / "integration" / "integration_config.yml"
    config.write_text(
        f"hcloud_api_endpoint: {sim.url}\nhcloud_api_token: {sim.token}\nhcloud_sim_url: {sim.base_url}\n",
        encoding="utf-8",
    )


def run_ansible_test(args: list[str], env: dict[str, str], collection_dir: Path) -> int:
    """Run ansible-test in the collection tree and return its exit code."""
    command = [str(Path(sys.executable).parent / "ansible-test"), *args, "--color", "no"]
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=collection_dir, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
