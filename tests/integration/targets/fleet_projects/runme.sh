#!/usr/bin/env bash
# snapshot_fleet.yml over several projects at once: one simulator per project, tokens as vault-encrypted strings;
# projects_run.py starts the simulators, runs the playbook as a subprocess and checks its exit status, recap,
# summary and output, and the state read back from each simulator.
set -eux -o pipefail
python projects_run.py
