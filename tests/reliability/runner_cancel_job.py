"""An AWX-like job through ansible-runner that is cancelled, for reliability scenario 24.

Runs with the packaging tests' tools virtualenv (it imports ansible_runner). Reads one JSON object from stdin:
``{"private_data_dir", "extravars", "envvars", "cancel_flag"}``. The project imports ``lockaware.hcloud.snapshot_fleet``
as the guide's AWX project does; ``cancel_callback`` answers yes once the file ``cancel_flag`` exists, as AWX's
does once a user pressed Cancel. Prints ``{"status", "rc"}``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import ansible_runner

PROJECT_PLAYBOOK = """---
- name: Snapshot with lockaware.hcloud
  ansible.builtin.import_playbook: lockaware.hcloud.snapshot_fleet
"""


def main() -> int:
    """Run the job described on stdin until it is cancelled; print its outcome."""
    job = json.load(sys.stdin)
    data = Path(job["private_data_dir"])
    (data / "project").mkdir(parents=True)
    (data / "project" / "snapshot_fleet.yml").write_text(PROJECT_PLAYBOOK, encoding="utf-8")
    (data / "env").mkdir()
    (data / "env" / "extravars").write_text(json.dumps(job["extravars"]), encoding="utf-8")
    flag = job["cancel_flag"]
    result = ansible_runner.interface.run(
        private_data_dir=str(data),
        ident="1",
        playbook="snapshot_fleet.yml",
        envvars=job["envvars"],
        suppress_env_files=True,
        cancel_callback=lambda: os.path.exists(flag),
        settings={"pexpect_timeout": 0.2},
        quiet=True,
    )
    json.dump({"status": result.status, "rc": result.rc}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
