#!/usr/bin/env bash
# The Redis object-cache suite: starts its OWN stack in Redis mode (WPOA_OBJECT_CACHE=redis,
# run dir $WPOA_RUN/redis, base port WPOA_PORT+60), runs tests/e2e/redis/*.test.mjs against it
# and stops it. A Redis stack that cannot start fails the run with its reason. Extra args go to
# node --test (e.g. --test-name-pattern=revocation). `--down` only stops that stack if a killed
# run left it behind (make down runs it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
parent_run=$RUN
export WPOA_RUN=$RUN/redis WPOA_PORT=$((PORT + 60)) WPOA_OBJECT_CACHE=redis
unset WPOA_LOCKED
if [ "${1:-}" = --down ]; then
  [ -d "$parent_run/redis/pids" ] || exit 0
  bash "$REPO/scripts/down.sh" | sed 's/^\[wpoa\] /[wpoa] redis stack: /'
  exit 0
fi
bad=$(fetch_safe_ports "$WPOA_PORT" "$((WPOA_PORT + 1))" "$((WPOA_PORT + 2))" "$((WPOA_PORT - 363))" "$((WPOA_PORT - 364))") \
  || die "the Redis stack would use port $bad (WPOA_PORT+60), which Node's fetch() refuses: pick another WPOA_PORT"
stop() { bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; }
trap stop EXIT
bash "$REPO/scripts/up.sh" || die "the Redis stack did not start (run dir $WPOA_RUN): see the lines above"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
export NODE_EXTRA_CA_CERTS=$WPOA_RUN/tls/ca.pem
cd "$REPO/tests/e2e/redis"
shopt -s nullglob
files=(*.test.mjs)
(( ${#files[@]} )) || die "no tests/e2e/redis/*.test.mjs"
node --test --test-concurrency=1 --test-timeout=300000 --test-reporter=tap "$@" "${files[@]}"
