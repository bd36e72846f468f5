#!/usr/bin/env bash
# The restore drill playbook, from the installed collection, against the simulator: a drill whose checks pass, then a
# sample of two whose checks fail. Before each, the project holds a crashed drill's scratch servers; after each,
# verify.yml reads the project back.
set -eux -o pipefail

# ansible-test passes integration_config.yml (the simulator's address and token) to playbook targets only.
config="$(cd ../.. && pwd)/integration_config.yml"
test -f "${config}"
set -- "$@" -e "@${config}" -e @fleet.yml -e label_selector=drill=yes -e "drill_checks=${PWD}/checks.yml"

# 1. Every check passes (checks.yml reads each scratch server back: its snapshot, location and type): exit 0. The
#    crashed run's scratch servers (one still being created) go first; verify.yml then resets the project.
ansible-playbook pass.yml "$@" -e run_id=pass-1 -e expected_creates=3 -e reset_after=true | tee pass.out
grep -q "earlier drills' leftovers: deleted 2 scratch server(s): drill-web1-1-crashed, drill-db1-2-crashed" pass.out
grep -q 'restore drill pass-1: 3 of 3 server(s) restorable; the scratch servers cost 0.0230 EUR net (0.0274 gross), 3 server-hour(s) billed' pass.out
grep -Eq 'web1 +restorable +snapshot [0-9]+ .web1-new. .* onto cx23 in fsn1, running after' pass.out

# 2. Two servers at random, and the checks fail: the summary is printed, the run exits 2 naming both servers, and no
#    scratch server is left.
rc=0
ansible-playbook lockaware.hcloud.restore_drill "$@" -e run_id=fail-1 -e sample=2 -e fail_on=web1,db1,arm1 > fail.out || rc=$?
cat fail.out
test "${rc}" -eq 2
grep -Eq 'restore drill fail-1: 0 of 2 server\(s\) restorable, not: [a-z0-9]+, [a-z0-9]+;' fail.out
test "$(grep -Eo '"msg": "restore drill fail-1: not restorable: .*' fail.out | grep -Eo 'check The application check \(fails for the servers in fail_on\) failed' | wc -l)" -eq 2
grep -Eq 'localhost +: ok=[0-9]+ +changed=[0-9]+ +unreachable=0 +failed=1 ' fail.out
ansible-playbook verify.yml "$@" -e expected_creates=2
