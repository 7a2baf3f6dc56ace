#!/usr/bin/env bash
# Creates <repo>/.venv with the pinned Python packages of tests/python/requirements.txt
# (authlib, requests, PyJWT and what they pull in), for the Python client example
# (docs/examples/python/) and the Python-side tests. Idempotent: does nothing when .venv
# already holds exactly these pins (a stamp file records the requirements' hash).
#   bash scripts/python-venv.sh        then .venv/bin/python ...
# Env: PYTHON (default python3, needs >= 3.9 with the venv module).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$REPO/.venv
REQ=$REPO/tests/python/requirements.txt
PY=${PYTHON:-python3}

command -v "$PY" >/dev/null || { echo "[wpoa] $PY not found (apt-get install python3 python3-venv)" >&2; exit 1; }
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV" || { echo "[wpoa] '$PY -m venv' failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQ"
"$VENV/bin/python" -c 'import authlib, requests, jwt' \
  || { echo "[wpoa] .venv is missing a package after install" >&2; exit 1; }
echo "$want" > "$VENV/.requirements.sha256"
echo "[wpoa] .venv ready: $("$VENV/bin/python" -c 'import authlib, requests, jwt; print("authlib", authlib.__version__, "requests", requests.__version__, "PyJWT", jwt.__version__)')"
