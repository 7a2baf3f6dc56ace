#!/usr/bin/env bash
# Multisite end-to-end tests (tests/e2e/multisite/*.test.mjs), on networks of their own, one after
# the other on base port WPOA_PORT+50 (its derived ports as in lib/common.sh):
#   subdir        a sub-directory network (WPOA_MULTISITE=subdir), run dir $WPOA_RUN/multisite
#   subdomain     a sub-domain network, run dir $WPOA_RUN/multisite-subdomain
#   subdir+redis  a sub-directory network on the shared Redis object cache (WPOA_OBJECT_CACHE=redis,
#                 lib/redis.sh): every site's cached state apart, and gone when it must be
# Each is started here and stopped after its tests. A network that cannot start fails the run with
# its reason. Extra args go to node --test.
#   WPOA_MULTISITE_MODES="subdir"   run only these (default: "subdir subdomain subdir+redis")
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
ms_port=$((PORT + 50))
bad=$(fetch_safe_ports "$ms_port" "$((ms_port + 1))" "$((ms_port + 2))" "$((ms_port + 4))" "$((ms_port - 363))" "$((ms_port - 364))") \
  || die "the multisite stack would use port $bad (WPOA_PORT+50), which Node's fetch() refuses: pick another WPOA_PORT"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
base_run=$RUN
rc=0
for mode in ${WPOA_MULTISITE_MODES:-subdir subdomain subdir+redis}; do
  kind=${mode%+redis} cache=
  [ "$kind" = "$mode" ] || cache=redis
  run=$base_run/multisite; [ "$mode" = subdir ] || run=$base_run/multisite-${mode/+/-}
  echo "=== multisite ($mode): run dir $run, https://localhost:$ms_port"
  (
    set -e
    export WPOA_RUN=$run WPOA_PORT=$ms_port WPOA_MULTISITE=$kind WPOA_OBJECT_CACHE=$cache
    mkdir -p "$WPOA_RUN"
    trap 'bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true' EXIT
    bash "$REPO/scripts/up.sh" || die "the $mode network did not start (logs: $WPOA_RUN/logs)"
    export NODE_EXTRA_CA_CERTS=$WPOA_RUN/tls/ca.pem
    cd "$REPO/tests/e2e"
    shopt -s nullglob
    files=(multisite/*.test.mjs)
    (( ${#files[@]} )) || die "no tests/e2e/multisite/*.test.mjs"
    node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=tap "$@" "${files[@]}"
  ) || rc=1
done
exit $rc
