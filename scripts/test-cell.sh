#!/usr/bin/env bash
# One cell of the test matrix (scripts/lib/matrix.sh): B (trixie: WordPress 6.8, PHP 8.4, Apache +
# php-fpm), C (sid + experimental: WordPress 7.1, PHP 8.5, nginx + php-fpm) or D (this machine:
# WordPress 6.1, PHP 8.2, Apache + mod_php). Cell A is the ordinary `make test`.
#
#   bash scripts/test-cell.sh B
#
# Builds the extension for the cell's PHP (in the cell's Debian root for B and C, with this
# machine's rustup toolchain and a CARGO_TARGET_DIR of the root's own), starts the cell's stack
# (its own run dir $WPOA_RUN/cells/<cell> and ports WPOA_PORT + 10/20/30), runs the extension's and
# the plugin's PHPUnit suites in the cell's PHP, then the end-to-end set below from this machine's
# Node and Chromium over HTTPS, and stops the stack. Prints per-suite counts; exits non-zero when
# anything failed or the cell could not run (the reason is the last "[wpoa] ERROR:" line).
#
# The end-to-end set (WPOA_CELL_E2E overrides it, space-separated file names in tests/e2e):
E2E_SET=(stack.test.mjs web-server.test.mjs main-job.test.mjs bearer.test.mjs scopes.test.mjs attacks.test.mjs)
# PHPUnit is Debian 12's 9.6 in every cell (see prepare_root in lib/matrix.sh).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/matrix.sh"
source "$REPO/scripts/lib/counts.sh"

cell=${1:-}
cell_field "$cell" php >/dev/null 2>&1 && [ "$cell" != A ] || die "usage: test-cell.sh B|C|D (cell A is make test itself)"
where=$(cell_field "$cell" where)
php=$(cell_field "$cell" php)
web=$(cell_field "$cell" web)
CELL_RUN=$RUN/cells/$cell
CELL_PORT=$(( PORT + $(cell_field "$cell" offset) ))
mkdir -p "$CELL_RUN/logs"

# ---- a cell in a Debian root: build it (cached), then go on in a private mount namespace ------
if [ "$where" = root ] && [ "${2:-}" != --inside ]; then
  log "$(cell_label "$cell")"
  root=$(ensure_root "$cell") || die "cell $cell cannot run: its Debian $(cell_field "$cell" suite) root could not be built"
  # The mounts below exist only in this namespace: they vanish with its last process, so neither a
  # killed run nor someone else's rm -rf of the cache can reach the host's toolchain through them.
  exec unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" "$cell" --inside "$root"
fi
[ "$where" = host ] && log "$(cell_label "$cell")"
ROOT=${3:-}

