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

# Snapshots from automatic backups: of the demo's daily servers db1 has an available backup, sg5's is being made for
# 10 simulated seconds after the reset (converted if it is done when the run reaches sg5, on a loaded machine, else
# skipped), web1 and web2 have backups off; on_no_backup=skip skips the others, and the run exits 0.
ansible-playbook reset_demo.yml "$@"
ansible-playbook lockaware.hcloud.snapshot_fleet "$@" -e label_selector=backup=daily -e from_backup=true -e on_no_backup=skip \
  -e max_age=1d | tee from_backup_fleet.out
grep -q '"db1 *converted .* converted automatic backup ' from_backup_fleet.out
grep -q '"web1 *skipped .* has no automatic backups' from_backup_fleet.out
grep -q '"web2 *skipped .* has no automatic backups' from_backup_fleet.out
grep -Eq '"(1 converted, 3 skipped|2 converted, 2 skipped) of 4 servers"' from_backup_fleet.out
ansible-playbook -i hosts.yml lockaware.hcloud.snapshot_hosts "$@" -e target=web -e from_backup=true -e on_no_backup=skip | tee from_backup_hosts.out
grep -q '"2 skipped of 2 servers"' from_backup_hosts.out
