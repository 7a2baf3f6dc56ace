#!/usr/bin/env bash
# Multisite end-to-end tests (tests/e2e/multisite/*.test.mjs) against a sub-directory network of
# their own: run dir $WPOA_RUN/multisite, base port WPOA_PORT+50 (its derived ports as in
# lib/common.sh), started here with WPOA_MULTISITE=subdir and stopped at the end. A network that
# cannot start fails the run with its reason. Extra args go to node --test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ms_port=$((PORT + 50))
bad=$(fetch_safe_ports "$ms_port" "$((ms_port + 1))" "$((ms_port + 2))" "$((ms_port - 363))" "$((ms_port - 364))") \
  || die "the multisite stack would use port $bad (WPOA_PORT+50), which Node's fetch() refuses: pick another WPOA_PORT"
export WPOA_RUN=$RUN/multisite WPOA_PORT=$ms_port WPOA_MULTISITE=subdir
mkdir -p "$WPOA_RUN"
stop() { bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; }
trap stop EXIT
trap 'exit 130' INT TERM
bash "$REPO/scripts/up.sh" || die "the multisite network did not start (logs: $WPOA_RUN/logs)"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
export NODE_EXTRA_CA_CERTS=$WPOA_RUN/tls/ca.pem
cd "$REPO/tests/e2e"
shopt -s nullglob
files=(multisite/*.test.mjs)
(( ${#files[@]} )) || die "no tests/e2e/multisite/*.test.mjs"
node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=tap "$@" "${files[@]}"
