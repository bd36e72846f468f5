#!/usr/bin/env bash
# Both sample playbooks, run by their FQCN from the installed collection, end to end against the simulator; the
# checks read what the playbooks registered and the state through the API.
set -eux -o pipefail

# ansible-test passes integration_config.yml (the simulator's address and token) to playbook targets only.
config="$(cd ../.. && pwd)/integration_config.yml"
test -f "${config}"
set -- "$@" -e "@${config}"

ansible-playbook reset_demo.yml "$@"
ansible-playbook fleet_runs.yml "$@" -e label_selector=backup=daily -e keep=3 -e '{"snapshot_labels": {"backup": "daily"}}'
ansible-playbook -i hosts.yml hosts_runs.yml "$@" -f 10 -e target=web,workers -e description=hosts-run
