#!/usr/bin/env bash
# Both sample playbooks, run by their FQCN from the installed collection, end to end against the simulator.
set -eux -o pipefail

# ansible-test passes integration_config.yml (the simulator's address and token) to playbook targets only.
config="$(cd ../.. && pwd)/integration_config.yml"
test -f "${config}"
set -- "$@" -e "@${config}"

ansible-playbook reset_demo.yml "$@"
ansible-playbook lockaware.hcloud.snapshot_fleet "$@" -e label_selector=backup=daily -e keep=3 \
  -e '{"snapshot_labels": {"backup": "daily"}}' | tee "${OUTPUT_DIR}/fleet_first.log"
ansible-playbook lockaware.hcloud.snapshot_fleet "$@" -e label_selector=backup=daily -e keep=3 \
  -e '{"snapshot_labels": {"backup": "daily"}}' | tee "${OUTPUT_DIR}/fleet_second.log"
ansible-playbook check_fleet.yml "$@" -e "first_log=${OUTPUT_DIR}/fleet_first.log second_log=${OUTPUT_DIR}/fleet_second.log"

ansible-playbook -i hosts.yml lockaware.hcloud.snapshot_hosts "$@" -f 10 -e target=web,workers -e description=hosts-run
ansible-playbook -i hosts.yml lockaware.hcloud.snapshot_hosts "$@" -f 10 -e target=web,workers -e description=hosts-run \
  | tee "${OUTPUT_DIR}/hosts_second.log"
ansible-playbook check_hosts.yml "$@" -e "second_log=${OUTPUT_DIR}/hosts_second.log"
