#!/usr/bin/env bash
# Stop the local stack of $WPOA_RUN: signal every service at once (by PID file), then wait.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/redis.sh"   # adds redis-server to SERVICES when it runs
t0=$(now_ms)
stack_lock
pids=()
for s in "${SERVICES[@]}"; do
  if alive "$s"; then
    p=$(pid_of "$s")
    case $s in
      nginx) kill -QUIT "$p" 2>/dev/null || true ;;   # graceful: finish open requests
      *)     kill -TERM "$p" 2>/dev/null || true ;;
    esac
    pids+=("$p")
  fi
done
if (( ${#pids[@]} == 0 )); then
  log "not running (run dir $RUN)"
  rm -f "$RUN"/pids/*.pid 2>/dev/null || true
  exit 0
fi
deadline=$(( $(now_ms) + 20000 ))
while :; do
  left=()
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left+=("$p"); done
  (( ${#left[@]} == 0 )) && break
  if (( $(now_ms) > deadline )); then
    warn "still running after 20 s, killing: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.2
    break
  fi
  sleep 0.05
done
rm -f "$RUN"/pids/*.pid "$SOCK_DIR"/*.sock 2>/dev/null || true
log "stopped in $(( $(now_ms) - t0 )) ms (run dir $RUN)"
