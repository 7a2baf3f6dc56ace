#!/usr/bin/env bash
# Stops the stacks of the test matrix's cells B, C and D ($WPOA_RUN/cells/<cell>) that a run left
# behind (scripts/test-cell.sh stops its own on exit; this is for a run that was killed). make down
# runs it after scripts/down.sh. Their daemons run in the cells' roots, but in this machine's PID
# space, so their PID files are enough.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$REPO/scripts/lib/matrix.sh"
for c in "${MATRIX_CELLS[@]}"; do
  [ -d "$RUN/cells/$c/pids" ] || continue
  WPOA_RUN=$RUN/cells/$c WPOA_PORT=$(( PORT + $(cell_field "$c" offset) )) WPOA_WEB=$(cell_field "$c" web) \
    WPOA_PHP=$(cell_field "$c" php) bash "$REPO/scripts/down.sh" | sed "s/^\[wpoa\] /[wpoa] cell $c: /"
done
