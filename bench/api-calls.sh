#!/usr/bin/env bash
# API calls and TCP connections per cfsecret command, against the local fake Cloudflare.
#
# Counts, not times: each command runs once against `fake-cloudflare` (which counts the API
# requests it serves and the connections it accepts) inside the test
# `real_api::calls_and_connections_per_command` (tests/cli/real_api.rs), which also asserts the
# limits (one connection per run, at most 7 calls for a rotate). This prints its table.
set -euo pipefail
cd "$(dirname "$0")/.."
CFSECRET_PRINT_COUNTS=1 cargo test --locked --test cli \
    real_api::calls_and_connections_per_command -- --exact --nocapture 2>&1 |
    grep -E '^(create|verify|rotate|roll)'
