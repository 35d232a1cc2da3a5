#!/usr/bin/env bash
# The token lifecycle on today's cfsecret, at -vvv, then: no secret in what Ansible printed, nor
# in any file of the run but the encrypted stores.
set -eu
# ansible-test copies tests/integration/integration_config.yml (written by ansible/tools/
# integration.sh) next to the targets it runs from; playbooks get it as extra vars.
config="$(cd ../.. && pwd)/integration_config.yml"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ansible-playbook lifecycle.yml -i "$INVENTORY_PATH" -vvv -e @"$config" "$@" >"$log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
    # The log is checked for secrets before it is shown.
    python ../setup_cfsecret/files/no_secret.py "$config" "$log" && cat "$log"
    exit "$status"
fi
# Exit 6: the store's lock is held (by flock, for the whole nested run) and the module does not wait.
work="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["cfsecret_work_dir"])' "$config")"
if command -v flock >/dev/null 2>&1; then
    flock "$work/token/secrets/.cell-v0.yml.cfsecret.lock" \
        ansible-playbook locked.yml -i "$INVENTORY_PATH" -e @"$config" "$@" >>"$log" 2>&1 || status=$?
    if [ "$status" != 0 ]; then
        python ../setup_cfsecret/files/no_secret.py "$config" "$log" && cat "$log"
        exit "$status"
    fi
elif grep -q '^cfsecret_ci: true' "$config"; then
    echo "flock (util-linux) is missing, and CI=true" >&2
    exit 1
else
    echo "skipped the lock check: flock (util-linux) is missing" >&2
fi
grep -E '^(ok|changed|fatal|skipping):|PLAY RECAP|^testhost' "$log" || true
python ../setup_cfsecret/files/no_secret.py "$config" "$log"
