#!/usr/bin/env bash
# The token and secret modules on the OS keyring backends, in the keyring world that
# scripts/with-keyring made (a private D-Bus session with GNOME Keyring, a session keyring of its
# own). Without it the target skips, saying why; under CI=true it fails instead.
set -eu
config="$(cd ../.. && pwd)/integration_config.yml"
eval "$(python ../setup_cfsecret/files/env.py "$config")"
if [ "${CFSECRET_TEST_KEYRING:-}" != gnome-keyring ]; then
    if grep -q '^cfsecret_ci: true' "$config"; then
        echo "no keyring world (run under scripts/with-keyring), and CI=true" >&2
        exit 1
    fi
    echo "skipped: no keyring world (run the tests under scripts/with-keyring, as ./test.sh does)" >&2
    exit 0
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
ansible-playbook keyring.yml -i "$INVENTORY_PATH" -vvv -e @"$config" "$@" >"$log" 2>&1 || status=$?
if [ "$status" != 0 ]; then
    python ../setup_cfsecret/files/no_secret.py "$config" "$log" && cat "$log"
    exit "$status"
fi
grep -E 'PLAY RECAP|^testhost' "$log" || true
python ../setup_cfsecret/files/no_secret.py "$config" "$log"
