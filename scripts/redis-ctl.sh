#!/usr/bin/env bash
# Stop, start or freeze only the redis-server of a running stack in Redis mode (for the fault tests
# in tests/e2e/redis/): the object cache goes away and comes back while everything else runs.
#   bash scripts/redis-ctl.sh stop      stop redis-server (SIGTERM; it keeps nothing: a cache)
#   bash scripts/redis-ctl.sh start     start it again, empty, with the configuration of up.sh
#   bash scripts/redis-ctl.sh restart   stop, then start
#   bash scripts/redis-ctl.sh pause     freeze it (SIGSTOP): connections hang until the timeout
#   bash scripts/redis-ctl.sh resume    thaw it (SIGCONT) with everything it held
# Env: WPOA_RUN / WPOA_PORT / WPOA_OBJECT_CACHE=redis as for scripts/up.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/redis.sh"
[ "$OBJECT_CACHE" = redis ] || die "WPOA_OBJECT_CACHE=redis is not set: this stack has no Redis"

stop_redis() {
  local p
  if ! alive redis; then log "redis-server is not running"; return 0; fi
  p=$(pid_of redis)
  kill -CONT "$p" 2>/dev/null || true
  kill -TERM "$p"
  wait_until 10 "redis-server to stop" bash -c "! kill -0 $p" || { kill -KILL "$p" 2>/dev/null || true; sleep 0.1; }
  rm -f "$RUN/pids/redis.pid"
  log "redis-server stopped (pid $p)"
}

start_redis() {
  if alive redis; then log "redis-server already running"; return 0; fi
  rm -f "$REDIS_SOCK"
  redis_launch && wait_until 10 redis-server redis_ready \
    || { tail_log "$RUN/logs/redis.log"; die "redis-server did not come back"; }
  log "redis-server started (pid $(pid_of redis))"
}

case ${1:-} in
  stop) stop_redis ;;
  start) start_redis ;;
  restart) stop_redis; start_redis ;;
  pause) alive redis || die "redis-server is not running"; kill -STOP "$(pid_of redis)"; log "redis-server paused" ;;
  resume) alive redis || die "redis-server is not running"; kill -CONT "$(pid_of redis)"; log "redis-server resumed" ;;
  *) die "usage: redis-ctl.sh stop|start|restart|pause|resume" ;;
esac
