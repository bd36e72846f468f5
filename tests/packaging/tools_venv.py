"""The virtualenv of the tools the packaging tests run: ansible-runner, ansible-navigator, galaxy-importer.

They get their own virtualenv because galaxy-importer's pins (attrs<24) clash with requirements-dev.txt. It lives
under .tmp/ and is built once per content of requirements-tools.txt, like the Makefile's .venv stamp.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REQUIREMENTS = Path(__file__).with_name("requirements-tools.txt")
VENV = Path(__file__).resolve().parents[2] / ".tmp" / "packaging-tools"


def tools_bin() -> Path:
    """The tools virtualenv's bin directory, built first if requirements-tools.txt changed since the last build."""
    stamp = VENV / f".installed-{hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]}"
    if not stamp.is_file():
        shutil.rmtree(VENV, ignore_errors=True)
        _run([sys.executable, "-m", "venv", VENV])
        _run([VENV / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", REQUIREMENTS])
        stamp.touch()
    return VENV / "bin"


def _run(command: list) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"building the tools virtualenv {VENV} failed: {' '.join(map(str, command))}\n{done.stdout}{done.stderr}")
