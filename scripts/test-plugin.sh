#!/usr/bin/env bash
# Plugin tests: PHPUnit (Debian's phpunit 9.6) on tests/plugin against the real stack, with the
# extension loaded in the CLI and WordPress on the `wordpress_test` database. Extra args go to phpunit.
# WPOA_PHPUNIT: another PHPUnit script (a test-matrix cell brings Debian 12's PHPUnit 9.6 along).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
bash "$REPO/scripts/up.sh"
php_args=()
if [ -f "$EXT_SO" ]; then php_args=(-d "extension=$EXT_SO"); else warn "no $EXT_SO: extension tests will fail"; fi
cd "$REPO"
exec php "${php_args[@]}" -d "error_log=$RUN/logs/php-error-cli.log" "${WPOA_PHPUNIT:-/usr/bin/phpunit}" -c tests/plugin/phpunit.xml.dist "$@"
