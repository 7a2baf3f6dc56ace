#!/usr/bin/env bash
# make test: install what is missing, build the extension, run every suite in order against the
# real stack, and end with one line "N passed, N failed". Exit status non-zero if anything failed.
# Suites: rust (scripts/test-rust.sh), ext (scripts/test-ext.sh), plugin (PHPUnit), e2e (node --test).
# Each suite's output is also in $WPOA_RUN/logs/<suite>.log.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"
t0=$(now_ms)
mkdir -p "$RUN/logs"

total_pass=0; total_fail=0; bad_suites=(); summary=()

# Stop the stack at the end if this run started it.
was_running=1
for s in "${SERVICES[@]}"; do alive "$s" || was_running=0; done
cleanup() {
  if (( ! was_running )); then bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { # name cmd...: a build step; failure counts as one failed check
  local name=$1; shift
  echo "=== $name"
  if ! "$@" 2>&1 | tee "$RUN/logs/$name.log"; then
    echo "!!! $name FAILED (log: $RUN/logs/$name.log)"
    total_fail=$((total_fail + 1)); bad_suites+=("$name"); summary+=("$name: FAILED")
    return 1
  fi
}

# parse_counts LOG -> "passed failed" from whichever runner summaries the log contains.
parse_counts() {
  awk '
    # cargo test
    /^test result: (ok|FAILED)\. [0-9]+ passed; [0-9]+ failed/ {
      for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) }
    }
    # PHPUnit
    /^OK \([0-9]+ tests?, / { s = $0; sub(/^OK \(/, "", s); p += s + 0 }
    /^Tests: [0-9]+, Assertions: / {
      n = 0; fe = 0; sk = 0; s = $0; gsub(/[.,]/, "", s); k = split(s, a, " ")
      for (i = 1; i < k; i++) {
        if (a[i] == "Tests:") n = a[i+1]
        if (a[i] == "Failures:" || a[i] == "Errors:") fe += a[i+1]
        if (a[i] == "Skipped:" || a[i] == "Incomplete:") sk += a[i+1]
      }
      p += n - fe - sk; f += fe
    }
    # node --test (TAP or spec reporter)
    /^(# |ℹ )pass [0-9]+$/ { p += $NF }
    /^(# |ℹ )fail [0-9]+$/ { f += $NF }
    # PHP run-tests.php (phpt)
    /^Tests passed *: *[0-9]+/ { s = $0; sub(/^Tests passed *: */, "", s); p += s + 0 }
    /^Tests failed *: *[0-9]+/ { s = $0; sub(/^Tests failed *: */, "", s); f += s + 0 }
    END { printf "%d %d\n", p, f }
  ' "$1"
}

suite() { # name script
  local name=$1 script=$2 log=$RUN/logs/$1.log rc p f
  echo
  echo "=== suite $name: bash $script"
  if [ ! -f "$REPO/$script" ]; then
    echo "!!! MISSING: $script does not exist - counted as a failure" | tee "$log"
    total_fail=$((total_fail + 1)); bad_suites+=("$name"); summary+=("$name: MISSING")
    return
  fi
  local ts=$(now_ms)
  bash "$REPO/$script" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <(parse_counts "$log")
  if (( rc != 0 && f == 0 )); then
    f=1   # the runner failed without reporting a failed test (crash, build error, no summary)
  fi
  local note=""
  if (( rc == 0 && p == 0 && f == 0 )); then
    echo "!!! $name: NO TESTS RUN (no test summary found in the output)"
    note=", NO TESTS RUN"
  fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  (( rc != 0 || f != 0 )) && bad_suites+=("$name")
  summary+=("$name: $p passed, $f failed, exit $rc$note, $(( ($(now_ms) - ts) / 1000 )) s (log: $log)")
}

step deps bash scripts/deps.sh
step build-ext bash scripts/build-ext.sh

suite rust   scripts/test-rust.sh
suite ext    scripts/test-ext.sh
suite plugin scripts/test-plugin.sh
suite e2e    scripts/test-e2e.sh
suite python scripts/test-python.sh

echo
echo "=== summary"
for line in "${summary[@]}"; do echo "  $line"; done
(( ${#bad_suites[@]} )) && echo "  failed: ${bad_suites[*]}"
echo "  wall time: $(( ($(now_ms) - t0) / 1000 )) s"
echo "$total_pass passed, $total_fail failed"
(( total_fail == 0 && ${#bad_suites[@]} == 0 ))
