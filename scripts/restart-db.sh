#!/usr/bin/env bash
# Stop and/or start only the MariaDB of a running stack (for fault tests: tests/e2e/faults.test.mjs).
#   bash scripts/restart-db.sh stop            stop mariadbd (SIGTERM, wait until it is gone)
#   bash scripts/restart-db.sh start           start it again with the same options as scripts/up.sh
#   bash scripts/restart-db.sh restart [SECS]  stop, stay down SECS seconds (default 0), start
# Env: WPOA_RUN / WPOA_PORT as for every stack script. The other services are left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

stop_db() {
  local p
  if ! alive mariadb; then log "mariadb is not running"; return 0; fi
  p=$(pid_of mariadb)
  kill -TERM "$p"
  wait_until 30 "mariadb to stop" bash -c "! kill -0 $p" || { kill -KILL "$p" 2>/dev/null || true; sleep 0.2; }
  log "mariadb stopped (pid $p)"
}

start_db() {
  if alive mariadb; then log "mariadb already running"; return 0; fi
  [ -d "$RUN/mysql" ] || die "no database in $RUN/mysql: run scripts/up.sh first"
  launch_mariadbd
  wait_until 30 mariadb mariadb-admin --no-defaults -uroot --socket="$DB_SOCK" ping \
    || { tail_log "$RUN/logs/mariadb.log"; die "mariadb did not come back"; }
  log "mariadb started (pid $(pid_of mariadb))"
}

case ${1:-restart} in
  stop) stop_db ;;
  start) start_db ;;
  restart) stop_db; sleep "${2:-0}"; start_db ;;
  *) die "usage: restart-db.sh stop|start|restart [down-seconds]" ;;
esac
