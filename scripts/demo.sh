#!/usr/bin/env bash
# Run the demo against the running stack (make demo starts it first).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
[ -f "$RUN/site.json" ] || die "the stack is not set up; run: make up"
export NODE_EXTRA_CA_CERTS=$CA_CERT
exec node "$REPO/tests/e2e/demo.mjs" "$@"
