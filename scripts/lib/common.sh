# shellcheck shell=bash
# Shared settings for the local stack scripts. Source it; do not run it.
#
# Everything a stack instance owns lives under one run directory, and every port is derived from
# one base port, so several people can run their own instance on one machine at the same time:
#   WPOA_RUN   run dir (default: <repo>/.run)
#   WPOA_PORT  HTTPS port of node1 (default 8443); the others are derived from it:
#              node2 HTTPS = PORT+1, no-extension HTTPS = PORT+2,
#              Apache only: node2 with the Authorization header hidden (lib/apache.sh) = PORT+3,
#              nginx only: node2 behind a server block that strips Authorization and serves
#              /.well-known/ as a static folder, as misconfigured hosts do = PORT+4,
#              plain HTTP (node1) = PORT-363, plain HTTP redirecting to HTTPS = PORT-364,
#              MariaDB TCP = PORT-5136
#   e.g. WPOA_PORT=9443 -> 9443, 9444, 9445, 9080, 9079, 4307.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=${WPOA_RUN:-$REPO/.run}
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
export WPOA_RUN=$RUN

PORT=${WPOA_PORT:-8443}
if ! [[ $PORT =~ ^[0-9]+$ ]] || (( PORT < 5200 || PORT > 65000 )); then
  echo "WPOA_PORT must be a number between 5200 and 65000 (got '$PORT')" >&2
  exit 2
fi
export WPOA_PORT=$PORT
NODE2_PORT=$((PORT + 1))
NOEXT_PORT=$((PORT + 2))
FALLBACK_PORT=$((PORT + 3))
STRIPPED_PORT=$((PORT + 4))
HTTP_PORT=$((PORT - 363))
REDIRECT_PORT=$((PORT - 364))
DB_PORT=$((PORT - 5136))

# fetch_safe_ports PORT...: fails, printing it, if a port is one that browsers and Node's fetch()
# refuse to connect to (the Fetch standard's "bad ports"; from 5200 up: 5060, 5061, 6000, 6566,
# 6665-6669, 6679, 6697, 10080). The tests reach the stack with both. E.g. WPOA_PORT=10443 makes
# the plain-HTTP port 10080.
fetch_safe_ports() {
  local p
  for p in "$@"; do
    case $p in
      5060|5061|6000|6566|6665|6666|6667|6668|6669|6679|6697|10080) echo "$p"; return 1 ;;
    esac
  done
}

SITE_URL="https://localhost:$PORT"
NODE2_URL="https://localhost:$NODE2_PORT"
NOEXT_URL="https://localhost:$NOEXT_PORT"
HTTP_URL="http://localhost:$HTTP_PORT"
REDIRECT_URL="http://localhost:$REDIRECT_PORT"

# Sockets live in a short sub-directory (unix socket paths are limited to 107 bytes).
SOCK_DIR=$RUN/sock
DB_SOCK=$SOCK_DIR/mysql.sock
DB_USER=wpoa
DB_PASSWORD=wpoa-db-pass-local   # local-only, loopback-only database; not a secret
DB_NAME=wordpress
DB_TEST_NAME=wordpress_test

WP_DIR=$RUN/wordpress
CA_CERT=$RUN/tls/ca.pem
# The build of the extension that the stack loads (cargo honours CARGO_TARGET_DIR too).
EXT_SRC=${CARGO_TARGET_DIR:-$REPO/target}/release/libwp_oauth.so
EXT_SO=$RUN/php/libwp_oauth.so

# PHP and web server of this instance; the test matrix (lib/matrix.sh) sets them per cell.
#   WPOA_PHP  PHP minor version (default 8.2)
#   WPOA_WEB  nginx (default: nginx + php-fpm) | apache-fpm (Apache + php-fpm through proxy_fcgi)
#             | apache-modphp (Apache prefork + mod_php; php-fpm only for the no-extension node)
PHP_MINOR=${WPOA_PHP:-8.2}
WEB=${WPOA_WEB:-nginx}
PHP_FPM=${PHP_FPM:-php-fpm$PHP_MINOR}
PHP_CONF_D=/etc/php/$PHP_MINOR/fpm/conf.d

