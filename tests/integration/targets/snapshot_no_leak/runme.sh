#!/usr/bin/env bash
# The API token must never appear in output, even at -vvv and in failures.
set -eux -o pipefail

# ansible-test passes integration_config.yml (the simulator's address and token) to playbook targets only.
config="$(cd ../.. && pwd)/integration_config.yml"
test -f "${config}"
set -- "$@" -e "@${config}"

set +x  # the token must not be echoed by the shell either
HCLOUD_TOKEN="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["hcloud_api_token"])' "${config}")"
export HCLOUD_TOKEN
set -x
ansible-playbook use_token.yml "$@" -vvv > "${OUTPUT_DIR}/use_token.log" 2>&1
ansible-playbook check_output.yml "$@" -e "log_file=${OUTPUT_DIR}/use_token.log"
