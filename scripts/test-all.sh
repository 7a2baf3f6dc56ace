#!/usr/bin/env bash
# make test: install what is missing, build the extension, run every suite in order against the
# real stack, and end with one line "N passed, N failed". Exit status non-zero if anything failed.
# Suites: rust (scripts/test-rust.sh), ext (scripts/test-ext.sh), plugin (PHPUnit), e2e (node --test),
# python (scripts/test-python.sh), redis (scripts/test-redis.sh: its own stack with a Redis object
# cache): that is cell A of the test matrix (scripts/lib/matrix.sh). Then
# cells B, C and D (scripts/test-cell.sh) and, with every cell, the release artifacts (make dist,
# checked by scripts/test-dist.sh).
#   WPOA_CELLS="B"     run only these cells (any of A B C D; default all of them); a cell that cannot run
#                      (its root could not be built, a package is missing) counts as failed.
# Each suite's output is also in $WPOA_RUN/logs/<suite>.log.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"
t0=$(now_ms)
mkdir -p "$RUN/logs"
source "$REPO/scripts/lib/matrix.sh"

# Default: every cell of the matrix (README.md); WPOA_CELLS=A for this machine's cell alone.
cells=${WPOA_CELLS:-A B C D}
cells=${cells//,/ }
for c in $cells; do
  [[ " ${MATRIX_CELLS[*]} " == *" $c "* ]] || die "WPOA_CELLS: unknown cell '$c' (cells: ${MATRIX_CELLS[*]})"
done
want_cell() { [[ " $cells " == *" $1 "* ]]; }
# Every selected cell's ports must be usable by the tests' fetch() (lib/common.sh checks cell A's).
for c in $cells; do
  p=$(( PORT + $(cell_field "$c" offset) ))
  bad=$(fetch_safe_ports "$p" "$((p + 1))" "$((p + 2))" "$((p + 3))" "$((p - 363))" "$((p - 364))") \
    || die "cell $c would use port $bad (WPOA_PORT+$(cell_field "$c" offset)), which Node's fetch() refuses: pick another WPOA_PORT"
done

total_pass=0; total_fail=0; bad_suites=(); summary=()
declare -A cell_pass=() cell_fail=()   # per cell of the matrix, plus "setup" and "dist"

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
    cell_fail[setup]=$(( ${cell_fail[setup]:-0} + 1 ))
    return 1
  fi
}

source "$REPO/scripts/lib/counts.sh"

suite() { # name script [args...]
  local name=$1 script=$2 log=$RUN/logs/$1.log rc p f; shift 2
  echo
  echo "=== suite $name: bash $script $*"
  if [ ! -f "$REPO/$script" ]; then
    echo "!!! MISSING: $script does not exist - counted as a failure" | tee "$log"
    total_fail=$((total_fail + 1)); bad_suites+=("$name"); summary+=("$name: MISSING")
    cell_fail[$current_cell]=$(( ${cell_fail[$current_cell]:-0} + 1 ))
    return
  fi
  local ts=$(now_ms)
  bash "$REPO/$script" "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <(parse_counts "$log")
  # A cell counts its own suites (it also fails a suite that ran no test): take its total.
  if grep -Eq '^cell [A-Z] total: [0-9]+ passed, [0-9]+ failed$' "$log"; then
    read -r p f < <(sed -nE 's/^cell [A-Z] total: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -1)
  fi
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
  (( rc != 0 )) && [ "$p" = 0 ] && note+=", $(grep -a '\[wpoa\] ERROR:' "$log" | tail -1 | sed 's/^.*ERROR: //')"
  summary+=("$name: $p passed, $f failed, exit $rc$note, $(( ($(now_ms) - ts) / 1000 )) s (log: $log)")
  cell_pass[$current_cell]=$(( ${cell_pass[$current_cell]:-0} + p ))
  cell_fail[$current_cell]=$(( ${cell_fail[$current_cell]:-0} + f ))
}

current_cell=setup
step deps bash scripts/deps.sh
if want_cell A || want_cell D; then step build-ext bash scripts/build-ext.sh; fi

if want_cell A; then
  current_cell=A
  suite rust   scripts/test-rust.sh
  suite ext    scripts/test-ext.sh
  suite plugin scripts/test-plugin.sh
  suite e2e    scripts/test-e2e.sh
  suite multisite scripts/test-multisite.sh
  suite python scripts/test-python.sh
  suite redis  scripts/test-redis.sh
  suite url-shapes scripts/test-url-shapes.sh
  # Cell A's stack is not needed by the other cells: free its memory and CPU for them.
  if (( ! was_running )); then bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; fi
fi
for c in B C D; do
  want_cell "$c" || continue
  current_cell=$c
  suite "cell-$c" scripts/test-cell.sh "$c"
done
if [ "$cells" = "${MATRIX_CELLS[*]}" ]; then
  current_cell=dist
  suite dist scripts/test-dist.sh
else
  echo; echo "=== dist: not checked (WPOA_CELLS=$cells; it runs with every cell)"
fi

echo
echo "=== summary"
for line in "${summary[@]}"; do echo "  $line"; done
echo "  per cell:"
for c in A B C D; do
  want_cell "$c" || continue
  echo "    $(cell_label "$c"): ${cell_pass[$c]:-0} passed, ${cell_fail[$c]:-0} failed"
done
[ -n "${cell_pass[dist]:-}" ] && echo "    artifacts (make dist): ${cell_pass[dist]} passed, ${cell_fail[dist]} failed"
[ -n "${cell_fail[setup]:-}" ] && echo "    set-up steps: ${cell_fail[setup]} failed"
(( ${#bad_suites[@]} )) && echo "  failed: ${bad_suites[*]}"
echo "  wall time: $(( ($(now_ms) - t0) / 1000 )) s"
echo "$total_pass passed, $total_fail failed"
(( total_fail == 0 && ${#bad_suites[@]} == 0 ))
