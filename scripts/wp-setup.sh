#!/usr/bin/env bash
# Install (once) and prepare WordPress in database $1 (default: wordpress) of the running stack.
# Prints {"plugin": state, "users": {...}} as JSON on stdout. Used by up.sh and the PHPUnit bootstrap.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
export WPOA_DB_NAME=${1:-$DB_NAME}
php_args=()
[ -f "$EXT_SO" ] && php_args=(-d "extension=$EXT_SO")
if [ "${2:-}" = reset ]; then
  php "${php_args[@]}" "$REPO/scripts/wp-install.php" reset
fi
[ "${WPOA_SKIP_INSTALL:-0}" = 1 ] || php "${php_args[@]}" "$REPO/scripts/wp-install.php" install
php "${php_args[@]}" "$REPO/scripts/wp-install.php" activate
