#!/usr/bin/env bash
# The test command: installs the test tools, checks formatting and lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-test-tools.sh
# pip may have put sops in the user's script directory.
export PATH="$PATH:$(python3 -m site --user-base 2>/dev/null)/bin"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The layers run one way: no import circle between src/ folders.
scripts/import-graph
# The keyring tests need a Secret Service and a session keyring of their own: with-keyring starts
# a private D-Bus session with an unlocked GNOME Keyring (or says why it cannot, and runs plainly).
scripts/with-keyring cargo test --workspace --locked
# The Ansible collection (ansible/): ansible-test sanity and units, and its integration targets
# against the fake Cloudflare with the binaries cargo test just built; the keyring targets need
# the same keyring world.
scripts/with-keyring ansible/test.sh
