#!/usr/bin/env bash
# Install what the build, the stack, the tests and the demo need on Debian 12 (run as root).
# apache2-bin and libapache2-mod-php8.2 are for cell D of the test matrix (Apache + mod_php; only the
# binaries: no system Apache is configured or started), mmdebstrap builds the Debian roots of cells
# B and C (scripts/lib/matrix.sh). redis-server and php8.2-redis are for the Redis object-cache mode
# (scripts/lib/redis.sh, scripts/test-redis.sh).
# Idempotent and quick when everything is there: no apt-get update unless a package is missing;
# npm ci only when tests/e2e/node_modules is missing or older than the lockfile.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

PACKAGES=(
  php8.2-cli php8.2-dev php8.2-fpm php8.2-mysql php8.2-curl php8.2-gd php8.2-mbstring
  php8.2-xml php8.2-intl php8.2-zip php8.2-opcache
  clang libclang-dev phpunit
  mariadb-server mariadb-client nginx
  apache2-bin libapache2-mod-php8.2 mmdebstrap
  redis-server redis-tools php8.2-redis
  wordpress wordpress-theme-twentytwentythree
  chromium chromium-driver
  wrk openssl ca-certificates curl jq git make iproute2 procps
  python3 python3-venv
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$p")
done
if (( ${#missing[@]} )); then
  log "installing: ${missing[*]}"
  [ "$(id -u)" = 0 ] || die "run as root (apt-get install needs it)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts these services on install; the stack runs its own private instances.
  for svc in nginx mariadb php8.2-fpm redis-server; do
    if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
      systemctl stop "$svc" 2>/dev/null || true
    fi
  done
else
  log "system packages: all installed"
fi

command -v node >/dev/null || die "node (>= 20.18) not found: install Node.js 20 and npm"
nmaj=$(node -p 'process.versions.node.split(".")[0]')
(( nmaj >= 20 )) || die "Node.js >= 20 needed (found $(node --version))"
command -v cargo >/dev/null || warn "cargo not found: install a Rust toolchain (rustup, stable) to build the extension"

E2E=$REPO/tests/e2e
if [ -f "$E2E/package-lock.json" ]; then
  if [ ! -d "$E2E/node_modules" ] || [ "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
    log "npm ci in tests/e2e"
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
  else
    log "tests/e2e/node_modules: up to date"
  fi
fi

# Python clients (Authlib, PyJWT) for the client guide's example and the python suite.
bash "$REPO/scripts/python-venv.sh"
