#!/usr/bin/env bash
# Builds target/release/libwp_oauth.so when missing or older than its sources, then runs
# the PHPUnit suite of the extension with it loaded. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
SO="$PWD/target/release/libwp_oauth.so"
if [[ ! -f "$SO" ]] || [[ -n "$(find src Cargo.toml Cargo.lock build.rs -newer "$SO" 2>/dev/null | head -1)" ]]; then
    echo "== cargo build --release"
    cargo build --release
fi
echo "== phpunit with $SO"
exec php -d "extension=$SO" /usr/bin/phpunit -c tests/ext/phpunit.xml "$@"
