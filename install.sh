#!/usr/bin/env bash
# Builds cfsecret in release mode and installs it. Idempotent: running it again only reinstalls
# when the binary changed.
#
#   ./install.sh                 installs into ~/.local/bin
#   ./install.sh --prefix DIR    installs into DIR/bin
set -euo pipefail
cd "$(dirname "$0")"

prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see ./install.sh --help)" >&2; exit 2 ;;
    esac
done

if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo is not installed; get Rust from https://rustup.rs and run this again" >&2
    exit 1
fi

echo "Building cfsecret (release)..."
cargo build --release --locked --quiet -p cfsecret
bin="target/release/cfsecret"

bindir="$prefix/bin"
mkdir -p "$bindir"
dest="$bindir/cfsecret"
if [ -f "$dest" ] && cmp -s "$bin" "$dest"; then
    echo "cfsecret is already up to date at $dest ($("$dest" --version))"
else
    install -m 0755 "$bin" "$dest.new"
    mv -f "$dest.new" "$dest"
    echo "Installed $("$dest" --version) to $dest"
fi

case ":$PATH:" in
    *":$bindir:"*) echo "$bindir is on your PATH: run 'cfsecret --help'" ;;
    *) echo "note: $bindir is not on your PATH; add it, e.g. echo 'export PATH=\"$bindir:\$PATH\"' >> ~/.profile" ;;
esac
