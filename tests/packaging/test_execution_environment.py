"""The collection in an execution environment (AWX / AAP): ansible-builder sees its requirements and builds a context."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from awx_guide import guide_yaml_block  # pylint: disable=import-error

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_ansible_builder_finds_the_python_and_system_requirements(installed):
    found = subprocess.run([BIN / "ansible-builder", "introspect", installed.collections], check=True, capture_output=True, text=True).stdout
    assert "hcloud>=2.10.0,<3" in found
    assert "lockaware.hcloud" in found
    assert "python3 [platform:rpm]" in found


def test_ansible_builder_creates_a_build_context(tarball, tmp_path):
    definition = tmp_path / "ee"
    shutil.copytree(REPO_ROOT / "tests" / "ee", definition)
    shutil.copy2(tarball, definition / "lockaware-hcloud.tar.gz")
    context = tmp_path / "context"
    subprocess.run(
        [BIN / "ansible-builder", "create", "--file", definition / "execution-environment.yml", "--context", context, "--output-filename", "Containerfile"],
        cwd=definition,
        check=True,
        capture_output=True,
    )
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile or "install-from-bindep" in containerfile
    assert (context / "_build" / "requirements.yml").is_file()
    assert (context / "_build" / "collections" / "lockaware-hcloud.tar.gz").is_file()


def test_ansible_builder_creates_a_build_context_from_the_guides_definition(tarball, tmp_path):
    definition = tmp_path / "hcloud-ee"
    definition.mkdir()
    (definition / "execution-environment.yml").write_text(guide_yaml_block("---\nversion: 3"), encoding="utf-8")
    (definition / "requirements.yml").write_text(guide_yaml_block("---\ncollections:"), encoding="utf-8")
    shutil.copy2(tarball, definition / "lockaware-hcloud-0.1.0.tar.gz")
    context = tmp_path / "context"
    subprocess.run(
        [BIN / "ansible-builder", "create", "--file", definition / "execution-environment.yml", "--context", context, "--output-filename", "Containerfile"],
        cwd=definition,
        check=True,
        capture_output=True,
    )
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "COPY _build /build" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert (context / "_build" / "collections" / "lockaware-hcloud-0.1.0.tar.gz").is_file()  # what requirements.yml names as /build/collections/...
    requirements = (context / "_build" / "requirements.yml").read_text(encoding="utf-8")
    assert "/build/collections/lockaware-hcloud-0.1.0.tar.gz" in requirements
