"""Run a playbook through ansible-runner the way AWX's RunJob does, for the packaging tests.

Runs with the tools virtualenv's Python (it imports ansible_runner). Reads one JSON object from stdin:
``{"private_data_dir", "playbook", "envvars"}``; the credential's environment variables come only through
``envvars``, with ``suppress_env_files`` on (AWX_RUNNER_OMIT_ENV_FILES), never through this process's environment
or a file. Extra variables and the inventory are files in the private data dir (``env/extravars``,
``inventory/``), as AWX writes them. Prints ``{"status", "rc", "events"}``: the events are what AWX's
event handler receives and stores.
"""

from __future__ import annotations

import json
import sys

import ansible_runner


def main() -> int:
    """Run the job described on stdin and print its outcome."""
    job = json.load(sys.stdin)
    events = []

    def keep(event):
        events.append(event)
        return True  # and let ansible-runner write it to artifacts/1/job_events/ too

    result = ansible_runner.interface.run(
        private_data_dir=job["private_data_dir"],
        ident="1",
        playbook=job["playbook"],
        envvars=job["envvars"],
        suppress_env_files=True,
        event_handler=keep,
        quiet=True,
    )
    json.dump({"status": result.status, "rc": result.rc, "events": events}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
