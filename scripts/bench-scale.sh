#!/usr/bin/env bash
# make bench-scale: the plugin at scale (issue 19). On a stack of its own (run dir $WPOA_RUN/scale,
# ports WPOA_PORT+80 and those derived from it, a fresh database every run) it measures the bearer
# check, the token endpoint (code and refresh), revocation, introspection and the hourly cleanup
# with empty tables, then fills them with SQL (benches/scale/generate.sql) and measures again, and
# EXPLAINs every statement the loaded run sent. Results: the "Scale" section of docs/benchmarks.md
# (raw: $WPOA_RUN/scale/results/scale.json). A benchmark, not a test: make test does not run it.
#   SCALE_GRANTS [1000000]  SCALE_REFRESH [10000000]  SCALE_REVOKED [100000]  rows to generate
#   SCALE_REPS [40]  SCALE_WARMUP [5]  requests per operation
#   SCALE_KEEP=1  leave the loaded stack running (stop it with WPOA_RUN=$WPOA_RUN/scale WPOA_PORT=<+80> make down)
# On 2 busy cores the default sizes take about 10 minutes, most of it generating the rows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"

GRANTS=${SCALE_GRANTS:-1000000}
REFRESH=${SCALE_REFRESH:-10000000}
REVOKED=${SCALE_REVOKED:-100000}
for v in GRANTS REFRESH REVOKED; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "SCALE_$v must be a positive integer (got '${!v}')"
done
SCALE_RUN=$RUN/scale
SCALE_PORT=$(( PORT + 80 ))
bad=$(fetch_safe_ports "$SCALE_PORT" "$((SCALE_PORT + 1))" "$((SCALE_PORT + 2))" "$((SCALE_PORT + 4))" "$((SCALE_PORT - 363))" "$((SCALE_PORT - 364))") \
  || die "the scale stack would use port $bad (WPOA_PORT+80): pick another WPOA_PORT"
[ -f "$EXT_SRC" ] || bash "$REPO/scripts/build-ext.sh"
command -v python3 >/dev/null || die "python3 not found; run: make deps"

cmd="make bench-scale"
for v in WPOA_PORT SCALE_GRANTS SCALE_REFRESH SCALE_REVOKED SCALE_REPS SCALE_WARMUP; do
  [ -n "${!v:-}" ] && cmd="$v=${!v} $cmd"
done

in_scale() { WPOA_RUN=$SCALE_RUN WPOA_PORT=$SCALE_PORT WPOA_URL_SHAPE=root "$@"; }
in_scale bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true
rm -rf "$SCALE_RUN"
stop() { [ "${SCALE_KEEP:-0}" = 1 ] || in_scale bash "$REPO/scripts/down.sh" >/dev/null 2>&1 || true; }
trap stop EXIT
in_scale bash "$REPO/scripts/up.sh"
cp "$REPO/benches/scale/sql-log.php" "$SCALE_RUN/wordpress/wp-content/mu-plugins/wpoa-scale-sql-log.php"

export WPOA_RUN=$SCALE_RUN WPOA_PORT=$SCALE_PORT SCALE_OUT=$SCALE_RUN/results
measure() { python3 "$REPO/benches/scale/measure.py" "$@"; }
db() { mariadb --no-defaults -uroot --socket="$SCALE_RUN/sock/mysql.sock" "$DB_NAME" "$@"; }
load1() { awk '{print $1}' /proc/loadavg; }
loads=("$(load1)")

log "empty tables: requests, cleanup, sizes"
measure requests empty
measure cleanup empty
measure sizes empty
loads+=("$(load1)")

log "generating $GRANTS grants, $REFRESH refresh-token rows, $REVOKED revoked token ids with SQL"
before=$(for t in grants refresh_tokens revoked_tokens; do db -N -e "SHOW CREATE TABLE wp_oauth_$t" | cut -f2- ; done)
aud=$(jq -r .url "$SCALE_RUN/site.json")/wp-json/
t0=$(now_ms)
{ echo "SET @grants = $GRANTS, @refresh = $REFRESH, @revoked = $REVOKED, @now = UNIX_TIMESTAMP(), @aud = '$aud';"
  cat "$REPO/benches/scale/generate.sql"; } | db || die "generating the rows failed"
gen_s=$(( ($(now_ms) - t0) / 1000 ))
log "generated in $gen_s s"
after=$(for t in grants refresh_tokens revoked_tokens; do db -N -e "SHOW CREATE TABLE wp_oauth_$t" | cut -f2- | sed 's/ AUTO_INCREMENT=[0-9]*//'; done)
[ "$(sed 's/ AUTO_INCREMENT=[0-9]*//' <<<"$before")" = "$after" ] \
  || { diff <(sed 's/ AUTO_INCREMENT=[0-9]*//' <<<"$before") <(echo "$after") >&2 || true; die "the bulk load changed the tables' definitions"; }
loads+=("$(load1)")

log "loaded tables: requests, cleanup (two runs), sizes, EXPLAIN"
measure sizes loaded
measure requests loaded
measure cleanup loaded
measure cleanup loaded
loads+=("$(load1)")
measure explain
measure oldquery

mariadb_version=$(db -N -e 'SELECT VERSION()')
pool_mb=$(( $(db -N -e 'SELECT @@innodb_buffer_pool_size') / 1048576 ))
meta=$(jq -n --arg command "$cmd" --arg when "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg git "$(git rev-parse --short HEAD)" \
  --argjson grants "$GRANTS" --argjson refresh "$REFRESH" --argjson revoked "$REVOKED" --argjson gen "$gen_s" \
  --arg mariadb "$mariadb_version" --argjson pool "$pool_mb" --arg load "1-minute load average ${loads[*]} (2 CPUs)" \
  '{command: $command, when: $when, git: $git, grants: $grants, refresh: $refresh, revoked: $revoked,
    generate_s: $gen, mariadb: $mariadb, pool_mb: $pool, load: $load}')
measure meta "$meta"
measure report > /dev/null
python3 "$REPO/benches/scale/splice.py" "$SCALE_OUT/scale.md" "$REPO/docs/benchmarks.md"
log "make bench-scale done: docs/benchmarks.md, section Scale (raw: $SCALE_OUT/scale.json)"
