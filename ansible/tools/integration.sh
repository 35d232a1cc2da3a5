#!/usr/bin/env bash
# ansible-test integration for cfsecret.cfsecret, against the fake Cloudflare on a loopback port,
# with the cfsecret this workspace builds. Called by ansible/test.sh as: integration.sh PYTHON X.Y
# The targets get everything through tests/integration/integration_config.yml (ansible-test
# passes only a few environment variables on): the binary, the fake's URLs, the bootstrap token's
# file (never the token), an age identity made for this run, and the keyring session, if any.
set -euo pipefail

python="$1"
pyver="$2"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
coll="$repo/ansible/ansible_collections/cfsecret/cfsecret"
say() { printf 'ansible tests: %s\n' "$*" >&2; }

bin="${CARGO_TARGET_DIR:-$repo/target}/debug"
if [ ! -x "$bin/cfsecret" ] || [ ! -x "$bin/fake-cloudflare" ]; then
    say "building cfsecret and fake-cloudflare"
    (cd "$repo" && cargo build --locked -p cfsecret -p fake-cloudflare --bins)
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cfsecret-ansible.XXXXXX")"
fake_pid=
cleanup() {
    [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

age-keygen -o "$work/age.txt" 2>/dev/null
recipient="$(age-keygen -y "$work/age.txt")"

"$bin/fake-cloudflare" --listen 127.0.0.1:0 --token-file "$work/bootstrap.token" \
    >"$work/fake.out" 2>"$work/fake.log" &
fake_pid=$!
base_url=
for _ in $(seq 1 300); do
    base_url="$(head -n1 "$work/fake.out" 2>/dev/null || true)"
    [ -z "$base_url" ] || [ ! -s "$work/bootstrap.token" ] || break
    kill -0 "$fake_pid" 2>/dev/null || { cat "$work/fake.log" >&2; say "the fake did not start"; exit 1; }
    sleep 0.1
done
[ -n "$base_url" ] || { say "the fake printed no URL"; exit 1; }

# YAML by json.dumps: every value quoted as it must be.
config="$coll/tests/integration/integration_config.yml"
"$python" - "$config" <<EOF
import json, os, sys
env = dict((k, os.environ[k]) for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "CFSECRET_TEST_KEYRING") if k in os.environ)
config = {
    "cfsecret_binary": "$bin/cfsecret",
    "cfsecret_api_base_url": "$base_url",
    "cfsecret_control_url": "${base_url%/client/v4}/__fake",
    "cfsecret_bootstrap_token_file": "$work/bootstrap.token",
    "cfsecret_age_key_file": "$work/age.txt",
    "cfsecret_age_recipient": "$recipient",
    "cfsecret_work_dir": "$work",
    "cfsecret_ci": os.environ.get("CI") == "true",
    "cfsecret_test_env": env,
}
with open(sys.argv[1], "w") as f:
    f.write("---\n")
    for k, v in config.items():
        f.write("%s: %s\n" % (k, json.dumps(v)))
EOF

targets=()
if [ -n "${CFSECRET_ANSIBLE_TARGETS:-}" ]; then
    read -r -a targets <<<"$CFSECRET_ANSIBLE_TARGETS"
fi
cd "$coll"
start=$SECONDS
ansible-test integration --local --python "$pyver" --color no "${targets[@]}"
say "ansible-test integration took $((SECONDS - start))s"
