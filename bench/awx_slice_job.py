"""One job of a sliced job template, run through ansible-runner the way AWX's RunJob runs it, for the sliced benchmark.

Runs with the packaging tests' tools virtualenv (``.tmp/packaging-tools``, built by ``make packaging``: it has
ansible-runner 2.4, what AWX uses). Reads one JSON object from stdin: ``{"private_data_dir", "playbook", "forks",
"envvars"}``. The private data dir already holds what AWX writes: ``project/`` (the guide's project playbook),
``inventory/hosts`` (the slice's inventory script) and ``env/extravars``. The credential's variables come only
through ``envvars`` with ``suppress_env_files`` on, as AWX passes them. The playbook's output goes to stdout (the
benchmark keeps it, recap included); the last line is ``{"status", "rc"}``; the exit status is the job's.
"""

from __future__ import annotations

import json
import sys

import ansible_runner


def main() -> int:
    """Run the job described on stdin; print its output and outcome."""
    job = json.load(sys.stdin)
    result = ansible_runner.interface.run(
        private_data_dir=job["private_data_dir"],
        ident="1",
        playbook=job["playbook"],
        forks=job["forks"],
        envvars=job["envvars"],
        suppress_env_files=True,
        quiet=False,
    )
    print(json.dumps({"status": result.status, "rc": result.rc}), flush=True)
    return 0 if result.rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
