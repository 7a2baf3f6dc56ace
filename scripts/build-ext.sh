#!/usr/bin/env bash
# Build the PHP extension: target/release/libwp_oauth.so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$REPO"
[ -f Cargo.toml ] || die "no Cargo.toml: the extension crate is not in this checkout yet"
command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (rustup, stable) and retry"
t0=$(now_ms)
cargo build --release
[ -f "$EXT_SRC" ] || die "cargo finished but $EXT_SRC is missing"
log "extension built in $(( ($(now_ms) - t0) / 1000 )) s: $EXT_SRC ($(stat -c %s "$EXT_SRC") bytes)"
