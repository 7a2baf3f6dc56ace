#!/usr/bin/env bash
# Builds target/release/libwp_oauth.so (under CARGO_TARGET_DIR when set) when missing or older than
# its sources, then runs the PHPUnit suite of the extension with it loaded. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SO="${CARGO_TARGET_DIR:-$PWD/target}/release/libwp_oauth.so"
# WPOA_PHPUNIT: the PHPUnit script to run (a test-matrix cell brings Debian 12's PHPUnit 9.6 along).
PHPUNIT=${WPOA_PHPUNIT:-/usr/bin/phpunit}
if [[ ! -f "$SO" ]] || [[ -n "$(find src Cargo.toml Cargo.lock build.rs -newer "$SO" 2>/dev/null | head -1)" ]]; then
    echo "== cargo build --release"
    cargo build --release
fi
echo "== phpunit with $SO"
export WP_OAUTH_SO=$SO   # for the tests that start a PHP of their own (SurvivalTest)
exec php -d "extension=$SO" "$PHPUNIT" -c tests/ext/phpunit.xml "$@"