CELL_ENV=("WPOA_RUN=$CELL_RUN" "WPOA_PORT=$CELL_PORT" "WPOA_PHP=$php" "WPOA_WEB=$web")
if [ "$where" = root ]; then
  mapfile -t -O ${#CELL_ENV[@]} CELL_ENV < <(root_env "$php")
  CELL_ENV+=("WPOA_PHP_CLI=$CELL_RUN/bin/php")
  HOST_EXT_SRC=$ROOT$ROOT_TARGET/release/libwp_oauth.so
else
  HOST_EXT_SRC=$EXT_SRC
fi

# in_cell CMD...: run CMD with the cell's settings, inside its root for B and C (cwd: the repo).
in_cell() {
  if [ "$where" = root ]; then in_root "$ROOT" "${CELL_ENV[@]}" -- "$@"; else env "${CELL_ENV[@]}" "$@"; fi
}

stop_cell() { in_cell bash scripts/down.sh >/dev/null 2>&1 || true; }
cleanup() {
  stop_cell
  if [ -n "$ROOT" ]; then
    unmount_below "$ROOT" || warn "still mounted below $ROOT: $(mounts_below "$ROOT" | tr '\n' ' ')"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$where" = root ]; then
  [ -f "$ROOT/.complete" ] || die "cell $cell cannot run: $ROOT is not a complete root"
  mount_root "$ROOT" "$CELL_RUN"
  prepare_root "$ROOT" "$php"
  # The e2e tests run PHP inside the site's WordPress (wp-eval.php) with this command.
  mkdir -p "$CELL_RUN/bin"
  cat > "$CELL_RUN/bin/php" <<SH
#!/bin/sh
# PHP $php of cell $cell's Debian root (written by scripts/test-cell.sh; works inside its run only).
exec chroot $ROOT /bin/sh -c 'cd "\$0" 2>/dev/null || cd /; exec php "\$@"' "\$PWD" "\$@"
SH
  chmod +x "$CELL_RUN/bin/php"
  got=$(in_cell php -r 'echo PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION;')
  [ "$got" = "$php" ] || die "cell $cell: php in the root is $got, not $php"
fi

t0=$(now_ms)
declare -a lines=()
cell_pass=0; cell_fail=0

# run_suite NAME CMD...: run, log, count (a runner that fails without a summary counts one failure).
run_suite() {
  local name=$1 log=$CELL_RUN/logs/$1.log rc p f ts=$(now_ms); shift
  echo "=== cell $cell: $name"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <(parse_counts "$log")
  (( rc != 0 && f == 0 )) && f=1
  (( rc == 0 && p == 0 && f == 0 )) && { f=1; echo "!!! cell $cell: $name ran no test"; }
  cell_pass=$((cell_pass + p)); cell_fail=$((cell_fail + f))
  lines+=("$name: $p passed, $f failed, exit $rc, $(( ($(now_ms) - ts) / 1000 )) s (log: $log)")
  return "$rc"
}

# A step that must work for the cell to run at all: its failure ends the cell with the reason.
must() { # what cmd...
  local what=$1; shift
  "$@" 2>&1 | tee -a "$CELL_RUN/logs/setup.log"
  (( PIPESTATUS[0] == 0 )) || die "cell $cell cannot run: $what failed (log: $CELL_RUN/logs/setup.log)"
}
: > "$CELL_RUN/logs/setup.log"

must "building the extension for PHP $php" in_cell bash scripts/build-ext.sh
[ -f "$HOST_EXT_SRC" ] || die "cell $cell cannot run: no $HOST_EXT_SRC after the build"
must "starting the stack" in_cell bash scripts/up.sh
got_wp=$(jq -r .wordpress_version "$CELL_RUN/site.json")
[[ $got_wp == "$(cell_field "$cell" wp)"* ]] || die "cell $cell: WordPress $got_wp, expected $(cell_field "$cell" wp)"

run_suite ext in_cell bash scripts/test-ext.sh
run_suite plugin in_cell bash scripts/test-plugin.sh

files=("${E2E_SET[@]}")
[ -n "${WPOA_CELL_E2E:-}" ] && read -r -a files <<< "$WPOA_CELL_E2E"
present=()
for f in "${files[@]}"; do
  if [ -f "$REPO/tests/e2e/$f" ]; then present+=("$f")
  elif [ "$f" = scopes.test.mjs ]; then log "tests/e2e/$f not in this checkout: left out"
  else die "cell $cell: tests/e2e/$f is missing"
  fi
done
[ -d "$REPO/tests/e2e/node_modules" ] || must "npm ci in tests/e2e" bash -c "cd '$REPO/tests/e2e' && npm ci --no-audit --no-fund --loglevel=error"
run_suite e2e env WPOA_RUN="$CELL_RUN" WPOA_PORT="$CELL_PORT" NODE_EXTRA_CA_CERTS="$CELL_RUN/tls/ca.pem" \
  bash -c 'cd "$0/tests/e2e" && exec node --test --test-concurrency=1 --test-timeout=180000 --test-reporter=tap "$@"' \
  "$REPO" "${present[@]}"

echo
echo "=== cell $cell summary ($(cell_label "$cell"))"
for l in "${lines[@]}"; do echo "  $l"; done
echo "  e2e set: ${present[*]}"
echo "  wall time: $(( ($(now_ms) - t0) / 1000 )) s"
echo "cell $cell total: $cell_pass passed, $cell_fail failed"
(( cell_fail == 0 ))
