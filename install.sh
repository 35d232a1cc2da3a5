#!/usr/bin/env bash
# Builds cfsecret in release mode and installs it with its shell completions and man pages.
# Idempotent: running it again only replaces files whose content changed, and says so.
#
#   ./install.sh                 installs into ~/.local (bin/, share/)
#   ./install.sh --prefix DIR    installs into DIR/bin and DIR/share
#   CFSECRET_BIN=PATH ./install.sh ...   installs the binary at PATH instead of building one
#
# Installed: PREFIX/bin/cfsecret, completions for bash (share/bash-completion/completions/cfsecret),
# zsh (share/zsh/site-functions/_cfsecret) and fish (share/fish/vendor_completions.d/cfsecret.fish),
# and man pages (share/man/man1/cfsecret.1 and one per command, e.g. cfsecret-rotate.1).
set -euo pipefail
cd "$(dirname "$0")"

prefix="${HOME}/.local"
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument: $1 (see ./install.sh --help)" >&2; exit 2 ;;
    esac
done

if [ -n "${CFSECRET_BIN:-}" ]; then
    bin="$CFSECRET_BIN"
    if [ ! -x "$bin" ]; then
        echo "install.sh: CFSECRET_BIN=$bin is not an executable file" >&2
        exit 1
    fi
    echo "Using the binary $bin (CFSECRET_BIN; not building)"
else
    if ! command -v cargo >/dev/null 2>&1; then
        echo "install.sh: cargo is not installed; get Rust from https://rustup.rs and run this again" >&2
        exit 1
    fi
    echo "Building cfsecret (release)..."
    cargo build --release --locked --quiet -p cfsecret
    bin="${CARGO_TARGET_DIR:-target}/release/cfsecret"
fi

# Installs SRC as DEST with MODE, unless DEST already has the same content.
changed=0
put() {
    local src="$1" dest="$2" mode="$3"
    mkdir -p "$(dirname "$dest")"
    if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
        echo "  up to date: $dest"
    else
        install -m "$mode" "$src" "$dest.new"
        mv -f "$dest.new" "$dest"
        echo "  installed:  $dest"
        changed=$((changed + 1))
    fi
}

share="$prefix/share"
bindir="$prefix/bin"
dest="$bindir/cfsecret"
put "$bin" "$dest" 0755
version="$("$dest" --version)"

# Completions and man pages come from the installed binary's own command-line definitions.
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
"$dest" completions bash >"$gen/cfsecret.bash"
"$dest" completions zsh >"$gen/_cfsecret"
"$dest" completions fish >"$gen/cfsecret.fish"
put "$gen/cfsecret.bash" "$share/bash-completion/completions/cfsecret" 0644
put "$gen/_cfsecret" "$share/zsh/site-functions/_cfsecret" 0644
put "$gen/cfsecret.fish" "$share/fish/vendor_completions.d/cfsecret.fish" 0644
"$dest" man --quiet --dir "$gen/man1"
for page in "$gen"/man1/*.1; do
    put "$page" "$share/man/man1/$(basename "$page")" 0644
done

if [ "$changed" -eq 0 ]; then
    echo "$version is already installed in $prefix; nothing changed"
else
    echo "Installed $version in $prefix ($changed files changed)"
fi

# Where the shells and man look, and what to add when this prefix is not among those places.
case ":$PATH:" in
    *":$bindir:"*) echo "$bindir is on your PATH: run 'cfsecret --help'" ;;
    *) echo "note: $bindir is not on your PATH; add it, e.g. echo 'export PATH=\"$bindir:\$PATH\"' >> ~/.profile" ;;
esac
case "$prefix" in
    "$HOME/.local"|/usr/local|/usr) ;;
    *) echo "note: for bash completion, add $share to XDG_DATA_DIRS (bash-completion and fish look there)" ;;
esac
case "$prefix" in
    /usr/local|/usr) ;;
    *) echo "note: for zsh completion, add 'fpath=($share/zsh/site-functions \$fpath)' to ~/.zshrc before compinit" ;;
esac
echo "man pages: man cfsecret, man cfsecret-rotate, ... (found through PATH once $bindir is on it)"
