#!/usr/bin/env bash
# make soak: the long soak (tests/e2e/soak.test.mjs) — 60 s of concurrent clients on the token
# endpoint (refresh rotation) and the REST API (bearer) on both php-fpm nodes, then: no 5xx, no
# PHP fatal/warning/notice, every refresh chain still valid. make test runs the same file for 15 s.
# Env: WPOA_SOAK_SECONDS (default 60), WPOA_SOAK_CLIENTS (default 8), WPOA_SOAK_MAX_REQUESTS
# (default 100000), plus WPOA_RUN / WPOA_PORT for the instance.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash "$REPO/scripts/up.sh"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
export NODE_EXTRA_CA_CERTS=$CA_CERT
export WPOA_SOAK_SECONDS=${WPOA_SOAK_SECONDS:-60}
export WPOA_SOAK_MAX_REQUESTS=${WPOA_SOAK_MAX_REQUESTS:-100000}
cd "$REPO/tests/e2e"
exec node --test --test-reporter=spec soak.test.mjs
