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

# Retention: both sample playbooks pass it, and their summaries print the cost totals.
ansible-playbook reset_demo.yml "$@"
ansible-playbook retention_runs.yml "$@" -e label_selector=backup=daily \
  -e '{"retention": {"last": 1, "daily": 2}, "snapshot_labels": {"backup": "daily"}}' | tee retention_fleet.out
grep -q '"retention: 4 servers: kept 5 snapshots (.* GB): .* EUR a month net' retention_fleet.out
ansible-playbook -i hosts.yml lockaware.hcloud.snapshot_hosts "$@" -e target=web -e description=hosts-retention \
  -e '{"retention": {"last": 1}}' | tee retention_hosts.out
grep -q '"retention: 2 servers: kept 2 snapshots' retention_hosts.out
