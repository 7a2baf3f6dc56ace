#!/usr/bin/env bash
# Runs the PHP micro-benchmark of wp_oauth_jwt_encode/decode against a userland PHP JWT
# implementation and prints the Markdown table. Builds the release .so if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
SO="$PWD/target/release/libwp_oauth.so"
if [[ ! -f "$SO" ]] || [[ -n "$(find src Cargo.toml Cargo.lock -newer "$SO" 2>/dev/null | head -1)" ]]; then
    cargo build --release
fi
exec php -d "extension=$SO" -d opcache.enable_cli=1 benches/jwt-bench.php "$@"
