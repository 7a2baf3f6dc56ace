#!/usr/bin/env bash
# Tests the Rust core without PHP, then lints both feature sets.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test --no-default-features (core, no PHP headers)"
cargo test --no-default-features
echo "== cargo clippy (core)"
cargo clippy --no-default-features --all-targets -- -D warnings
echo "== cargo clippy (with the PHP binding)"
cargo clippy --all-targets -- -D warnings
echo "== rust: all passed"
