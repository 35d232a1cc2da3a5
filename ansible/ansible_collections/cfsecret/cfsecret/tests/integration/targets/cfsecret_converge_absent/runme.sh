#!/usr/bin/env bash
# Converge (in-place update), state=absent and token_info probe, at -vvv, then: no secret in what Ansible printed, nor
# in any file of the run but the encrypted stores.
set -eu
# ansible-test copies tests/integration/integration_config.yml (written by ansible/tools/
# integration.sh) next to the targets it runs from; playbooks get it as extra vars.
config="$(cd ../.. && pwd)/integration_config.yml"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ansible-playbook converge_absent.yml -i "$INVENTORY_PATH" -vvv -e @"$config" "$@" >"$log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
    # The log is checked for secrets before it is shown.
    python ../setup_cfsecret/files/no_secret.py "$config" "$log" && cat "$log"
    exit "$status"
fi
grep -E '^(ok|changed|fatal|skipping):|PLAY RECAP|^testhost' "$log" || true
python ../setup_cfsecret/files/no_secret.py "$config" "$log"
