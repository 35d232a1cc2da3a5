#!/usr/bin/env bash
# Tests the cfsecret.cfsecret collection: ansible-test sanity and units, then the integration
# targets against the fake Cloudflare on loopback, with the cfsecret this workspace builds.
# Run by ./test.sh (after cargo test built the binaries), or alone:
#   ansible/test.sh [sanity|units|integration|prime]...   (default: the first three)
# CFSECRET_ANSIBLE_TARGETS="cfsecret_token ..." picks integration targets.
# No containers and no network: scripts/install-test-tools.sh installed pytest and built the
# sanity venvs (`ansible/test.sh prime`) beforehand.
# Without ansible-test it skips, saying why; under CI=true it fails instead.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
coll="$repo/ansible/ansible_collections/cfsecret/cfsecret"
say() { printf 'ansible tests: %s\n' "$*" >&2; }

require() {
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ "${CI:-}" = true ]; then
            say "$1 is not installed, and CI=true (scripts/install-test-tools.sh installs it)"
            exit 1
        fi
        say "skipped: $1 is not installed (scripts/install-test-tools.sh installs it)"
        exit 0
    fi
}
require ansible-test

parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(sanity units integration)

# The interpreter ansible-test runs with: the one ansible-core is installed for.
python="$(head -n1 "$(command -v ansible-test)" | sed 's/^#!//')"
case "$python" in */env\ *|*/env) python="$(command -v python3)" ;; esac
if ! "$python" -c 'import ansible' 2>/dev/null; then
    python="$(command -v python3)"
fi
# pyenv's shims are shell scripts: ask the real interpreter where it is.
python="$("$python" -c 'import sys; print(sys.executable)')"
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

# ansible-test bootstraps pip into its venvs with a script from a host this machine cannot
# reach; it first looks in its cache, so a stand-in using the bundled ensurepip goes there.
pip_version="$("$python" - <<'EOF'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
EOF
)"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
# A real script someone downloaded stays; an older stand-in of ours is replaced.
if [ ! -s "$cache" ] || grep -q 'A stand-in for https://ci-files' "$cache"; then
    mkdir -p "$(dirname "$cache")"
    cp "$repo/ansible/tools/get_pip_standin.py" "$cache"
fi

cd "$coll"
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
timed() {
    local start=$SECONDS
    "$@"
    say "$part took $((SECONDS - start))s"
}

sanity() {
    # The tests the collection promises, on the installed Python only (no containers).
    ansible-test sanity --local --python "$pyver" --color no "$@" \
            --test validate-modules --test compile --test import --test ansible-doc \
            --test runtime-metadata --test yamllint --test pep8 --test action-plugin-docs \
            --test ignores --test shebang --test symlinks --test no-assert --test line-endings \
            --test empty-init --test no-smart-quotes --test no-illegal-filenames \
            --test use-argspec-type-path --test replace-urlopen --test no-get-exception \
            --test use-compat-six
}

for part in "${parts[@]}"; do
    case "$part" in
    prime)
        # scripts/install-test-tools.sh: the sanity tests' venvs, built now (from the package
        # index) so that the test command itself needs no network.
        timed sanity --prime-venvs
        ;;
    sanity)
        timed sanity
        ;;
    units)
        # pytest, pytest-mock, pytest-xdist and mock: installed by scripts/install-test-tools.sh.
        if ! "$python" -c 'import pytest, pytest_mock, xdist, mock' 2>/dev/null; then
            [ "${CI:-}" != true ] || { say "pytest is not installed, and CI=true"; exit 1; }
            say "skipped units: pytest is not installed (scripts/install-test-tools.sh installs it)"
            continue
        fi
        timed ansible-test units --local --python "$pyver" --color no
        ;;
    integration)
        require ansible-playbook
        require sops
        require age-keygen
        # The targets read what cfsecret wrote with community.sops (the `ansible` package has it).
        if ! ansible-doc -t lookup community.sops.sops >/dev/null 2>&1; then
            [ "${CI:-}" != true ] || { say "community.sops is not installed, and CI=true"; exit 1; }
            say "skipped integration: community.sops is not installed (pip install ansible)"
            continue
        fi
        "$repo/ansible/tools/integration.sh" "$python" "$pyver"
        ;;
    *)
        say "unknown part $part (prime, sanity, units or integration)"
        exit 2
        ;;
    esac
done
