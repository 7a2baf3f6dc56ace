#!/usr/bin/env bash
# The URL shapes suite: for each shape (scripts/lib/url-shapes.sh) start a stack of its own, run
# tests/e2e/url-shapes.test.mjs against it, stop it. The stacks run one after another on the same
# ports, WPOA_PORT+70 and those derived from it (lib/common.sh), each in $WPOA_RUN/url-<shape>.
#   WPOA_URL_SHAPES  the shapes to run (default "subdir split plain prefix"; a "+" combines shapes
#                    in one stack, e.g. "subdir+plain")
# One stack per shape, not combined: each stack isolates one difference from the default site, so a
# failure names its cause, and the most common forms (a sub-directory with pretty permalinks, plain
# permalinks at the root) are the ones tested. A stack starts in about 5-8 s; the four run in about
# a minute. A stack that cannot start fails the suite with its reason.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
BASE_RUN=$RUN
SHAPE_PORT=$(( PORT + 70 ))
bad=$(fetch_safe_ports "$SHAPE_PORT" "$((SHAPE_PORT + 1))" "$((SHAPE_PORT + 2))" "$((SHAPE_PORT + 4))" "$((SHAPE_PORT - 363))" "$((SHAPE_PORT - 364))") \
  || die "the URL-shape stacks would use port $bad (WPOA_PORT+70), which Node's fetch() refuses: pick another WPOA_PORT"
[ -d "$REPO/tests/e2e/node_modules" ] || (cd "$REPO/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error) \
  || die "npm ci in tests/e2e failed"

shapes=${WPOA_URL_SHAPES:-subdir split plain prefix}
pass=0; fail=0; failed=()
current=
stop_current() {
  [ -n "$current" ] || return 0
  WPOA_RUN=$BASE_RUN/url-$current WPOA_PORT=$SHAPE_PORT WPOA_URL_SHAPE=$current bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true
  current=
}
trap stop_current EXIT
trap 'exit 130' INT TERM

for shape in $shapes; do
  echo "=== URL shape $shape (WPOA_PORT=$SHAPE_PORT, run dir $BASE_RUN/url-$shape)"
  current=$shape
  run=$BASE_RUN/url-$shape
  if ! WPOA_RUN=$run WPOA_PORT=$SHAPE_PORT WPOA_URL_SHAPE=$shape bash "$REPO/scripts/up.sh"; then
    echo "not ok - URL shape $shape: its stack did not start (see the reason above; logs in $run/logs)"
    echo "# fail 1"   # counted by make test's summary (scripts/lib/counts.sh) like a failed test
    fail=$((fail + 1)); failed+=("$shape (stack)")
    stop_current
    continue
  fi
  log_file=$run/logs/url-shapes.tap
  (cd "$REPO/tests/e2e" && WPOA_RUN=$run NODE_EXTRA_CA_CERTS=$run/tls/ca.pem \
    node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=tap url-shapes.test.mjs) | tee "$log_file"
  rc=${PIPESTATUS[0]}
  p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log_file" | tail -1)
  f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log_file" | tail -1)
  p=${p:-0}; f=${f:-0}
  (( rc != 0 && f == 0 )) && f=1
  (( p == 0 && f == 0 )) && { echo "URL shape $shape: no test ran"; f=1; }
  pass=$((pass + p)); fail=$((fail + f))
  (( f )) && failed+=("$shape")
  stop_current
done

echo
(( ${#failed[@]} )) && echo "URL shapes that failed: ${failed[*]}"
echo "$pass passed, $fail failed"
(( fail == 0 ))
