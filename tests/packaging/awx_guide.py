"""The AWX section of docs/guide.md as the packaging tests use it: the credential type, rendered the way the
controller renders an injector, and the project's playbook. Testing these keeps the guide's YAML true."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guide.md"


def guide_yaml_block(first_line: str) -> str:
    """The one fenced YAML block of the guide that starts with ``first_line``."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    found = [block for block in blocks if block.startswith(f"{first_line}\n")]
    assert len(found) == 1, f"docs/guide.md has {len(found)} YAML blocks starting with {first_line!r}"
    return found[0]


def credential_env(inputs: dict[str, str]) -> dict[str, str]:
    """The environment variables the guide's credential type injects for a credential with these inputs.

    As AWX's ``inject_credential``: inputs left empty are absent from the template namespace, and every ``env``
    template is rendered by an ``ImmutableSandboxedEnvironment``."""
    fields = yaml.safe_load(guide_yaml_block("# Input configuration"))
    assert set(inputs) <= {field["id"] for field in fields["fields"]}, inputs
    assert all(inputs.get(name) for name in fields["required"]), f"{fields['required']} are required"
    namespace = {name: value for name, value in inputs.items() if value}
    sandbox = ImmutableSandboxedEnvironment()
    injectors = yaml.safe_load(guide_yaml_block("# Injector configuration"))
    return {name: sandbox.from_string(template).render(**namespace) for name, template in injectors["env"].items()}


def project_playbook(playbook: str) -> str:
    """The guide's project playbook for ``lockaware.hcloud.<playbook>``."""
    return guide_yaml_block("---\n- name: Snapshot with lockaware.hcloud").replace("lockaware.hcloud.snapshot_fleet", f"lockaware.hcloud.{playbook}")
