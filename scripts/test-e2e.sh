#!/usr/bin/env bash
# End-to-end tests: node --test over tests/e2e/*.test.mjs, one file at a time, against the real
# stack (HTTPS through our local CA, headless Chromium). Extra args go to node --test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash "$REPO/scripts/up.sh"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
export NODE_EXTRA_CA_CERTS=$CA_CERT
cd "$REPO/tests/e2e"
shopt -s nullglob
files=(*.test.mjs)
(( ${#files[@]} )) || die "no tests/e2e/*.test.mjs"
exec node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=tap "$@" "${files[@]}"
