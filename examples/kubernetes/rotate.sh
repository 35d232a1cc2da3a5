#!/bin/sh
# Rotates the Cloudflare DNS-01 token in the Secret manifest of a GitOps checkout, then commits
# and pushes it for Flux to apply. Run daily from cron or a systemd timer (see README.md):
# nothing happens until the token is MAX_AGE old.
#
# The old token stays valid for --keep-old: the push, plus Flux's reconcile interval (10m
# here), plus cert-manager reading the Secret. The management token comes from the environment
# (CLOUDFLARE_API_TOKEN) or --auth-file; --then never sees it.
set -eu
cd "${GITOPS_DIR:-/srv/gitops}"
exec cfsecret rotate \
    --file clusters/prod/cert-manager/cloudflare-api-token.yaml --key api-token \
    --k8s-secret cert-manager/cloudflare-api-token \
    --max-age "${MAX_AGE:-30d}" --keep-old "${KEEP_OLD:-15m}" --wait --json \
    --then 'git add -- "$CFSECRET_STORE" && git commit -q -m "Rotate the Cloudflare DNS-01 token ($CFSECRET_OLD_TOKEN_ID -> $CFSECRET_TOKEN_ID)" && git push -q'