# Fixed, documented, local-only logins (the stack listens on 127.0.0.1 only).
ADMIN_USER=admin;           ADMIN_PASS=admin-pass-local
AUTHOR_USER=author;         AUTHOR_PASS=author-pass-local
SUBSCRIBER_USER=subscriber; SUBSCRIBER_PASS=subscriber-pass-local

# Services, in start order. Each one has $RUN/pids/<name>.pid.
case $WEB in
  nginx)         SERVICES=(mariadb php-fpm php-fpm-noext nginx) ;;
  apache-fpm)    SERVICES=(mariadb php-fpm php-fpm-noext apache2) ;;
  apache-modphp) SERVICES=(mariadb php-fpm-noext apache2) ;;
  *) echo "WPOA_WEB must be nginx, apache-fpm or apache-modphp (got '$WEB')" >&2; exit 2 ;;
esac
WEB_SERVICE=${SERVICES[-1]}

case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) [ -d "$HOME/.cargo/bin" ] && PATH="$HOME/.cargo/bin:$PATH" ;; esac
export PATH

log()  { printf '[wpoa] %s\n' "$*"; }
warn() { printf '[wpoa] WARNING: %s\n' "$*" >&2; }
die()  { printf '[wpoa] ERROR: %s\n' "$*" >&2; exit 1; }

# now_ms: milliseconds since the epoch (for timings).
now_ms() { date +%s%3N; }

pid_of() { local f=$RUN/pids/$1.pid; [ -s "$f" ] && tr -dc 0-9 < "$f"; }
alive()  { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# port_busy PORT: true if something listens on 127.0.0.1/any at PORT.
port_busy() {
  ss -Htln 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]$1\$"
}

# tail_log FILE: show the end of a log to explain a failure.
tail_log() {
  [ -f "$1" ] || return 0
  echo "----- last lines of $1 -----" >&2
  tail -n 25 "$1" >&2
  echo "-----" >&2
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: poll CMD every 50 ms.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$(( $(now_ms) + timeout * 1000 ))
  until "$@" >/dev/null 2>&1; do
    if (( $(now_ms) > deadline )); then
      echo "[wpoa] timed out after ${timeout}s waiting for $what" >&2
      return 1
    fi
    sleep 0.05
  done
}

# Starts mariadbd on the run dir's datadir in the background (the caller reads $! or waits for the
# socket); one command line for scripts/up.sh and scripts/restart-db.sh. fd 9 (the stack lock) is closed.
launch_mariadbd() {
  setsid mariadbd --no-defaults --user=root --datadir="$RUN/mysql" \
    --socket="$DB_SOCK" --port="$DB_PORT" --bind-address=127.0.0.1 \
    --pid-file="$RUN/pids/mariadb.pid" --log-error="$RUN/logs/mariadb.log" --tmpdir="$RUN/tmp" \
    --skip-name-resolve --innodb-buffer-pool-size=128M \
    --innodb-buffer-pool-dump-at-shutdown=0 --innodb-buffer-pool-load-at-startup=0 \
    --innodb-log-file-size=48M --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --max-connections=200 </dev/null >>"$RUN/logs/mariadb.log" 2>&1 9>&- &
}

db_root() { mariadb --no-defaults -uroot --socket="$DB_SOCK" "$@"; }

# stack_lock: one start/stop at a time per run dir (nested calls inherit the lock).
# Daemons must be started with 9>&- so they do not keep the lock open.
stack_lock() {
  [ -n "${WPOA_LOCKED:-}" ] && return 0
  exec 9>"$RUN/.lock"
  flock -w 120 9 || die "another start/stop of $RUN is still running"
  export WPOA_LOCKED=1
}
