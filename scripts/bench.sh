#!/usr/bin/env bash
# make bench: the stack benchmark of issue 8 (bearer vs anonymous vs Application Password, token
# endpoint, worker memory) plus the extension's micro-benchmark, written up in docs/benchmarks.md
# with the chart docs/benchmarks.png. A benchmark, not a test: make test does not run it.
#
# Uses the stack instance of WPOA_RUN / WPOA_PORT (see scripts/lib/common.sh); starts it when it
# is not running and stops it again afterwards in that case. Knobs (env), defaults in brackets:
#   BENCH_ROUNDS [5]  BENCH_DURATION [8] s  BENCH_WARMUP [5] s  BENCH_THREADS [2]
#   BENCH_CONNECTIONS [8]  BENCH_RSS_REQUESTS [1000]  BENCH_SKIP_EXT=1 skips scripts/bench-ext.sh
#   BENCH_COMPARE_ITER [400]  BENCH_COMPARE_CALLGRIND [1]  BENCH_IDLE_RUNS [15]  BENCH_IDLE_CALLGRIND [3]
#   (bearer vs Application Passwords vs a stateless JWT; idle cost of the plugin: benches/stack/bench.py)
# With the defaults the whole run takes about 9 minutes on 2 busy cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"

# ---- tools (idempotent) ---------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v python3 >/dev/null || missing+=(python3)
command -v valgrind >/dev/null || missing+=(valgrind)
# The idle cost runs a warm worker under callgrind: php-cgi -T, with php-fpm's ini (opcache in
# shared memory), as php-fpm cannot run under callgrind one request at a time.
command -v "php-cgi$PHP_MINOR" >/dev/null || missing+=("php$PHP_MINOR-cgi")
if (( ${#missing[@]} )); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
    || die "could not install ${missing[*]} (apt-get install -y ${missing[*]})"
fi
[ -f "$EXT_SRC" ] || bash "$REPO/scripts/build-ext.sh"

# ---- the stack --------------------------------------------------------------------------------
started=0
running=1
for s in "${SERVICES[@]}"; do alive "$s" || running=0; done
if (( ! running )); then
  bash "$REPO/scripts/up.sh"
  started=1
elif ! cmp -s "$EXT_SRC" "$EXT_SO"; then
  warn "the running stack serves an older build of the extension than $EXT_SRC; restart it (make down; make up) to measure the new one"
fi
cleanup() { (( started )) && bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT

cmd="make bench"
for v in WPOA_RUN WPOA_PORT BENCH_ROUNDS BENCH_DURATION BENCH_WARMUP BENCH_THREADS BENCH_CONNECTIONS BENCH_RSS_REQUESTS \
         BENCH_PROFILE_SAMPLES BENCH_COMPARE_ITER BENCH_COMPARE_CALLGRIND BENCH_IDLE_RUNS BENCH_IDLE_CALLGRIND BENCH_SKIP_EXT; do
  [ -n "${!v:-}" ] && [ "$v" != WPOA_RUN ] && cmd="$v=${!v} $cmd"
done
[ "$RUN" != "$REPO/.run" ] && cmd="WPOA_RUN=${RUN#"$REPO"/} $cmd"
export BENCH_COMMAND=$cmd BENCH_OUT=$RUN/bench BENCH_PHP_CGI=php-cgi$PHP_MINOR BENCH_PHP_CONF_D=$PHP_CONF_D

t0=$(now_ms)
python3 "$REPO/benches/stack/bench.py"

# The extension's own micro-benchmark (written by the extension engineer), after the stack part so
# its CPU load does not overlap the stack runs.
if [ "${BENCH_SKIP_EXT:-0}" != 1 ]; then
  if [ -f "$REPO/scripts/bench-ext.sh" ]; then
    log "extension micro-benchmark: scripts/bench-ext.sh"
    rm -f "$RUN/bench/ext.md"
    if bash "$REPO/scripts/bench-ext.sh" > "$RUN/bench/ext.md.tmp"; then
      mv "$RUN/bench/ext.md.tmp" "$RUN/bench/ext.md"
    else
      warn "scripts/bench-ext.sh failed; the report uses docs/benchmarks-ext.md if it exists"
    fi
  else
    warn "scripts/bench-ext.sh does not exist yet: the report has no extension micro-benchmark table"
  fi
fi

python3 "$REPO/benches/stack/report.py" "$RUN/bench/results.json"
log "make bench done in $(( ($(now_ms) - t0) / 1000 )) s: docs/benchmarks.md, docs/benchmarks.png (raw: $RUN/bench/results.json)"
