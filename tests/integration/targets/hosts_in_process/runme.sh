#!/usr/bin/env bash
# The modules as host tasks on the controller (their action plugins): no delegate_to, module_defaults, check mode,
# an explicit delegation; then snapshot_hosts.yml with --limit, serial 2 and a host without a server, at -vvv.
set -eux -o pipefail

# ansible-test passes integration_config.yml (the simulator's address and token) to playbook targets only.
config="$(cd ../.. && pwd)/integration_config.yml"
test -f "${config}"
set -- "$@" -e "@${config}"

ansible-playbook reset.yml "$@"
ansible-playbook -i inventory.yml host_tasks.yml "$@" -vvv > "${OUTPUT_DIR}/host_tasks.log" 2>&1 || { tail -n 60 "${OUTPUT_DIR}/host_tasks.log"; exit 1; }
ansible-playbook check_no_token.yml "$@" -e "log_file=${OUTPUT_DIR}/host_tasks.log"

ansible-playbook reset.yml "$@"
# ghost has no server: the run fails (rc 2) for that host only.
rc=0
ansible-playbook -i inventory.yml lockaware.hcloud.snapshot_hosts "$@" -vvv --limit 'web:charlie' \
  -e snapshot_serial=2 -e description=batch-run > "${OUTPUT_DIR}/hosts_run.log" 2>&1 || rc=$?
test "${rc}" -eq 2
ansible-playbook check_hosts_run.yml "$@" -e "log_file=${OUTPUT_DIR}/hosts_run.log"
